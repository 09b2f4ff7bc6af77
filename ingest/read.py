"""Readers: a file becomes a list of `Line`s (text, page, layout hint), whatever its format.

Each format is read with a well-kept library (pypdf, python-docx, BeautifulSoup); text is
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
    hint: str = ""  # "heading" or "item" when the format says so; "" leaves it to the numbering rules


def read_lines(path: Path) -> list[Line]:
    """Read a document file into lines; raise ReadError with a one-line reason if it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise ReadError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        raise ReadError(f"{path}: unknown file type {suffix or '(none)'}; use one of {', '.join(READABLE_SUFFIXES)}")
    size = path.stat().st_size
    limit_mb = float(settings.get("MAX_FILE_MB"))
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
    return lines


def _read_pdf(path: Path) -> list[Line]:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        # a PDF with only an owner password (print/copy restrictions) opens with the empty password
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ReadError(f"{path}: the PDF is encrypted; save an unprotected copy and ingest that")
        pages = [_page_text(page).splitlines() for page in reader.pages]
    except PdfReadError as exc:
        raise ReadError(f"{path}: broken PDF ({exc})") from exc
    lines: list[Line] = []
    for number, page_lines in enumerate(_drop_page_furniture(pages), start=1):
        lines.extend(Line(raw, page=number) for raw in _unwrap_pdf_lines(page_lines))
        lines.append(Line("", page=number))  # a page break is a block boundary the numbering rules may join
    return lines


def _page_text(page) -> str:
    """A page's text; layout mode keeps the vertical gaps between paragraphs and around headings as blank lines."""
    try:
        return page.extract_text(extraction_mode="layout") or ""
    except Exception:  # layout mode is stricter about odd fonts: fall back to plain extraction
        return page.extract_text() or ""


_PAGE_NUMBER_RE = re.compile(r"^(page\s+)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$", re.IGNORECASE)


def _drop_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Drop page numbers and running headers/footers: lines at the top or bottom of a page that are
    a bare page number ("Page 2 of 3"), or short lines that recur there (digits aside) on most pages
    and do not end a sentence as the last line of a paragraph does."""
    def key(line: str) -> str:
        return re.sub(r"\d+", "#", " ".join(line.split()).lower())

    def edges(lines: list[str]) -> set[int]:
        filled = [i for i, line in enumerate(lines) if line.strip()]
        return set(filled[:2] + filled[-2:])

    seen: dict[str, int] = {}
    for lines in pages:
        for k in {key(lines[i]) for i in edges(lines)}:
            seen[k] = seen.get(k, 0) + 1
    running = {k for k, n in seen.items()
               if n >= max(2, 0.6 * len(pages)) and len(k.split()) <= 12 and not k.endswith(tuple(".!?:;,"))}
    return [
        [line for i, line in enumerate(lines)
         if not (i in edge and (_PAGE_NUMBER_RE.match(line.strip()) or key(line) in running))]
        for lines, edge in ((lines, edges(lines)) for lines in pages)
    ]


def _unwrap_pdf_lines(raw_lines: list[str]) -> list[str]:
    """PDF text comes as wrapped visual lines: join them back into one line per paragraph.

    A blank line (a vertical gap) ends a paragraph. So does a line that ends a sentence and is
    visibly short of the full width, a line far short of the full width (a heading or title), or
    the next line starting a numbered paragraph ("1. ", "4.3 ", "4.1. ") or a bullet. A wrapped
    line that merely begins with a number ("18 children ...") continues its paragraph.
    """
    raw_lines = [" ".join(raw.split()) for raw in raw_lines]  # layout mode pads with spaces
    width = max((len(line) for line in raw_lines), default=0)
    out: list[str] = []
    current = ""
    for line in raw_lines:
        if not line:
            if current:
                out.append(current)
                current = ""
            out.append("")
            continue
        starts_block = bool(re.match(r"^(\d+(\.\d+)+\.?\s|\d+\.\s|[-\u2022\u2013*]\s)", line))
        if current and starts_block:
            out.append(current)
            current = ""
        current = f"{current} {line}".strip()
        if re.search(r"[.!?:\"\u201d]$", line) and len(line) < 0.85 * width or len(line) < 0.6 * width:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    # blank line between the paragraphs we found, so the numbering rules see blocks
    return [part for line in out for part in (line, "")]


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
                lines.append(Line("\t".join(cell.text.strip() for cell in row.cells)))
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
        hint = "heading" if element.name.startswith("h") else "item" if element.name == "li" else ""
        lines.extend([Line(f"- {text}" if hint == "item" else text, hint=hint), Line("")])
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
