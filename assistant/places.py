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
from functools import lru_cache

from assistant import settings
from assistant.records import Document, Filters
from ingest.describe import canonical_place

# what names the body rather than the place: "City of Bradford", "Derby City", "Bradford Children and
# Families Trust" are all Bradford's or Derby's; the designations of English local government only
BODY_PREFIX_RE = re.compile(r"^(?:(?P<designation>City|County|Borough|District)(?: and County)? of)\s+", re.I)
# "the City", as the City of London's reports call it: a body's designation standing alone for its place
DESIGNATION_RE = re.compile(r"\bthe (City|County|Borough|District)\b(?! of\b| Council\b)")
ALIAS_PARAGRAPHS = 2  # a council is called so when its documents do it in this many paragraphs: once may be a slip
BODY_SUFFIX_RE = re.compile(r"\s+(?:City|County|Borough|District|(?:Children(?:'s| and Families)? )?(?:Services )?Trust)$", re.I)


@lru_cache(maxsize=4096)  # called for every document on every question; the library's places are few
def council_name(place: str) -> str:
    """The council a place names, as a question would: "City of Bradford" -> "Bradford", "Hammersmith &
    Fulham" -> "Hammersmith and Fulham", "St. Helens Metropolitan Borough Council" -> "St Helens"."""
    name = canonical_place(place.replace("&", "and"))
    return BODY_SUFFIX_RE.sub("", BODY_PREFIX_RE.sub("", name)).strip() or name


def councils(documents) -> dict[str, tuple[str, ...]]:
    """The library's councils: each council's name, with the places its documents give ("Bradford":
    "City of Bradford", "Bradford Children and Families Trust"), so that its reports of every year are one."""
    found: dict[str, set[str]] = {}
    for document in documents:
        if document.place:
            found.setdefault(council_name(document.place), set()).add(document.place)
    return {name: tuple(sorted(places)) for name, places in sorted(found.items())}


def designations_in(texts: list[str]) -> dict[str, int]:
    """Of one document's paragraphs, how many call its place by its designation alone, by designation ("City": 104)."""
    return dict(Counter(word for text in texts for word in set(DESIGNATION_RE.findall(text))))


def place_aliases(documents, designations: dict[str, dict[str, int]]) -> dict[str, tuple[str, ...]]:
    """The names councils go by in their own documents beside their names: "the City" for the City of London,
    whose reports write it so (`designations`: `Index.designations()`). A name two councils would share is
    neither's."""
    found: dict[str, set[str]] = {}
    for name, places in councils(documents).items():
        uses = Counter()
        for document in documents:
            if document.place in places:
                uses.update(designations.get(document.id, {}))
        words = {m.group("designation").title() for p in places if (m := BODY_PREFIX_RE.match(p))}
        found[name] = {f"the {word}" for word in words if uses[word] >= ALIAS_PARAGRAPHS}
    taken = Counter(alias for aliases in found.values() for alias in aliases)
    kept = {name: tuple(sorted(a for a in aliases if taken[a] == 1)) for name, aliases in found.items()}
    return {name: aliases for name, aliases in kept.items() if aliases}


def library_places(documents) -> list[str]:
    """The councils the library holds documents about, by name."""
    return list(councils(documents))


def named_places(text: str, places: list[str], aliases: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """The councils (of `places`) a text names, in the order it names them.

    A council's name is matched as a whole phrase ("Barking and Dagenham", "Barnet's", "St. Helens",
    "Hammersmith & Fulham"), written with its capitals, so that a council whose name is also a word
    ("Reading") is not found in "reading age"; in a question typed all in lower case, any case. An alias
    (`place_aliases`) only as its documents write it: "the city" is any city."""
    text = _plain(text)
    found = []
    for place in places:
        match = _place_pattern(place, text, _short_names(tuple(places)).get(place, ())).search(text) or (
            _alias_pattern(aliases, place).search(text))
        if match:
            found.append((match.start(), place))
    return [place for _, place in sorted(found)]


@lru_cache(maxsize=64)
def _short_names(places: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The names a council joining two places is also called by, each alone ("Redcar" and "Cleveland" for
    "Redcar and Cleveland"), and one on a river by its town ("Stoke" for "Stoke-on-Trent"): those no other
    council of the library is called by."""
    def shorter(place: str) -> list[str]:
        if " and " in place:
            return place.split(" and ")
        town = re.match(r"(.+?)(?:-on-|-upon-| upon )", place)
        return [town.group(1)] if town else []

    shorts = {place: shorter(place) for place in places}
    taken = Counter(name.lower() for names in shorts.values() for name in names) + Counter(p.lower() for p in places)
    return {place: tuple(n for n in names if taken[n.lower()] == 1) for place, names in shorts.items()}


def without_places(text: str, places: list[str], aliases: dict[str, tuple[str, ...]] | None = None) -> str:
    """The text with the councils (of `places`) it names left out, and their possessive "'s": a
    question's meaning within one council's documents ("agency social workers in Bury" is, among
    Bury's documents, "agency social workers"), or the text itself when nothing else is left."""
    plain = left = _plain(text)
    for place in places:
        left = _place_pattern(place, plain, _short_names(tuple(places)).get(place, ())).sub(" ", left)
        left = _alias_pattern(aliases, place).sub(" ", left)
    left = re.sub(r"\s+", " ", re.sub(r"(?<!\w)['’]s\b", "", left)).strip()
    return left if re.search(r"\w", left) else text


def _plain(text: str) -> str:
    return re.sub(r"\b(St|Mt)\.", r"\1", text.replace("&", "and"))


def _place_pattern(place: str, text: str, short_names: tuple[str, ...] = ()) -> re.Pattern:
    names = "|".join(map(re.escape, (place, *short_names)))  # the whole name first
    return re.compile(rf"(?<![\w-])(?:{names})(?![\w-])", re.I if text == text.lower() else 0)


def _alias_pattern(aliases: dict[str, tuple[str, ...]] | None, place: str) -> re.Pattern:
    names = (aliases or {}).get(place, ())
    return re.compile(rf"(?<![\w-])(?:{'|'.join(map(re.escape, names))})(?![\w-])" if names else r"(?!)")


@dataclass(frozen=True)
class Scope:
    """The documents one part of an answer may come from: one council's, or the filter's."""

    place: str  # the council ("" when the scope is not one council's)
    filters: Filters | None
    home: bool = False  # chosen because the question names no council


def home_place(documents) -> str:
    """The council a question naming none is about: the setting, when the library holds documents about it."""
    home = council_name(settings.get("HOME_PLACE").strip()).lower()
    return next((name for name in councils(documents) if name.lower() == home), "") if home else ""


def scopes(asked: list[str], filters: Filters | None, documents) -> list[Scope]:
    """One scope per council asked about (the question's, else the filter's, else the home council).

    With no council named, no filter by council and no home council in the library, one scope of
    everything the filter allows."""
    base = filters or Filters()
    library = councils(documents)

    def places_of(name: str) -> tuple[str, ...]:
        return library.get(council_name(name), (name,))

    if asked:
        # a document whose council is not known is this council's when its title names it ("Kirklees is outstanding")
        return [Scope(p, _with_places(base, places_of(p), titled=(p,))) for p in asked]
    if base.places:
        return [Scope(", ".join(base.places), _with_places(base, tuple(q for p in base.places for q in places_of(p))))]
    home = home_place(documents)
    if home and len(library) > 1:
        # a document whose council is not known may be the home council's own (an upload, a
        # council page): it is kept with the home council's, and its heading names no council
        return [Scope(home, _with_places(base, (*places_of(home), "")), home=True)]
    return [Scope("", filters)]


def _with_places(filters: Filters, places: tuple[str, ...], titled: tuple[str, ...] = ()) -> Filters:
    return Filters(filters.documents, filters.publishers, filters.years, places, titled)


def shown_place(council: str, library: dict[str, tuple[str, ...]]) -> str:
    """A council as an answer names it (`library`: `councils(documents)`): as its documents do when they all give
    it one name ("City of London", whose council name, "London", is also a region of many councils), else by its
    council name ("Bradford", for "City of Bradford" and "Bradford Children and Families Trust")."""
    places = library.get(council, ())
    return places[0] if len(places) == 1 else council


def describe_library(documents, leave_out: str = "") -> str:
    """The councils the library holds documents about, with how many each: "Barnet (2), Kirklees (5)"."""
    counts = Counter(council_name(d.place) for d in documents if d.place and council_name(d.place) != leave_out)
    library = councils(documents)
    return ", ".join(f"{place} ({n})" for place, n in sorted((shown_place(p, library), n) for p, n in counts.items()))


def home_note(scope: Scope, documents) -> str:
    """For an answer about the home council in a library holding others, a line saying so."""
    library = councils(documents)
    others = len([p for p in library if p != scope.place])
    if not scope.home or not others:
        return ""
    noun = "council" if others == 1 else "councils"
    return (f"Answered for {shown_place(scope.place, library)}, the home council; the library also holds documents about {others} other "
            f"{noun}: name one in the question to ask about it.")


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
