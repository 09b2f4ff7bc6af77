"""A briefing note: answers added one by one, their wording edited, exported as Markdown or DOCX
with a reference list a reader can check and paste (publisher, title, date as a person writes it,
paragraph, the document's address where known, quoted words): only the references the text cites,
numbered from 1."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.present import ASSIGNED, human_date, uploaded
from assistant.records import Answer, Citation

MARKER_RE = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class NoteItem:
    question: str
    text: str  # the wording, as the writer edited it; markers [n] refer to this item's citations
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class Reference:
    number: int
    citation: Citation
    quotes: tuple[str, ...]

    def describe(self) -> str:
        """As a person cites it: "Ofsted, Inspection of Kirklees local authority children's services, July 2024,
        paragraph 55, https://..." (its address where known; never the file's path on the server)."""
        c = self.citation
        d = c.document
        assigned = f" ({ASSIGNED})" if c.paragraph.assigned else ""
        upload = f", {uploaded(d)}" if d.added_by else ""
        address = f", {d.url}" if d.url else ""
        return f"{d.publisher}, {d.title}, {human_date(d.date)}, paragraph {c.paragraph.label}{assigned}{address}{upload}"


def from_answer(answer: Answer) -> NoteItem:
    return NoteItem(question=answer.question, text=answer.text, citations=answer.citations)


def number_references(items: list[NoteItem]) -> tuple[list[str], list[Reference]]:
    """Each item's text with its markers renumbered note-wide, and the note's reference list.

    Only paragraphs the text still cites are listed (a marker deleted while editing takes its reference with it),
    numbered from 1 in the order the text first cites them. The same paragraph cited by two items is one reference;
    a marker the writer added that no citation backs is left as written, so the reader sees it cannot be checked.
    """
    numbers: dict[str, int] = {}
    quotes: dict[str, list[str]] = {}
    first: dict[str, Citation] = {}
    texts = []
    for item in items:
        by_marker = {c.marker: c for c in item.citations}

        def renumber(match: re.Match, by_marker=by_marker) -> str:
            cited = by_marker.get(int(match.group(1)))
            if cited is None:
                return match.group(0)
            key = cited.paragraph.key
            numbers.setdefault(key, len(numbers) + 1)
            first.setdefault(key, cited)
            if cited.quote and cited.quote not in quotes.setdefault(key, []):
                quotes[key].append(cited.quote)
            return f"[{numbers[key]}]"

        texts.append(MARKER_RE.sub(renumber, item.text))
    references = [Reference(n, first[key], tuple(quotes.get(key, ()))) for key, n in numbers.items()]
    return texts, references


def to_markdown(items: list[NoteItem], title: str) -> str:
    texts, references = number_references(items)
    lines = [f"# {title}", ""]
    for item, text in zip(items, texts):
        lines += [f"## {item.question}", "", text, ""]
    if references:
        lines += ["## References", ""]
    for ref in references:
        lines.append(f"{ref.number}. {ref.describe()}")
        # a quoted list runs over several lines: each stays inside the quotation
        lines += ["   > \u201c" + quote.replace("\n", "\n   > ") + "\u201d" for quote in ref.quotes]
    return "\n".join(lines).rstrip() + "\n"


def to_docx(items: list[NoteItem], path: Path, title: str, author: str = "") -> Path:
    """The note as a Word document in Word's own styles: Title, then Heading 1 for each question and for the
    references (no level skipped), Quote for quoted words; its author is the writer (their login name), never the
    library that wrote the file."""
    import docx

    texts, references = number_references(items)
    document = docx.Document()
    properties = document.core_properties
    properties.author, properties.last_modified_by, properties.title = author, author, title
    properties.comments = "Written with the inspection report assistant"
    document.add_heading(title, level=0)
    for item, text in zip(items, texts):
        document.add_heading(item.question, level=1)
        for block in text.split("\n\n"):
            document.add_paragraph(block)
    if references:
        document.add_heading("References", level=1)
    for ref in references:
        document.add_paragraph(f"[{ref.number}] {ref.describe()}")
        for quote in ref.quotes:
            document.add_paragraph(f"\u201c{quote}\u201d", style="Quote")
    path = Path(path)
    document.save(str(path))
    return path


# -- a person's work kept in their browser ---------------------------------------------------------------
# The web app keeps each person's conversation and note in their browser (gr.BrowserState) so that a reload or a
# restart loses nothing. What comes back from a browser is never trusted: only these plain fields are read, each
# checked and bounded, and citations are looked up again in the index (a document since removed drops out).

MAX_SAVED_TEXT = 20_000  # characters of any one saved text (an answer's, an item's wording)
MAX_SAVED_ITEMS = 200  # items in a note, turns in a conversation
MAX_SAVED_CITATIONS = 50


def _text(value, limit: int = MAX_SAVED_TEXT) -> str:
    return value[:limit] if isinstance(value, str) else ""


def citation_record(citation: Citation) -> dict:
    return {"marker": citation.marker, "doc": citation.document.id, "order": citation.paragraph.order,
            "label": citation.paragraph.label, "quote": citation.quote}


def answer_record(answer: Answer) -> dict:
    return {"question": answer.question, "text": answer.text, "answered": answer.answered, "mode": answer.mode,
            "citations": [citation_record(c) for c in answer.citations]}


def item_record(item: NoteItem) -> dict:
    return {"question": item.question, "text": item.text, "citations": [citation_record(c) for c in item.citations]}


def citations_from(records, lookup) -> tuple[Citation, ...]:
    """Citations rebuilt from saved records; `lookup(doc_id, order, label)` gives (Document, Paragraph) or None."""
    found = []
    for record in (records if isinstance(records, list) else [])[:MAX_SAVED_CITATIONS]:
        if not isinstance(record, dict) or not isinstance(record.get("marker"), int) or not isinstance(record.get("order"), int):
            continue
        hit = lookup(_text(record.get("doc"), 1000), record["order"], _text(record.get("label"), 200))
        if hit is not None:
            found.append(Citation(record["marker"], hit[0], hit[1], _text(record.get("quote"))))
    return tuple(found)


def answer_from(record, lookup) -> Answer | None:
    if not isinstance(record, dict) or not _text(record.get("text")):
        return None
    return Answer(question=_text(record.get("question"), 2000), text=_text(record.get("text")),
                  answered=record.get("answered") is True, citations=citations_from(record.get("citations"), lookup),
                  mode=_text(record.get("mode"), 20) or "extractive")


def item_from(record, lookup) -> NoteItem | None:
    if not isinstance(record, dict):
        return None
    return NoteItem(question=_text(record.get("question"), 2000), text=_text(record.get("text")),
                    citations=citations_from(record.get("citations"), lookup))
