"""Readers: a file becomes a list of `Line`s (text, page, layout hint), whatever its format.

Each format is read with a well-kept library (pdfplumber, python-docx, BeautifulSoup); text is
repaired with ftfy. Anything that cannot be read raises `ReadError` naming the file and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import ftfy

from assistant import settings
from assistant.errors import ReadError

READABLE_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")


@dataclass(frozen=True)
class Line:
    text: str
    page: int | None = None
    # what the format says the line is: "heading" (a section), "subheading" (a heading printed at body
    # size, under the section), "item" (a list item) or "row" (a table row, cells tab-separated);
    # "" leaves it to the numbering rules
    hint: str = ""


def read_lines(path: Path) -> list[Line]:
    """Read a document file into lines; raise ReadError with a one-line reason if it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise ReadError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        raise ReadError(f"{path}: unknown file type {suffix or '(none)'}; use one of {', '.join(READABLE_SUFFIXES)}")
    size = path.stat().st_size
    limit_mb = settings.number("MAX_FILE_MB")
    if size == 0:
        raise ReadError(f"{path}: the file is empty")
    if size > limit_mb * 1024 * 1024:
        raise ReadError(f"{path}: {size / 1024 / 1024:.1f} MB is over the {limit_mb:g} MB limit (setting ASSISTANT_MAX_FILE_MB)")
    reader = {".pdf": _read_pdf, ".docx": _read_docx, ".html": _read_html, ".htm": _read_html}.get(suffix, _read_text)
    try:
        lines = reader(path)
    except ReadError:
        raise
    except Exception as exc:  # a library's own error for a broken file: say which file, keep the reason short
        raise ReadError(f"{path}: cannot be read as {suffix[1:].upper()} ({type(exc).__name__}: {str(exc)[:120]})") from exc
    lines = [Line(repair_text(line.text), line.page, line.hint) for line in lines]
    if not any(line.text.strip() for line in lines):
        raise ReadError(f"{path}: no text found (a scanned or image-only file needs OCR first)")
    return lines


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReadError(f"{path}: looks like a binary file, not text")
    for encoding in ("utf-8-sig", "utf-16"):
        if encoding == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            bad = exc.start
    raise ReadError(f"{path}: not UTF-8 text (undecodable byte at offset {bad}); save it as UTF-8 and ingest again")


def _read_text(path: Path) -> list[Line]:
    text = _decode(path, path.read_bytes())
    lines = []
    for raw in text.splitlines():
        heading = re.match(r"^\s{0,3}#{1,6}\s+(.*)$", raw) if path.suffix.lower() == ".md" else None
        lines.append(Line(heading.group(1), hint="heading") if heading else Line(raw))
    return _one_paragraph_per_line(lines) if _lines_are_paragraphs(lines) else lines


def _lines_are_paragraphs(lines: list[Line]) -> bool:
    """True for a copied web page: its paragraphs are single lines with hardly a blank line between
    them (fewer than one per ten lines), so blank lines cannot be what separates its paragraphs."""
    filled = [line for line in lines if line.text.strip()]
    blank = len(lines) - len(filled)
    return len(filled) >= 3 and blank * 10 < len(filled)


def _one_paragraph_per_line(lines: list[Line]) -> list[Line]:
    return [part for line in lines if line.text.strip() for part in (line, Line(""))]


def _read_pdf(path: Path) -> list[Line]:
    from ingest.pdf import read_pdf  # pdfplumber is imported only when a PDF is read

    return read_pdf(path)


def _read_docx(path: Path) -> list[Line]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table as DocxTable

    try:
        document = docx.Document(str(path))
    except PackageNotFoundError as exc:
        raise ReadError(f"{path}: not a valid DOCX file (it may be encrypted or damaged)") from exc
    lines: list[Line] = []
    for block in document.iter_inner_content():  # paragraphs and tables in reading order
        if isinstance(block, DocxTable):
            for row in block.rows:
                lines.append(Line("\t".join(cell.text.strip() for cell in row.cells), hint="row"))
            lines.append(Line(""))
            continue
        style = (block.style.name or "").lower() if block.style is not None else ""
        hint = "heading" if style.startswith(("heading", "title")) else "item" if "list" in style else ""
        text = block.text.strip()
        if text:
            lines.extend([Line(f"- {text}" if hint == "item" else text, hint=hint), Line("")])
    return lines


def _read_html(path: Path) -> list[Line]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(path, path.read_bytes()), "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "form", "template"]):
        tag.decompose()
    lines: list[Line] = []
    for element in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr"]):
        if element.name == "p" and element.find_parent("li"):
            continue
        if element.name == "tr":
            text = "\t".join(cell.get_text(" ", strip=True) for cell in element.find_all(["td", "th"]))
        else:
            text = element.get_text(" ", strip=True)
        if not text:
            continue
        hint = "heading" if element.name.startswith("h") else "item" if element.name == "li" else "row" if element.name == "tr" else ""
        lines.extend([Line(f"- {text}" if hint == "item" else text, hint=hint)] + ([] if hint == "row" else [Line("")]))
    body = soup.body or soup
    everything = [line.strip() for line in body.get_text("\n").splitlines() if line.strip()]
    if sum(len(line.text) for line in lines) < 0.5 * sum(len(line) for line in everything):
        # most of the page's text is outside paragraphs and lists (<div>s and <br>s): one paragraph per line
        return _one_paragraph_per_line([Line(line) for line in everything])
    return lines


# A quote whose UTF-8 bytes were decoded as Windows-1252 and then half "fixed": the lead bytes
# became an ASCII quote and the last byte survived as ˜ ™ œ or U+009D. ftfy cannot undo this
# partial damage, so the remnant is mapped back to the curly quote it stood for.
_QUOTE_REMNANTS = {"'\u02dc": "\u2018", "'\u2122": "\u2019", "'\u0153": "\u201c", "'\x9d": "\u201d"}


def repair_text(text: str) -> str:
    """Repair mojibake (ftfy, then the half-repaired quote remnants) and strip markup remnants."""
    text = ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC")
    for remnant, quote in _QUOTE_REMNANTS.items():
        text = text.replace(remnant, quote)
    text = re.sub(r"</?[a-zA-Z][^<>]*>", " ", text)  # HTML tags left in extracted text (<ul style=...>, <u>)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)  # Markdown bold
    text = re.sub(r"\*\*", "", text)
    return re.sub(r"[ \u00a0]{2,}", " ", text).rstrip()
