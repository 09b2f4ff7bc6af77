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

AROUND = 1  # paragraphs shown either side of a cited one
MARKER_RE = re.compile(r"\[(\d+)\]")
MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")

CSS = """
.source-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 12px 14px; }
.source-card h3 { margin: 0 0 4px 0; font-size: 1.05em; }
.source-meta { color: var(--body-text-color-subdued); font-size: 0.9em; margin-bottom: 8px; }
.para { display: flex; gap: 10px; margin: 6px 0; padding: 4px 6px; border-radius: 6px; }
.para-label { flex: 0 0 5.5em; font-weight: 600; color: var(--body-text-color-subdued); }
.para-text { flex: 1; white-space: pre-wrap; }
.para.target { background: var(--background-fill-secondary); outline: 2px solid var(--color-accent); }
.para mark { background: #ffe58a; color: inherit; padding: 0 1px; }
.para-section { font-weight: 600; margin: 14px 0 2px 0; }
.assigned-note { font-size: 0.85em; color: var(--body-text-color-subdued); }
.reader { max-height: 70vh; overflow-y: auto; }
.judgements { border-collapse: collapse; margin: 8px 0 12px 0; }
.judgements td, .judgements th { border: 1px solid var(--border-color-primary); padding: 4px 8px; text-align: left; }
.check-sentence { border-top: 1px solid var(--border-color-primary); padding: 10px 0; }
.check-row { display: flex; gap: 12px; margin: 6px 0 0 12px; }
.check-verdict { flex: 0 0 40%; }
.check-paragraph { flex: 1; font-size: 0.92em; white-space: pre-wrap;
                   background: var(--background-fill-secondary); padding: 6px; border-radius: 6px; }
.ok { color: #1a7f37; font-weight: 600; } .bad { color: #c62828; font-weight: 600; }
.uploaded { color: #8a4b00; }
.status-error { color: #c62828; } .status-ok { color: #1a7f37; }
"""


def esc(text) -> str:
    """Text as HTML that shows it literally."""
    return html.escape(str(text if text is not None else ""), quote=True)


def md_text(text: str) -> str:
    """Text as Markdown that shows it literally: Markdown punctuation and HTML are escaped."""
    return html.escape(MARKDOWN_SPECIAL_RE.sub(r"\\\1", text or ""), quote=False)


def status(message: str, ok: bool = True) -> str:
    """A one-line status message as HTML."""
    return f'<p class="{"status-ok" if ok else "status-error"}">{esc(message)}</p>'


# -- answers in the chat --------------------------------------------------------------------------


def uploaded(document: Document) -> str:
    """Who added a document through the web app, and when ("" for one ingested from the command line)."""
    if not document.added_by:
        return ""
    return f"uploaded by {document.added_by} on {document.added_at[:10] or 'an unknown date'}"


def reference(citation: Citation) -> str:
    """One line of a reference list: publisher, title, date, paragraph (and who uploaded it, for an upload)."""
    d, p = citation.document, citation.paragraph
    assigned = " (number assigned)" if p.assigned else ""
    upload = f", {uploaded(d)}" if d.added_by else ""
    return f"{d.publisher}, \u201c{d.title}\u201d ({d.date or 'undated'}), paragraph {p.label}{assigned}{upload}"


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


def answer_markdown(answer: Answer, turn: int) -> str:
    """The answer as chat Markdown: its text escaped, each marker [n] the assistant wrote a link that opens the source."""
    markers = {c.marker for c in answer.citations}
    quoted = quoted_spans(answer)
    out, last = [], 0
    for m in MARKER_RE.finditer(answer.text):
        if int(m.group(1)) in markers and not any(a <= m.start() < b for a, b in quoted):
            out += [md_text(answer.text[last:m.start()]), cite_link(turn, int(m.group(1)))]
            last = m.end()
    lines = ["".join(out) + md_text(answer.text[last:])]
    if answer.citations:
        lines += ["", "**Sources:**" if answer.answered else "**Related passages:**"]
        lines += [f"{cite_link(turn, c.marker)} {md_text(reference(c))}  " for c in answer.citations]
    return "\n".join(lines)


def cite_link(turn: int, marker: int) -> str:
    return f"[\\[{marker}\\]](#cite-{turn}-{marker})"


def source_choices(answer: Answer | None) -> list[tuple[str, int]]:
    """(label, marker) for the list of an answer's sources."""
    if answer is None:
        return []
    return [(f"[{c.marker}] {reference(c)}", c.marker) for c in answer.citations]


# -- a paragraph in its place -------------------------------------------------------------------------


def document_header(document: Document) -> str:
    when = document.date or "undated"
    note = f" \u2014 {document.date_note}" if document.date_note else ""
    upload = ""
    if document.added_by:
        # an upload's title, publisher and date are what the uploader typed: say so, so no one reads it as Ofsted's own
        given = ", ".join(document.given) or "its details"
        upload = (f'<div class="source-meta uploaded">{esc(uploaded(document).capitalize())}: '
                  f"{esc(given)} as the uploader gave them, not read from the document.</div>")
    return (f"<h3>{esc(document.title)}</h3>"
            f'<div class="source-meta">{esc(document.publisher)} \u00b7 {esc(when)}{esc(note)} \u00b7 '
            f"<code>{esc(document.id)}</code></div>{upload}")


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
        return f'<span title="number assigned in reading order: the source prints none">{esc(paragraph.label)}*</span>'
    return esc(paragraph.label)


def paragraph_html(paragraph: Paragraph, target: bool = False, quote: str = "", anchor: bool = False) -> str:
    text = highlighted(paragraph, quote) if target else esc(paragraph.text)
    anchor_id = f' id="para-{esc(slug(paragraph.label))}"' if anchor else ""
    page = f'<div class="assigned-note">page {paragraph.page}</div>' if paragraph.page else ""
    return (f'<div class="para{" target" if target else ""}"{anchor_id} data-label="{esc(paragraph.label)}">'
            f'<div class="para-label">{label_html(paragraph)}{page}</div><div class="para-text">{text}</div></div>')


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", label.lower()).strip("-")


def paragraph_in_context(document: Document, paragraphs: list[Paragraph], order: int, quote: str = "",
                         around: int = AROUND) -> str:
    """A paragraph with its neighbours, the quoted words highlighted, under the document's title, publisher and date."""
    at = next((i for i, p in enumerate(paragraphs) if p.order == order), None)
    if at is None:
        return status("That paragraph is no longer in the index.", ok=False)
    target = paragraphs[at]
    shown = paragraphs[max(0, at - around): at + around + 1]
    where = f" \u2014 {esc(target.section)}" if target.section else ""
    body = "".join(paragraph_html(p, target=p is target, quote=quote) for p in shown)
    return (f'<div class="source-card">{document_header(document)}'
            f'<div class="source-meta">Paragraph {label_html(target)}{where}</div>{body}{assigned_note(shown)}</div>')


def citation_html(citation: Citation, paragraphs: list[Paragraph]) -> str:
    return paragraph_in_context(citation.document, paragraphs, citation.paragraph.order, citation.quote)


def assigned_note(paragraphs: list[Paragraph]) -> str:
    if not any(p.assigned for p in paragraphs):
        return ""
    return ('<p class="assigned-note">* number assigned in reading order: the source prints no paragraph numbers, '
            "so paragraphs are counted from the start.</p>")


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
    return (f'<table class="judgements"><thead><tr><th>{esc(head[0])}</th><th>{esc(head[-1])}</th></tr></thead>'
            f"<tbody>{cells}</tbody></table>")


def document_html(document: Document, paragraphs: list[Paragraph], target: str | None = None) -> str:
    """The whole document: judgement table, section headings, each paragraph with its label."""
    parts = [f'<div class="source-card">{document_header(document)}{judgement_table(document)}']
    section = None
    for p in paragraphs:
        if p.section and p.section != section:
            parts.append(f'<div class="para-section">{esc(p.section)}</div>')
        section = p.section
        parts.append(paragraph_html(p, target=target is not None and p.label == target, anchor=True))
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
