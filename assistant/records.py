"""The plain frozen records that pass between stages: read -> number -> index -> retrieve -> answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from functools import lru_cache

# the year of "published 6 January 2015" in a document's date note
PUBLISHED_YEAR_RE = re.compile(r"\bpublished\b[^;]*?\b((?:19|20)\d\d)\b")


@lru_cache(maxsize=4096)  # asked of every sentence's document as answers are chosen
def _published_year(date_note: str) -> int | None:
    published = PUBLISHED_YEAR_RE.search(date_note)
    return int(published.group(1)) if published else None


# What a document can be. Answering keeps these voices apart (Ofsted's findings, the council's
# account, the press), so an unknown kind is refused at ingest rather than silently matching none.
KINDS = ("inspection report", "council report", "council statement", "press", "other", "unknown")


@dataclass(frozen=True)
class Document:
    id: str  # the source path relative to the project root, e.g. "corpus/2024-ofsted-ilacs-inspection.txt"
    title: str
    publisher: str
    kind: str  # one of KINDS
    date: str | None  # ISO date, possibly partial ("2024-07", "2019")
    date_note: str = ""  # how the date is known, when it is not exact
    url: str | None = None
    judgements: tuple[tuple[str, str], ...] = ()  # (judgement area, grade), where the report has a table
    place: str = ""  # the council (or area) the document is about; "" when not known
    inspection_dates: str = ""  # as the report prints them: "8 to 19 July 2024"
    lead_inspector: str = ""
    given: tuple[str, ...] = ()  # fields given by a manifest, a flag or an uploader rather than read from the text
    added_by: str = ""  # who added it through the web app ("" for documents ingested from the command line)
    added_at: str = ""  # when it was added (ISO timestamp), for uploads

    @classmethod
    def from_dict(cls, entry: dict) -> Document:
        """A Document from its registry entry (extra keys ignored, lists back to tuples)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in entry.items() if k in known}
        values["judgements"] = tuple(tuple(row) for row in values.get("judgements", ()))
        values["given"] = tuple(values.get("given", ()))
        return cls(**values)

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None

    @property
    def years(self) -> tuple[int, ...]:
        """The years the document is known by: its date's, and the year it was published when that is later
        (a report of an inspection in November 2014, published in January 2015, is "the 2015 report" too)."""
        return tuple(y for y in dict.fromkeys((self.year, _published_year(self.date_note))) if y)

    def of_any_year(self, years) -> bool:
        """Is the document of one of these years, by its date or its publication?"""
        return any(y in years for y in self.years)

    @property
    def speaker(self) -> str:
        """Who is speaking, so answers keep Ofsted's findings, council claims and press apart."""
        return {"inspection report": "Ofsted's findings", "press": "press reporting"}.get(
            self.kind, "the council's own account" if "council" in self.kind else "source"
        )

    def describe(self) -> str:
        """One line naming publisher, report and year, as answers head each group."""
        when = self.date_note or (self.date or "date unknown")
        return f"{self.publisher}, \u201c{self.title}\u201d ({when})"


@dataclass(frozen=True)
class Paragraph:
    doc_id: str
    label: str  # the printed number ("55", "4.3"), an assigned number, or a section label ("summary 1")
    text: str  # the whole paragraph as the source has it (mojibake repaired, page breaks joined)
    section: str = ""
    page: int | None = None
    order: int = 0  # position in the document, from 0
    assigned: bool = False  # True when the source prints no number and we counted it
    sentences: tuple[tuple[int, int], ...] = field(default=())  # character spans in text

    @property
    def key(self) -> str:
        return f"{self.doc_id}#{self.order}"

    def sentence_texts(self) -> list[str]:
        return [self.text[a:b].strip() for a, b in self.sentences] or [self.text]


@dataclass(frozen=True)
class Hit:
    paragraph: Paragraph
    score: float
    dense: float = 0.0  # best cosine similarity of the question to this paragraph or its sentences
    lexical: float = 0.0


@dataclass(frozen=True)
class Citation:
    marker: int
    document: Document
    paragraph: Paragraph
    quote: str


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    answered: bool
    citations: tuple[Citation, ...] = ()
    related: tuple[Hit, ...] = ()  # nearest passages offered when the sources do not answer
    mode: str = "extractive"
    places: tuple[str, ...] = ()  # the councils the answer is for (the question's, the filter's or the home council)


@dataclass(frozen=True)
class Filters:
    """Hard limits set by the user (CLI or web app): only these documents, publishers, years, places."""

    documents: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    places: tuple[str, ...] = ()  # the council (or area) a document is about, as its metadata names it
    titled: tuple[str, ...] = ()  # ... or, for a document whose council is not known, one its title names

    def allows(self, document: Document) -> bool:
        return (
            (not self.documents or document.id in self.documents)
            and (not self.publishers or document.publisher.lower() in {p.lower() for p in self.publishers})
            and (not self.years or document.of_any_year(self.years))
            and (not self.places or document.place.lower() in {p.lower() for p in self.places}
                 or not document.place and any(name.lower() in document.title.lower() for name in self.titled))
        )
