"""PDF text by position: pdfplumber's words, with their font and place on the page, become `Line`s.

Why positions: a printed report's paragraphs, headings, tables, footnotes and running headers are
told apart by where and how they are printed, not by the characters alone. pdfplumber (on
pdfminer.six) gives each word whole with its box, font and size, and finds ruled tables; this
module only groups words into lines and lines into paragraphs:

- the body text size is the size most characters are printed in; smaller lines are footnotes and
  page furniture, smaller words inside a line are footnote markers ("Board1"), and both are left out;
- lines that recur at the top or bottom of most pages (digits aside) are running headers/footers;
- a vertical gap, a bullet, a printed number or a change of style starts a new paragraph; wrapped
  lines are joined (a line ending in a hyphen joins without a space);
- a line printed bold, or larger than the body, is a heading; a heading's lines are joined, and a
  word printed far to the right of it (a grade in a column) stays at its end after a colon;
- a ruled table with two or more rows becomes lines of tab-separated cells;
- a contents page (most lines ending in a page number) is left out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ReadError
from ingest.read import Line

# Bullets as PDFs print them: symbol-font glyphs land in Unicode's private use area (U+F06E is
# Wingdings' square, U+F0A7 and U+F0B7 its small square and dot), others are ordinary characters.
BULLETS = "\u2022\u25aa\u25a0\u25fc\u25cf\u00b7\u2023\u2043\u25e6\u00d8\u27a2\uf06e\uf0a7\uf0b7\uf0d8\uf0fc\uf076\uf02d\u2013\u2014-*"
BULLET_RE = re.compile(rf"^[{re.escape(BULLETS)}]\s+(?=\S)")
NUMBERED_RE = re.compile(r"^(\d{1,3}(\.\d{1,3})+\.?|\d{1,3}\.)\s+\S")
SYMBOL_FONT_RE = re.compile(r"dingbat|wingding|symbol", re.IGNORECASE)
# "Lead inspector: ...": a fact with its label, one to four words; each starts a line of its own
LABEL_RE = re.compile(r"^[A-Z][\w\u2019'-]*(?: [\w\u2019'-]+){0,3}:\s+\S")
PAGE_NUMBER_RE = re.compile(r"^(page\s+)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$", re.IGNORECASE)
# Gaps within a line, in multiples of its font size: touching (one word printed in two fonts), and
# a column's gap, far wider than a word space.
COLUMN_GAP = 2.0
TOUCHING = 0.08
# A paragraph break: a line further below the last than 1.3 times the usual line pitch.
PARAGRAPH_GAP = 1.3


@dataclass
class _Visual:
    """One printed line: its text split at wide gaps into cells, and how it is printed."""
    cells: list[str]
    x0: float
    top: float
    bottom: float
    size: float
    bold: bool
    table: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.cells)


def read_pdf(path: Path) -> list[Line]:
    """A PDF's text as lines: one per paragraph, heading (hint "heading") or table row, a blank line between."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    _refuse_if_not_pdf(path)
    try:
        with pdfplumber.open(path) as pdf:
            pages = []
            for page in pdf.pages:
                pages.append(_visual_lines(page))
                page.close()  # pdfplumber caches each page's objects: a long report would keep them all
    except (PDFPasswordIncorrect, PDFEncryptionError, PdfminerException) as exc:
        cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
        if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise ReadError(f"{path}: the PDF is encrypted; save an unprotected copy and ingest that") from exc
        raise ReadError(f"{path}: broken PDF ({type(cause).__name__}: {str(cause)[:120]})") from exc
    sizes = Counter()
    for page in pages:
        for line in page:
            if not line.table:
                sizes[round(line.size, 1)] += len(line.text)
    if not sizes:
        return []
    body = sizes.most_common(1)[0][0]
    pages = _drop_furniture([[line for line in page if line.table or line.size >= 0.92 * body] for page in pages])
    # the usual distance from one body line to the next: a paragraph break is visibly more
    pitches = Counter(round(b.top - a.top) for page in pages for a, b in zip(page, page[1:])
                      if not a.table and abs(a.size - body) < 0.5 and abs(b.size - body) < 0.5 and b.top > a.top)
    pitch = pitches.most_common(1)[0][0] if pitches else 1.2 * body
    lines: list[Line] = []
    for number, page in enumerate(pages, start=1):
        if _is_contents(page, len(pages)):
            continue
        lines += _paragraphs(page, number, body, pitch)
    return lines


def _refuse_if_not_pdf(path: Path) -> None:
    with open(path, "rb") as handle:
        head = handle.read(16384)
    if b"%PDF" in head[:1024]:
        return
    text = head.decode("utf-8", "replace")
    title = re.search(r"<title>\s*([^<]{1,80})", text, re.IGNORECASE)
    what = f"an HTML page ({title.group(1).strip()!r})" if title else "an HTML page" if "<html" in text.lower() else "something else"
    raise ReadError(f"{path}: not a PDF, though named .pdf: it is {what}; download the report again")


def _visual_lines(page) -> list[_Visual]:
    """The page's printed lines, top to bottom, with ruled tables as rows of cells."""
    # a table is two or more rows of two or more cells (a ruled box around a paragraph is not one)
    tables = [t for t in page.find_tables()
              if sum(sum(1 for c in row if c and c.strip()) >= 2 for row in t.extract()) >= 2]
    inside = [t.bbox for t in tables]

    def outside_tables(obj) -> bool:
        mid_x, mid_y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= mid_x <= x1 and top <= mid_y <= bottom for x0, top, x1, bottom in inside)

    words = [w for w in page.extract_words(extra_attrs=["fontname", "size"]) if outside_tables(w)]
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        middle = (word["top"] + word["bottom"]) / 2
        line = next((ln for ln in reversed(lines[-3:]) if ln[0]["top"] - 1 <= middle <= ln[0]["bottom"] + 1), None)
        if line is None:
            lines.append([word])
        else:
            line.append(word)
    out = [_visual(sorted(line, key=lambda w: w["x0"])) for line in lines]
    for table in tables:
        top = table.bbox[1]
        for row in table.extract():
            cells = [" ".join(str(c).split()) for c in row if c and str(c).strip()]
            if cells:
                out.append(_Visual(cells, table.bbox[0], top, top, 0.0, False, table=True))
                top += 0.001  # rows keep their order when sorted among the lines
    return sorted(out, key=lambda line: line.top)


def _visual(words: list[dict]) -> _Visual:
    size = max(w["size"] for w in words)
    if len(words[0]["text"]) == 1 and SYMBOL_FONT_RE.search(words[0]["fontname"]):
        words[0] = {**words[0], "text": "\u2022", "size": size}  # a bullet drawn from a symbol font ("n" in ZapfDingbats)
    # footnote markers and other raised small print inside a line ("Board1", "area2") are not text
    words = [w for w in words if w["size"] >= 0.8 * size]
    cells = [""]
    for before, word in zip([None, *words[:-1]], words):
        gap = word["x0"] - before["x1"] if before is not None else 0.0
        if gap > COLUMN_GAP * size:
            cells.append(word["text"])
        else:
            # pdfplumber splits a word where its font changes ("children" + "’s"): no gap, no space
            cells[-1] += (" " if gap > TOUCHING * size and cells[-1] else "") + word["text"]
    bold = sum(len(w["text"]) for w in words if re.search(r"bold|black|heavy", w["fontname"], re.I))
    return _Visual(cells, words[0]["x0"], min(w["top"] for w in words), max(w["bottom"] for w in words),
                   size, bold >= 0.9 * sum(len(w["text"]) for w in words))


def _furniture_key(line: _Visual) -> str:
    return re.sub(r"\d+", "#", " ".join(line.text.lower().split()))


def _drop_furniture(pages: list[list[_Visual]]) -> list[list[_Visual]]:
    """Drop page numbers and running headers/footers: at a page's top or bottom, a bare page number,
    or a line that recurs there (digits aside) on at least two pages and 40% of them."""
    def edges(page: list[_Visual]) -> set[int]:
        return set(range(min(2, len(page)))) | set(range(max(0, len(page) - 3), len(page)))

    seen = Counter(k for page in pages for k in {_furniture_key(page[i]) for i in edges(page) if not page[i].table})
    running = {k for k, n in seen.items() if n >= max(2, 0.4 * len(pages))}
    return [
        [line for i, line in enumerate(page)
         if line.table or not (i in edge and (PAGE_NUMBER_RE.match(line.text.strip()) or _furniture_key(line) in running))]
        for page, edge in ((page, edges(page)) for page in pages)
    ]


def _is_contents(page: list[_Visual], pages: int) -> bool:
    """A contents page: five or more lines, most of them ending in a page number of this document."""
    ends = [re.search(r"\s(\d{1,3})$", line.text) for line in page if not line.table]
    numbered = [int(m.group(1)) for m in ends if m and int(m.group(1)) <= pages]
    return len(numbered) >= 5 and len(numbered) >= 0.6 * len(ends) and numbered == sorted(numbered)


def _paragraphs(page: list[_Visual], number: int, body: float, pitch: float) -> list[Line]:
    """Join a page's printed lines into paragraphs, headings and table rows."""
    out: list[Line] = []
    group: list[_Visual] = []

    def is_heading_style(line: _Visual) -> bool:
        return line.bold or line.size >= 1.15 * body

    def flush() -> None:
        if not group:
            return
        # a cover's "Inspection dates: 8 to 19 July 2024" is a fact with its label, not a heading
        heading = (all(is_heading_style(line) for line in group) and not _starts_item(group[0].cells[0])
                   and not LABEL_RE.match(group[0].cells[0]))
        if heading:
            main = " ".join(line.cells[0] for line in group)
            extra = " ".join(cell for line in group for cell in line.cells[1:])
            text = f"{main}: {extra}" if extra else main
            heading = len(text.split()) <= 30
        else:
            text = ""
            for line in group:
                joined = line.text
                if text.endswith("-") and re.search(r"[a-z]-$", text) and joined[:1].islower():
                    text += joined  # "multi-" + "agency": the hyphen is the word's own
                else:
                    text = f"{text} {joined}".strip()
        hint = "" if not heading else "heading" if group[0].size >= 1.15 * body else "subheading"
        out.append(Line(_normalise_bullet(text), page=number, hint=hint))
        out.append(Line("", page=number))
        group.clear()

    for line in page:
        if line.table:
            flush()
            out.append(Line("\t".join(line.cells), page=number, hint="row"))
            continue
        if group:
            last = group[-1]
            usual = max(pitch, 1.25 * max(line.size, last.size))  # a heading's larger lines stand further apart
            if (line.top - last.top > PARAGRAPH_GAP * usual or _starts_item(line.cells[0]) or LABEL_RE.match(line.cells[0])
                    or is_heading_style(line) != is_heading_style(last) or abs(line.size - last.size) > 0.5):
                flush()
        group.append(line)
    flush()
    return out


def _starts_item(text: str) -> bool:
    return bool(BULLET_RE.match(text) or NUMBERED_RE.match(text))


def _normalise_bullet(text: str) -> str:
    """Every bullet glyph becomes "•", so the numbering rules see one kind of list item."""
    return BULLET_RE.sub("\u2022 ", text, count=1)
