"""What the web app shows, as HTML or Markdown built from the records: answers with linked citation
markers, a paragraph in its place with the quoted words highlighted, a whole document with its
paragraph labels and judgement table, and the results of a citation check.

Every piece of text from a document, a question or a file name is escaped here, so markup or
script inside it is shown as text and never runs.
"""

from __future__ import annotations

import html
import re

from assistant.records import Answer, Citation, Document, Paragraph
from ingest.describe import MONTHS

AROUND = 1  # paragraphs shown either side of a cited one
MARKER_RE = re.compile(r"\[(\d+)\]")
MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")

CSS = """
/* colours chosen for a contrast of at least 4.5:1 on white (WCAG AA) */
:root, .gradio-container, .dark {
  --block-info-text-color: #4a4a4a; --body-text-color-subdued: #4a4a4a; --block-label-text-color: #4a4a4a;
  --input-placeholder-color: #6b6b6b; --button-primary-background-fill: #a63d0b; --button-primary-background-fill-hover: #8a3209;
  --button-primary-text-color: #ffffff; --button-primary-text-color-hover: #ffffff;
  --button-primary-border-color: #a63d0b;
}
.gradio-container button[role="tab"].selected, .gradio-container button[role="tab"][aria-selected="true"] { color: #a63d0b; }
.gradio-container .or, .gradio-container .info-text { color: #4a4a4a; }
.source-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 12px 14px; }
.source-card:focus { outline: 3px solid #1d4ed8; outline-offset: 2px; }
.source-card h2 { margin: 0 0 4px 0; font-size: 1.05em; }
.source-meta { color: #4a4a4a; font-size: 0.9em; margin-bottom: 8px; }
.para { display: flex; gap: 10px; margin: 6px 0; padding: 4px 6px; border-radius: 6px; }
.para-label { flex: 0 0 5.5em; font-weight: 600; color: #4a4a4a; }
.para-text { flex: 1; white-space: pre-wrap; }
.para.target { background: #f3f4f6; outline: 2px solid #a63d0b; }
.para mark { background: #ffe58a; color: #1f1f1f; padding: 0 1px; }
.para-section { font-weight: 600; margin: 14px 0 2px 0; }
.assigned-note { font-size: 0.85em; color: #4a4a4a; }
.reader { max-height: 70vh; overflow-y: auto; }
.judgements { border-collapse: collapse; margin: 8px 0 12px 0; }
.judgements td, .judgements th { border: 1px solid var(--border-color-primary); padding: 4px 8px; text-align: left; }
.check-sentence { border-top: 1px solid var(--border-color-primary); padding: 10px 0; }
.check-row { display: flex; gap: 12px; margin: 6px 0 0 12px; }
.check-verdict { flex: 0 0 40%; }
.check-paragraph { flex: 1; font-size: 0.92em; white-space: pre-wrap;
                   background: #f3f4f6; padding: 6px; border-radius: 6px; }
.ok { color: #1a7f37; font-weight: 600; } .bad { color: #b42318; font-weight: 600; }
.uploaded { color: #7a4300; }
.status-error { color: #b42318; } .status-ok { color: #1a7f37; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
           clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
.back-link { display: inline-block; margin-top: 8px; }
.app-title { font-size: 1.6em; font-weight: 700; margin: 0 0 4px 0; }
.library h2 { font-size: 1.1em; margin: 0.6em 0 0.2em 0; }
.library ul { margin: 0.2em 0 0.6em 1.2em; }
.filter-note { color: #4a4a4a; font-style: italic; }
/* wide screens: the cited paragraph stays in view beside the answer while the page scrolls */
@media (min-width: 900px) {
  #source-panel { position: sticky; top: 8px; max-height: calc(100vh - 16px); overflow-y: auto; }
  #side-column { align-self: flex-start; position: sticky; top: 8px; }
}
/* phones: the answer area no taller than the screen, and no "scroll down" button over the text */
@media (max-width: 899px) {
  #chat { height: auto !important; max-height: 65vh; min-height: 12em; }
  #chat .scroll-down-button-container, #chat button[aria-label="Scroll down"] { display: none !important; }
  .tab-container button[role="tab"] { padding-left: 8px; padding-right: 8px; }
  .para { gap: 6px; } .para-label { flex-basis: 3.2em; }
}
"""


def esc(text) -> str:
    """Text as HTML that shows it literally."""
    return html.escape(str(text if text is not None else ""), quote=True)


def md_text(text: str) -> str:
    """Text as Markdown that shows it literally: Markdown punctuation and HTML are escaped."""
    return html.escape(MARKDOWN_SPECIAL_RE.sub(r"\\\1", text or ""), quote=False)


MONTH_NAMES = tuple(month.capitalize() for month in MONTHS)  # one list of the months, kept with the reading of dates
ASSIGNED = "the document prints no paragraph numbers, so this app counts them from its start"


def human_date(iso: str | None) -> str:
    """An ISO date as a person writes it: "2024-07" -> "July 2024", "2024-07-19" -> "19 July 2024"."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", (iso or "").strip())
    if not match:
        return (iso or "").strip() or "undated"
    year, month, day = match.groups()
    if not month or not 1 <= int(month) <= 12:
        return year
    return f"{int(day)} {MONTH_NAMES[int(month) - 1]} {year}" if day else f"{MONTH_NAMES[int(month) - 1]} {year}"


def short_source(citation: Citation) -> str:
    """"Ofsted 2024, paragraph 55": how a reader names a cited paragraph aloud."""
    d = citation.document
    return f"{d.publisher} {d.year or 'undated'}, paragraph {citation.paragraph.label}"


def status(message: str, ok: bool = True) -> str:
    """A one-line status message as HTML."""
    return f'<p class="{"status-ok" if ok else "status-error"}">{esc(message)}</p>'


# -- answers in the chat --------------------------------------------------------------------------


def uploaded(document: Document) -> str:
    """Who added a document through the web app, and when ("" for one ingested from the command line)."""
    if not document.added_by:
        return ""
    return f"uploaded by {document.added_by} on {human_date(document.added_at[:10]) if document.added_at else 'an unknown date'}"


def reference(citation: Citation) -> str:
    """One line of a reference list: publisher, title, date, paragraph (and who uploaded it, for an upload)."""
    d, p = citation.document, citation.paragraph
    assigned = f" ({ASSIGNED})" if p.assigned else ""
    upload = f", {uploaded(d)}" if d.added_by else ""
    return f"{d.publisher}, \u201c{d.title}\u201d ({human_date(d.date)}), paragraph {p.label}{assigned}{upload}"


def quoted_spans(answer: Answer) -> list[tuple[int, int]]:
    """Where the answer's text quotes its sources: a "[2]" inside a quotation is the document's own, not a marker."""
    spans = []
    for c in answer.citations:
        for piece in {*c.paragraph.sentence_texts(), c.paragraph.text.strip(), c.quote}:
            if not MARKER_RE.search(piece):
                continue  # only quotations holding something that looks like a marker matter
            start = answer.text.find(piece)
            while start >= 0:
                spans.append((start, start + len(piece)))
                start = answer.text.find(piece, start + 1)
    return spans


def answer_markdown(answer: Answer, turn: int, note: str = "") -> str:
    """The answer as chat Markdown: its text escaped, each marker [n] the assistant wrote a link that opens the
    source; `note` (what the search was narrowed to) said first, in italics."""
    markers = {c.marker for c in answer.citations}
    quoted = quoted_spans(answer)
    out, last = [], 0
    by_marker = {c.marker: c for c in answer.citations}
    for m in MARKER_RE.finditer(answer.text):
        if int(m.group(1)) in markers and not any(a <= m.start() < b for a, b in quoted):
            out += [md_text(answer.text[last:m.start()]), cite_link(turn, by_marker[int(m.group(1))])]
            last = m.end()
    lines = ([f"*{md_text(note)}*", ""] if note else []) + ["".join(out) + md_text(answer.text[last:])]
    if answer.citations:
        lines += ["", "**Sources:**" if answer.answered else "**Related passages:**"]
        lines += [f"{cite_link(turn, c)} {md_text(reference(c))}  " for c in answer.citations]
    return "\n".join(lines)


def cite_link(turn: int, citation: Citation) -> str:
    """A marker as a link that opens its paragraph; its title (made its accessible name by the page's script)
    says which source it is: "source 1, Ofsted 2024, paragraph 55", not "[1]"."""
    name = re.sub(r"[^\w\s,.'\u2019-]", "", f"source {citation.marker}, {short_source(citation)}")
    return f'[\\[{citation.marker}\\]](#cite-{turn}-{citation.marker} "{name}")'


def source_choices(answer: Answer | None) -> list[tuple[str, int]]:
    """(label, marker) for the list of an answer's sources."""
    if answer is None:
        return []
    return [(f"[{c.marker}] {reference(c)}", c.marker) for c in answer.citations]


# -- a paragraph in its place -------------------------------------------------------------------------


def document_header(document: Document) -> str:
    """Title, then publisher, council, date (as a person writes it) and the document's address where known: never
    the file's path on the server."""
    note = f" \u2014 {document.date_note}" if document.date_note else ""
    upload = ""
    if document.added_by:
        # an upload's title, publisher and date are what the uploader typed: say so, so no one reads it as Ofsted's own
        given = ", ".join(document.given) or "its details"
        added = uploaded(document)  # "uploaded by ... on 1 December 2026": only its first letter raised
        upload = (f'<div class="source-meta uploaded">{esc(added[:1].upper() + added[1:])}: '
                  f"{esc(given)} as the uploader gave them, not read from the document.</div>")
    place = f" \u00b7 about {esc(document.place)}" if document.place else ""
    link = ""
    if document.url and re.match(r"https?://", document.url):
        link = f' \u00b7 <a href="{esc(document.url)}" target="_blank" rel="noopener noreferrer">{esc(document.url)}</a>'
    return (f"<h2>{esc(document.title)}</h2>"
            f'<div class="source-meta">{esc(document.publisher)}{place} \u00b7 {esc(human_date(document.date))}'
            f"{esc(note)}{link}</div>{upload}")


def highlighted(paragraph: Paragraph, quote: str) -> str:
    """The paragraph's text as HTML with the quoted sentences marked."""
    text = paragraph.text
    spans = [(a, b) for a, b in paragraph.sentences if quote and text[a:b].strip() and text[a:b].strip() in quote]
    if not spans and quote and quote.strip() in text:
        start = text.index(quote.strip())
        spans = [(start, start + len(quote.strip()))]
    out, last = [], 0
    for a, b in sorted(spans):
        if a < last:
            continue
        out += [esc(text[last:a]), f"<mark>{esc(text[a:b])}</mark>"]
        last = b
    return "".join(out) + esc(text[last:])


def label_html(paragraph: Paragraph) -> str:
    if paragraph.assigned:
        return (f'{esc(paragraph.label)}<abbr title="{esc(ASSIGNED)}" aria-label="{esc(ASSIGNED)}">*</abbr>')
    return esc(paragraph.label)


def paragraph_html(paragraph: Paragraph, target: bool = False, quote: str = "", anchor: bool = False,
                   body: str | None = None) -> str:
    text = body if body is not None else highlighted(paragraph, quote) if target else esc(paragraph.text)
    anchor_id = f' id="para-{esc(slug(paragraph.label))}"' if anchor else ""
    page = f'<div class="assigned-note">page {paragraph.page}</div>' if paragraph.page else ""
    return (f'<div class="para{" target" if target else ""}"{anchor_id} data-label="{esc(paragraph.label)}">'
            f'<div class="para-label">{label_html(paragraph)}{page}</div><div class="para-text">{text}</div></div>')


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", label.lower()).strip("-")


def paragraph_in_context(document: Document, paragraphs: list[Paragraph], order: int, quote: str = "",
                         around: int = AROUND, cite: str = "", name: str = "") -> str:
    """A paragraph with its neighbours, the quoted words highlighted, under the document's title, publisher and date.

    `cite` ("TURN-MARKER") and `name` ("source 1, Ofsted 2024, paragraph 55") mark a card opened from a citation:
    the page's script moves focus to it, announces `name` and offers a way back to the answer.
    """
    at = next((i for i, p in enumerate(paragraphs) if p.order == order), None)
    if at is None:
        return status("That paragraph is no longer in the index.", ok=False)
    target = paragraphs[at]
    shown = paragraphs[max(0, at - around): at + around + 1]
    where = f" \u2014 {esc(target.section)}" if target.section and target.section != target.label else ""
    body = "".join(paragraph_html(p, target=p is target, quote=quote) for p in shown)
    opened = ""
    if cite:
        opened = (f' tabindex="-1" role="region" aria-label="{esc(name or "cited paragraph")}" '
                  f'data-cite="{esc(cite)}" data-announce="Showing {esc(name)}"')
    back = (f'<a class="back-link" href="#back-{esc(cite)}">Back to the answer</a>' if cite else "")
    return (f'<div class="source-card"{opened}>{document_header(document)}'
            f'<div class="source-meta">Paragraph {label_html(target)}{where}</div>{body}{assigned_note(shown)}{back}</div>')


def citation_html(citation: Citation, paragraphs: list[Paragraph], turn: int | None = None) -> str:
    cite = f"{turn}-{citation.marker}" if turn is not None else ""
    return paragraph_in_context(citation.document, paragraphs, citation.paragraph.order, citation.quote, cite=cite,
                                name=f"source {citation.marker}, {short_source(citation)}")


def assigned_note(paragraphs: list[Paragraph]) -> str:
    if not any(p.assigned for p in paragraphs):
        return ""
    return (f'<p class="assigned-note">* {esc(ASSIGNED)} (1 is the first paragraph after the title).</p>')


PANEL_HINT = "Click a citation number in an answer to read its paragraph here, in its place in the document."


def panel_hint() -> str:
    return f'<p class="source-meta">{esc(PANEL_HINT)}</p>'


def saved_notice(user: str | None, turns: int, items: int) -> str:
    """What the browser keeps for this person, and that it can be cleared."""
    who = f" for {user}" if user else ""
    kept = []
    if turns:
        kept.append(f"{turns} question{'s' if turns != 1 else ''} and answers")
    if items:
        kept.append(f"{items} note item{'s' if items != 1 else ''}")
    now = f" It holds {' and '.join(kept)}." if kept else ""
    return (f'<p class="source-meta">Your conversation and briefing note are kept in this browser{esc(who)}, so a '
            f"reload or a restart of the app loses nothing, until you clear them.{esc(now)}</p>")


# -- the library, for a first visit ------------------------------------------------------------------------

EXAMPLES = ("What did Ofsted say about care leaver accommodation?",
            "How has the overall judgement changed since 2016?",
            "What does the council say it has done since the 2024 inspection?")
LIMITS = ("It answers only from the documents listed here, by quoting them; it knows nothing else. When they do not "
          "answer a question it says so rather than guess. It gives no advice or opinions of its own, and a quotation "
          "is only as current as its document: check the date beside each one.")


def library_markdown(documents: list[Document], *, max_listed: int = 12) -> str:
    """What a first visit shows in the empty chat: what is in the library (documents, councils, publishers, years),
    questions to try and what the assistant cannot do. Every name is escaped."""
    if not documents:
        return "The library is empty: add a report first."
    docs = sorted(documents, key=lambda d: d.date or "", reverse=True)
    councils = sorted({d.place for d in docs if d.place})
    publishers = sorted({d.publisher for d in docs})
    years = sorted({d.year for d in docs if d.year})
    span = f"{years[0]} to {years[-1]}" if len(years) > 1 else (str(years[0]) if years else "undated")
    lines = ["**What is in the library**", "",
             f"{len(docs)} document{'s' if len(docs) != 1 else ''} from {span}; "
             f"council{'s' if len(councils) != 1 else ''}: {md_text(', '.join(councils) or 'not known')}; "
             f"publishers: {md_text(', '.join(publishers))}.", "",
             "**What it cannot do**", "", md_text(LIMITS), "", "**The documents**", ""]
    for d in docs[:max_listed]:
        lines.append(f"- {md_text(d.title)} ({md_text(d.publisher)}, {md_text(human_date(d.date))})")
    if len(docs) > max_listed:
        lines.append(f"- and {len(docs) - max_listed} more: see the Read tab")
    return "\n".join(lines)


def filters_note(chosen: dict[str, list[str]]) -> str:
    """"Searched only: council Kirklees; publisher Ofsted; year 2024.": said in the answer when the search was narrowed."""
    parts = [f"{kind} {', '.join(values)}" for kind, values in chosen.items() if values]
    return f"Searched only: {'; '.join(parts)}." if parts else ""


# -- the document reader ---------------------------------------------------------------------------


def judgement_table(document: Document) -> str:
    """The report's judgement table, where it has one."""
    rows = list(document.judgements)
    if not rows:
        return ""
    head = ("Judgement", "Grade")
    if rows[0][0].lower().startswith("judgement") or rows[0][-1].lower() == "grade":
        head, rows = rows[0], rows[1:]
    cells = "".join(f"<tr><td>{esc(area)}</td><td>{esc(grade)}</td></tr>" for area, grade in rows)
    return (f'<table class="judgements"><thead><tr><th scope="col">{esc(head[0])}</th><th scope="col">{esc(head[-1])}'
            f"</th></tr></thead><tbody>{cells}</tbody></table>")


def document_html(document: Document, paragraphs: list[Paragraph], target: str | None = None) -> str:
    """The whole document: section headings, each paragraph with its label, the judgement table (once, in the place
    of the paragraph that lists the grades)."""
    table = judgement_table(document)
    parts = [f'<div class="source-card">{document_header(document)}']
    if table and not any(p.label == "judgements" for p in paragraphs):
        parts.append(table)
    section = None
    for p in paragraphs:
        # a section named as its only paragraph's label ("details", "judgements") is said once, by the label
        if p.section and p.section != section and p.section.lower() != p.label.lower():
            parts.append(f'<div class="para-section">{esc(p.section)}</div>')
        section = p.section
        body = table if table and p.label == "judgements" else None
        parts.append(paragraph_html(p, target=target is not None and p.label == target, anchor=True, body=body))
    parts.append(assigned_note(paragraphs) + "</div>")
    return "".join(parts)


def find_label(paragraphs: list[Paragraph], label: str) -> Paragraph | None:
    """The paragraph a reader means by "55", "para 55", "paragraph 4.3." or "summary"."""
    wanted = re.sub(r"^\s*(para(graph)?s?\.?|\u00b6)\s*", "", label or "", flags=re.I).strip().rstrip(".").lower()
    if not wanted:
        return None
    return next((p for p in paragraphs if p.label.lower() == wanted), None)


# -- citation checks ---------------------------------------------------------------------------------


def check_html(results, paragraph_text) -> str:
    """Sentence by sentence: each citation, whether its paragraph exists and supports the sentence, and the paragraph.

    Args:
        results: `SentenceCheck`s from `assistant.check.check_passage`.
        paragraph_text: called as paragraph_text(document, paragraph) -> the cited paragraph's text, or None.
    """
    if not results:
        return status("No sentences to check.", ok=False)
    parts = []
    for result in results:
        rows = []
        for c in result.citations:
            if not c.exists:
                verdict = '<span class="bad">\u2717 no such paragraph</span>'
            elif c.supports:
                verdict = '<span class="ok">\u2713 supports the sentence</span>'
            else:
                verdict = '<span class="bad">\u2717 does not support the sentence</span>'
            name = getattr(c.document, "title", c.document) or "unknown document"
            where = f"{esc(name)}, paragraph {esc(getattr(c.paragraph, 'label', c.paragraph) or '?')}"
            reason = f"<div>{esc(c.reason)}</div>" if c.reason else ""
            text = paragraph_text(c.document, getattr(c.paragraph, "label", c.paragraph)) if c.exists else None
            shown = esc(text) if text else "<em>(not found)</em>"
            rows.append(f'<div class="check-row" data-exists="{str(bool(c.exists)).lower()}" '
                        f'data-supports="{str(bool(c.supports)).lower()}"><div class="check-verdict">'
                        f"<div><code>{esc(c.reference)}</code> \u2192 {where}</div><div>{verdict}</div>{reason}</div>"
                        f'<div class="check-paragraph">{shown}</div></div>')
        if not rows:
            rows.append('<div class="check-row"><em>no citation</em></div>')
        parts.append(f'<div class="check-sentence"><div>{esc(result.sentence)}</div>{"".join(rows)}</div>')
    return "".join(parts)
