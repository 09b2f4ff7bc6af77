"""Which council a question is about, and so which documents may answer it.

A question naming councils is answered from documents about those councils only; a question
naming none is answered for the home council (the HOME_PLACE setting). Council names come from the
documents' own metadata (`Document.place`), never from a list here, so a library that gains
another council's reports answers questions about it with no change to the code.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from assistant import settings
from assistant.records import Document, Filters


def library_places(documents) -> list[str]:
    """The councils the library holds documents about, as their metadata names them."""
    return sorted({d.place for d in documents if d.place})


def named_places(text: str, places: list[str]) -> list[str]:
    """The library's councils a text names, in the order it names them.

    A place name is matched as a whole phrase ("Barking and Dagenham", "Barnet's"), written with its
    capitals, so that a council whose name is also a word ("Reading") is not found in "reading age";
    in a question typed all in lower case, any case."""
    flags = re.I if text == text.lower() else 0
    found = []
    for place in places:
        match = re.search(rf"(?<![\w-]){re.escape(place)}(?![\w-])", text, flags)
        if match:
            found.append((match.start(), place))
    return [place for _, place in sorted(found)]


@dataclass(frozen=True)
class Scope:
    """The documents one part of an answer may come from: one council's, or the filter's."""

    place: str  # the council ("" when the scope is not one council's)
    filters: Filters | None
    home: bool = False  # chosen because the question names no council


def home_place(documents) -> str:
    """The council a question naming none is about: the setting, when the library holds documents about it."""
    home = settings.get("HOME_PLACE").strip()
    return next((p for p in library_places(documents) if p.lower() == home.lower()), "")


def scopes(asked: list[str], filters: Filters | None, documents) -> list[Scope]:
    """One scope per council asked about (the question's, else the filter's, else the home council).

    With no council named, no filter by council and no home council in the library, one scope of
    everything the filter allows."""
    base = filters or Filters()
    if asked:
        return [Scope(p, _with_places(base, (p,))) for p in asked]
    if base.places:
        return [Scope(", ".join(base.places), base)]
    home = home_place(documents)
    if home and len(library_places(documents)) > 1:
        # a document whose council is not known may be the home council's own (an upload, a
        # council page): it is kept with the home council's, and its heading names no council
        return [Scope(home, _with_places(base, (home, "")), home=True)]
    return [Scope("", filters)]


def _with_places(filters: Filters, places: tuple[str, ...]) -> Filters:
    return Filters(filters.documents, filters.publishers, filters.years, places)


def describe_library(documents, leave_out: str = "") -> str:
    """The councils the library holds documents about, with how many each: "Barnet (2), Kirklees (5)"."""
    counts = Counter(d.place for d in documents if d.place and d.place != leave_out)
    return ", ".join(f"{place} ({n})" for place, n in sorted(counts.items()))


def home_note(scope: Scope, documents) -> str:
    """For an answer about the home council in a library holding others, a line saying so."""
    others = len([p for p in library_places(documents) if p != scope.place])
    if not scope.home or not others:
        return ""
    councils = "council" if others == 1 else "councils"
    return (f"Answered for {scope.place}, the home council; the library also holds documents about {others} other "
            f"{councils}: name one in the question to ask about it.")


def heading_place(document: Document) -> str:
    """The council to name in an answer's heading, unless its publisher already names it ("Kirklees Council")."""
    if not document.place or document.place.lower() in document.publisher.lower():
        return ""
    return document.place


def not_in_library(names: list[str], documents: list[Document]) -> str:
    """The answer to a question about councils (or anything else named) that no document is about."""
    listed = describe_library(documents)
    held = f" It holds documents about {listed}." if listed else ""
    return f"No document about {' or '.join(names)} is in the library.{held}"
