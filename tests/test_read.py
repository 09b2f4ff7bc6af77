"""Readers: each format becomes lines with the right text (and pages, for PDF); a file that cannot be
read raises one clear ReadError line naming the file and saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import ReadError
from ingest.read import read_lines, repair_text

DATA = Path(__file__).resolve().parent / "data"


def texts(path: Path) -> list[str]:
    return [line.text for line in read_lines(path) if line.text.strip()]


def read_error(path: Path) -> str:
    """The message a person sees for a file that cannot be read: one line, naming the file."""
    with pytest.raises(ReadError) as caught:
        read_lines(path)
    message = str(caught.value)
    assert "\n" not in message
    assert path.name in message
    return message


# -- what the readers read -------------------------------------------------------------------------------

def test_text_reader_keeps_lines_and_repairs_mojibake():
    lines = texts(DATA / "press-article.txt")
    assert lines[0] == "Testshire council's foster care service rated \u2018outstanding' by inspectors"
    assert any("the children\u2019s own views" in line for line in lines)
    assert not any("\u02dc" in line or "\u00e2\u20ac" in line for line in lines)


def test_text_reader_accepts_a_byte_order_mark_utf16_and_windows_line_endings(tmp_path):
    (tmp_path / "bom.txt").write_bytes("\ufeffFirst line.\r\nSecond line.\r\n".encode())
    assert texts(tmp_path / "bom.txt") == ["First line.", "Second line."]
    (tmp_path / "wide.txt").write_text("Caf\u00e9 report.\nSecond line.\n", encoding="utf-16")
    assert texts(tmp_path / "wide.txt") == ["Caf\u00e9 report.", "Second line."]


def test_markdown_headings_are_marked_as_headings():
    lines = [line for line in read_lines(DATA / "blog-post.md") if line.text]
    assert (lines[0].text, lines[0].hint) == ("How we plan homes for care leavers", "heading")
    heading = next(line for line in lines if line.text == "What changed this year")
    assert heading.hint == "heading"
    assert any("joint protocol" in line.text and "**" not in line.text for line in lines)


def test_html_reader_reads_the_body_not_scripts_styles_or_navigation():
    lines = texts(DATA / "news-item.html")
    assert lines[0] == "Council praises foster carers"
    assert "Testshire Council has thanked its foster carers after a record year of recruitment." in lines
    assert "- children live in stable homes;" in lines
    joined = "\n".join(lines)
    for hidden in ("tracking", "color: red", "Home News", "All rights reserved"):
        assert hidden not in joined
    assert "&amp;" not in joined and "& more than any" in joined


def test_pdf_reader_keeps_page_numbers_and_drops_running_headers_and_footers(report_pdf):
    lines = [line for line in read_lines(report_pdf.path) if line.text]
    assert {line.page for line in lines} == {1, 2, 3}
    page_of = {line.text.split(". ")[0]: line.page for line in lines if line.text[:2].rstrip(".").isdigit()}
    assert page_of == {"1": 1, "2": 1, "3": 1, "4": 2, "5": 2, "6": 3, "7": 3}
    # paragraph 3 continues at the top of page 2
    assert any(line.page == 2 and line.text == "plans so that children can stay at home with the right help." for line in lines)
    joined = "\n".join(line.text for line in lines)
    assert "Page 1 of 3" not in joined and "Page 3 of 3" not in joined
    assert "inspection report" not in joined


def test_pdf_reader_joins_wrapped_lines_into_paragraphs(report_pdf):
    lines = texts(report_pdf.path)
    assert ("5. In the year to March the council recruited more foster carers than in any year since records began, "
            "18 of them for brothers and sisters who want to live together. Children told inspectors they felt safe "
            "and settled in their homes.") in lines
    assert "Children in care" in lines  # the heading stays a line of its own
    assert "4. Disabled children receive a range of effective services and comprehensive packages of support." in lines


def test_docx_reader_keeps_reading_order_headings_lists_and_tables(report_docx):
    lines = [line for line in read_lines(report_docx.path) if line.text]
    order = [line.text for line in lines]
    assert order.index("Inspection dates: 1 to 5 May 2025") < order.index("Judgement\tGrade") < order.index(
        "Services have improved since the last inspection. Leaders know their services well.")
    assert "Overall effectiveness\tGood" in order
    hints = {line.text: line.hint for line in lines}
    assert hints["Help and protection"] == "heading"
    assert hints["- Police officers attend every meeting."] == "item"


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_an_owner_password_pdf_that_opens_without_a_password_is_read(report_pdf, tmp_path, algorithm):
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(report_pdf.path))
    writer.encrypt(user_password="", owner_password="owner-only", algorithm=algorithm)
    restricted = tmp_path / "restricted.pdf"
    writer.write(str(restricted))
    assert texts(restricted) == texts(report_pdf.path)


def test_repair_text_fixes_the_half_repaired_quote_and_markup():
    assert repair_text("deemed '\u02dcinadequate' by") == "deemed \u2018inadequate' by"
    assert repair_text("the children\u00e2\u20ac\u2122s views") == "the children\u2019s views"
    assert repair_text('Recommendations <ul style="list-style-type: none"> The panel notes') == "Recommendations The panel notes"
    assert repair_text("- **Strengthening our Fostering Service**") == "- Strengthening our Fostering Service"


# -- what cannot be read -------------------------------------------------------------------------------------

def test_an_encrypted_pdf_is_refused(report_pdf, tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(report_pdf.path))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    locked = tmp_path / "locked.pdf"
    writer.write(str(locked))
    assert "encrypted" in read_error(locked)


@pytest.mark.parametrize("keep", [0.5, 0.1])
def test_a_truncated_pdf_is_refused(report_pdf, tmp_path, keep):
    data = report_pdf.path.read_bytes()
    broken = tmp_path / "truncated.pdf"
    broken.write_bytes(data[: int(len(data) * keep)])
    message = read_error(broken)
    assert "PDF" in message


def test_a_text_file_named_pdf_is_refused(tmp_path):
    fake = tmp_path / "fake.pdf"
    fake.write_text("This is not a PDF, just words.\n")
    assert "PDF" in read_error(fake)


def test_an_image_only_pdf_has_no_text(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    scanned = tmp_path / "scanned.pdf"
    pdf.output(str(scanned))
    assert "no text found" in read_error(scanned)


def test_a_damaged_docx_is_refused(tmp_path):
    bad = tmp_path / "damaged.docx"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    assert "not a valid DOCX" in read_error(bad)


def test_an_empty_file_is_refused(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert "empty" in read_error(empty)


def test_a_file_of_blank_lines_has_no_text(tmp_path):
    blank = tmp_path / "blank.md"
    blank.write_text("   \n\n\t\n")
    assert "no text found" in read_error(blank)


@pytest.mark.parametrize("name", ["photo.txt", "photo.md", "photo.html"])
def test_a_binary_file_with_a_text_suffix_is_refused(tmp_path, name):
    binary = tmp_path / name
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    assert "binary" in read_error(binary)


def test_a_non_utf8_text_file_is_refused_with_what_to_do(tmp_path):
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("The caf\u00e9 report. A na\u00efve plan.\n".encode("latin-1"))
    message = read_error(latin)
    assert "not UTF-8" in message and "save it as UTF-8" in message


@pytest.mark.parametrize("name", ["report.rtf", "report.doc", "report"])
def test_an_unknown_file_type_is_refused(tmp_path, name):
    unknown = tmp_path / name
    unknown.write_text("Some words.\n")
    message = read_error(unknown)
    assert "unknown file type" in message and ".pdf" in message


def test_a_missing_file_is_refused(tmp_path):
    assert "no such file" in read_error(tmp_path / "missing.txt")


def test_a_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    big.write_text("A sentence about children's services.\n" * 60_000)  # about 2.3 MB
    monkeypatch.setenv("ASSISTANT_MAX_FILE_MB", "1")
    message = read_error(big)
    assert "over the 1 MB limit" in message and "ASSISTANT_MAX_FILE_MB" in message
    monkeypatch.setenv("ASSISTANT_MAX_FILE_MB", "5")
    assert len(texts(big)) == 60_000


# -- copies of web pages ---------------------------------------------------------------------------------

WEB_PAGE = """Home > News > Children's services
Council praised for work with care leavers
Published 3 May 2024
Share this page
Testshire Council has been praised by inspectors for the support it gives young people leaving care.
Inspectors said personal advisers knew the young people well and visited them often.
The council's cabinet member for children said she was proud of the staff.
Follow Testshire Council on Twitter
We use cookies to make this website work.
"""


def test_a_copied_web_page_with_one_line_per_paragraph_is_one_paragraph_per_line(tmp_path):
    from ingest.pipeline import read_document

    (tmp_path / "news.txt").write_text(WEB_PAGE)
    document, paragraphs = read_document(tmp_path / "news.txt")
    assert document.title == "Council praised for work with care leavers"
    assert document.date == "2024-05-03"  # from its "Published" line, which is not a paragraph
    assert [p.text.split()[0] for p in paragraphs] == ["Testshire", "Inspectors", "The"]
    assert [p.label for p in paragraphs] == ["1", "2", "3"] and all(p.assigned for p in paragraphs)


def test_an_html_page_laid_out_in_divs_and_line_breaks_is_one_paragraph_per_line(tmp_path):
    from ingest.pipeline import read_document

    body = "<br>\n".join(WEB_PAGE.splitlines())
    (tmp_path / "news.html").write_text(f"<html><body><div class='story'>{body}</div></body></html>")
    _, paragraphs = read_document(tmp_path / "news.html")
    assert len(paragraphs) == 3 and paragraphs[1].text.startswith("Inspectors said personal advisers")
    assert not any("cookies" in p.text or "Twitter" in p.text or "Share" in p.text for p in paragraphs)
