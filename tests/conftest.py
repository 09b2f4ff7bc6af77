"""Shared fixtures: the real packaged model (loaded once), real Chroma indexes in temporary
directories, the CLI in a subprocess, and generators for the PDF and DOCX fixtures."""

from __future__ import annotations

import os

# Before anything imports huggingface, onnxruntime or gradio: nothing may leave the machine.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

import subprocess  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT_ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def embedder():
    """The real packaged all-MiniLM-L6-v2, loaded once per session."""
    from ingest.embed import Embedder

    embedder = Embedder()
    embedder.model  # noqa: B018 - load it now, not inside the first test that happens to embed
    return embedder


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory, embedder):
    """A real index (Chroma + BM25) of the bundled corpus in a temporary directory. Read-only: do not ingest into it."""
    from ingest.index import Index
    from ingest.pipeline import ingest

    index = Index(tmp_path_factory.mktemp("corpus-index"))
    report = ingest([CORPUS], index, embedder)
    assert not report.failed, report.failed
    assert len(report.added) == 5, report.summary()
    return index


@pytest.fixture
def tmp_index(tmp_path):
    """An empty real index in this test's temporary directory."""
    from ingest.index import Index

    return Index(tmp_path / "index")


@pytest.fixture
def run_cli():
    """Run `python -m MODULE ARGS` from the project root in a fresh process (env: extra variables)."""

    def run(module: str, *args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        full_env = {**os.environ, **(env or {})}
        return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=PROJECT_ROOT, env=full_env,
                              capture_output=True, text=True, timeout=timeout)

    return run


# -- generated fixture documents -------------------------------------------------------------------

@dataclass(frozen=True)
class GeneratedDoc:
    path: Path
    expected: dict  # label -> (page, words the paragraph must contain)


PDF_TITLE = "Inspection of Testshire children's services"
PDF_HEADER = "Testshire children's services inspection report"


def write_report_pdf(path: Path, *, running_header: bool = True) -> GeneratedDoc:
    """A three-page numbered report made with fpdf2. Every visual line is placed by hand so the test
    knows where each paragraph starts: paragraph 3 runs across the break from page 1 to page 2,
    paragraph 5 has a wrapped line that begins with a number, and each page carries a running
    header and a "Page N of 3" footer, neither of which is text of the report."""
    from fpdf import FPDF

    class Report(FPDF):
        def header(self):
            if running_header:
                self.set_font("Helvetica", "I", 8)
                self.cell(0, 6, PDF_HEADER, align="R", new_x="LMARGIN", new_y="NEXT")
                self.ln(4)

        def footer(self):
            self.set_y(-15)
            self.set_font("Helvetica", size=8)
            self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = Report()
    pdf.set_auto_page_break(False)
    pdf.add_page()

    def heading(text: str, size: int = 12) -> None:
        pdf.set_font("Helvetica", "B", size)
        pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("Helvetica", size=11)

    def paragraph(text: str, break_after: int | None = None) -> None:
        lines = pdf.multi_cell(0, 6, text, dry_run=True, output="LINES")
        assert break_after is None or break_after < len(lines)
        for i, line in enumerate(lines):
            if i == break_after:
                pdf.add_page()
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)

    heading(PDF_TITLE, 16)
    heading("Help and protection")
    paragraph("1. Social workers in the assessment team see children quickly and listen carefully to what they say. "
              "Managers check every referral within a day.")
    paragraph("2. Strategy meetings are timely and well attended by the police, health visitors and schools, and "
              "decisions are recorded clearly on the child's file.")
    paragraph("3. There is a strong emphasis on helping children to remain safely within their family network. Families "
              "are offered family group conferences at the earliest opportunity, where they are supported to develop "
              "their own plans so that children can stay at home with the right help.", break_after=2)
    paragraph("4. Disabled children receive a range of effective services and comprehensive packages of support.")
    heading("Children in care")
    # hand-wrapped so that a line begins with "18 ": a number inside a paragraph, not paragraph 18
    for line in ("5. In the year to March the council recruited more foster carers than in any year since records began,",
                 "18 of them for brothers and sisters who want to live together. Children told inspectors they felt safe",
                 "and settled in their homes."):
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.add_page()
    paragraph("6. Most children in care live in stable homes that meet their needs well. Their health needs are assessed "
              "promptly and reviewed every year.")
    paragraph("7. The virtual school tracks the progress of every child in care.")
    pdf.output(str(path))
    return GeneratedDoc(path, {
        "1": (1, ["see children quickly", "every referral within a day."]),
        "2": (1, ["Strategy meetings", "clearly on the child's file."]),
        "3": (1, ["family group conferences at the earliest opportunity", "stay at home with the right help."]),
        "4": (2, ["Disabled children", "packages of support."]),
        "5": (2, ["records began, 18 of them for brothers and sisters", "safe and settled in their homes."]),
        "6": (3, ["stable homes", "reviewed every year."]),
        "7": (3, ["virtual school"]),
    })


def write_article_pdf(path: Path) -> GeneratedDoc:
    """A two-page unnumbered article: paragraphs are told apart by the vertical gaps between them,
    even where a paragraph's last line runs almost the full width."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Testshire opens new family hubs", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    texts = [
        "Testshire Council has opened four family hubs in the north of the county, bringing midwives, health visitors "
        "and family support workers, housing officers, benefits advisers and librarians together under one roof.",
        "Parents said the hubs were easy to reach by bus. One mother said she had met her health visitor and a "
        "benefits adviser on the same morning.",
        "The council plans to open three more hubs next year, subject to funding from the government.",
    ]
    lines = pdf.multi_cell(0, 6, texts[0], dry_run=True, output="LINES")
    assert len(lines) == 2 and len(lines[1]) > 0.9 * len(lines[0])  # the first paragraph ends almost at full width
    for n, text in enumerate(texts):
        if n == 2:
            pdf.add_page()
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    pdf.output(str(path))
    return GeneratedDoc(path, {"1": (1, ["four family hubs", "librarians together under one roof."]),
                               "2": (1, ["easy to reach by bus", "on the same morning."]),
                               "3": (2, ["three more hubs"])})


def write_report_docx(path: Path) -> GeneratedDoc:
    """A numbered report made with python-docx: title and headings by style, typed numbers, a
    judgement table between the cover facts and the summary, bullets in Word's list style."""
    import docx

    document = docx.Document()
    document.add_heading("Inspection of Testshire children's services", 0)
    document.add_paragraph("Inspection dates: 1 to 5 May 2025")
    table = document.add_table(rows=3, cols=2)
    for r, (area, grade) in enumerate([("Judgement", "Grade"), ("Overall effectiveness", "Good"),
                                       ("The experiences and progress of care leavers", "Inadequate")]):
        table.cell(r, 0).text = area
        table.cell(r, 1).text = grade
    document.add_paragraph("Services have improved since the last inspection. Leaders know their services well.")
    document.add_heading("Help and protection", 1)
    document.add_paragraph("1. Children receive timely help from the front door.")
    document.add_paragraph("2. Strategy meetings happen quickly and include the right partners:")
    document.add_paragraph("Police officers attend every meeting.", style="List Bullet")
    document.add_paragraph("Health visitors attend most meetings.", style="List Bullet")
    document.add_paragraph("3. Social workers visit children regularly and see them alone.")
    document.add_heading("Care leavers", 1)
    document.add_paragraph("4. Care leavers have personal advisers who know them well.")
    document.save(str(path))
    return GeneratedDoc(path, {
        "details": (None, ["Inspection dates: 1 to 5 May 2025"]),
        "judgements": (None, ["The experiences and progress of care leavers: Inadequate"]),
        "summary": (None, ["Services have improved"]),
        "1": (None, ["timely help"]),
        "2": (None, ["right partners:\n- Police officers attend every meeting.\n- Health visitors attend most meetings."]),
        "3": (None, ["see them alone."]),
        "4": (None, ["personal advisers"]),
    })


def write_article_docx(path: Path) -> GeneratedDoc:
    """An unnumbered DOCX: body paragraphs get numbers assigned; headings are sections."""
    import docx

    document = docx.Document()
    document.add_heading("Council backs young carers", 0)
    document.add_paragraph("Young carers in Testshire will get a free bus pass from September.")
    document.add_heading("What carers said", 2)
    document.add_paragraph("A group of young carers asked for the pass at a council meeting in the spring.")
    document.add_paragraph("The council agreed, and the pass will also cover trips to school.")
    document.save(str(path))
    return GeneratedDoc(path, {"1": (None, ["free bus pass"]), "2": (None, ["asked for the pass"]),
                               "3": (None, ["trips to school."])})


@pytest.fixture
def report_pdf(tmp_path) -> GeneratedDoc:
    return write_report_pdf(tmp_path / "testshire-inspection.pdf")


@pytest.fixture
def article_pdf(tmp_path) -> GeneratedDoc:
    return write_article_pdf(tmp_path / "family-hubs.pdf")


@pytest.fixture
def report_docx(tmp_path) -> GeneratedDoc:
    return write_report_docx(tmp_path / "testshire-inspection.docx")


@pytest.fixture
def article_docx(tmp_path) -> GeneratedDoc:
    return write_article_docx(tmp_path / "young-carers.docx")
