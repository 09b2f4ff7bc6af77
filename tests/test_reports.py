"""Real Ofsted reports as PDFs, read right and knowing what they are without being told: each
format's layout is reproduced in a small generated PDF (tests/ofsted_pdfs.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ofsted_pdfs import write_ilacs_pdf, write_sif_pdf

from assistant.errors import AssistantError, ReadError
from ingest.describe import canonical_place
from ingest.pdf import _normalise_bullet
from ingest.pipeline import read_document

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def ilacs(tmp_path):
    return read_document(write_ilacs_pdf(tmp_path / "testshire-2025.pdf"))


@pytest.fixture
def sif(tmp_path):
    return read_document(write_sif_pdf(tmp_path / "testshire-2016.pdf"))


def by_label(paragraphs):
    labels = [p.label for p in paragraphs]
    assert len(labels) == len(set(labels)), labels
    return {p.label: p for p in paragraphs}


def test_a_report_describes_itself_with_no_flags_or_manifest(ilacs):
    document, _ = ilacs
    assert document.title == "Inspection of Testshire local authority children's services"
    assert (document.publisher, document.kind, document.place) == ("Ofsted", "inspection report", "Testshire")
    assert document.inspection_dates == "3 to 14 March 2025"
    assert document.lead_inspector == "Jane Example"
    assert document.date == "2025-03-14" and document.year == 2025
    assert document.given == ()


def test_a_report_that_never_names_ofsted_is_known_by_its_cover_and_judgement_table(tmp_path):
    # a real 2025 report's text has no "Ofsted" (its back page is not in the file): its cover still says what it is
    path = tmp_path / "riverside-2025.txt"
    path.write_text("Inspection of Riverside local authority children's services\n\nInspection dates: 2 to 6 June 2025\n\n"
                    "Judgement\tGrade\nThe experiences and progress of care leavers\tGood\nOverall effectiveness\tGood\n\n"
                    "1. Care leavers live in homes that suit them.\n", encoding="utf-8")
    document, _ = read_document(path)
    assert (document.publisher, document.kind, document.place) == ("Ofsted", "inspection report", "Riverside")


def test_inspection_dates_written_in_figures_date_the_report(tmp_path):
    # a 2015 single-framework report prints "Inspection date: 1/06/2015 – 25/06/2015", day first
    path = tmp_path / "riverside-2015.txt"
    path.write_text("Inspection of Riverside local authority children's services\n\nInspection date: 1/06/2015 \u2013 "
                    "25/06/2015\n\nLead inspector: Pat Example HMI\n\n1. Care leavers live in homes that suit them.\n",
                    encoding="utf-8")
    document, _ = read_document(path)
    assert document.date == "2015-06-25" and document.year == 2015


def test_the_ruled_judgement_table_is_read_as_the_grades_it_prints(ilacs):
    document, paragraphs = ilacs
    assert document.judgements == (
        ("The impact of leaders on social work practice with children and families", "Good"),
        ("The experiences and progress of children who need help and protection", "Good"),
        ("The experiences and progress of care leavers", "Requires improvement to be good"),
        ("Overall effectiveness", "Good"),
    )
    labels = by_label(paragraphs)
    assert "The experiences and progress of care leavers: Requires improvement to be good" in labels["judgements"].text
    assert labels["details"].text.splitlines() == ["Inspection dates: 3 to 14 March 2025",
                                                   "Lead inspector: Jane Example, His Majesty's Inspector"]
    assert "Lead inspector" not in labels["summary"].text


def test_printed_numbers_are_kept_once_and_whole_across_page_breaks_and_footers(ilacs):
    _, paragraphs = ilacs
    labels = by_label(paragraphs)
    assert [p.label for p in paragraphs if p.label.isdigit()] == ["1", "2", "3", "4", "5", "6"]
    # paragraph 3's last sentence is printed on the next page, after the running footer and page number
    assert labels["3"].text.endswith("Family group conferencing is a strength and makes a positive difference to children's lives.")
    assert labels["4"].text.startswith("Care leavers benefit")
    assert "multi-agency response" in labels["4"].text  # a word hyphenated at a line's end stays one word
    for p in paragraphs:
        assert "3 to 14 March 2025" not in p.text or p.label == "details", p.label  # the footer is not text


def test_footnotes_and_their_markers_are_left_out(ilacs):
    _, paragraphs = ilacs
    summary = by_label(paragraphs)["summary"].text
    assert "most care leavers now live in homes that suit them." in summary  # "leavers1" would be a marker glued on
    assert not any("aged 18 to 25" in p.text for p in paragraphs)


def test_headings_with_their_grade_name_the_paragraphs_under_them_and_no_others(ilacs):
    _, paragraphs = ilacs
    labels = by_label(paragraphs)
    assert labels["1"].section == "The experiences and progress of children who need help and protection: good"
    assert labels["4"].section == labels["6"].section == "The experiences and progress of care leavers: requires improvement to be good"
    assert not any(p.label.startswith("The experiences") for p in paragraphs)  # headings are not paragraphs


def test_what_needs_to_improve_is_one_list_with_its_items(ilacs):
    _, paragraphs = ilacs
    improve = by_label(paragraphs)["What needs to improve?"]
    assert improve.text.splitlines() == ["\u2022 The availability and choice of homes for care leavers.",
                                         "\u2022 The quality of written plans for the minority of children where these are weak."]


def test_the_back_page_is_not_indexed(ilacs):
    _, paragraphs = ilacs
    joined = "\n".join(p.text for p in paragraphs)
    for phrase in ("Any complaints", "You may copy all or parts", "To receive regular email alerts", "Crown copyright"):
        assert phrase not in joined


def test_a_single_framework_report_names_its_council_above_its_title(sif):
    document, _ = sif
    assert document.place == "Testshire"
    assert document.title == "Inspection of services for children in need of help and protection, children looked after and care leavers"
    assert document.inspection_dates == "12 September to 6 October 2016"
    assert document.date == "2016-10-06" and "published 25 November 2016" in document.date_note
    assert document.lead_inspector == "John Example"  # from the inspection team's list at the end


def test_a_single_framework_overall_judgement_stated_in_words_is_a_grade(sif):
    document, _ = sif
    assert document.judgements == (
        ("Overall effectiveness", "Inadequate"),
        ("Children who need help and protection", "Inadequate"),
        ("Adoption performance", "Requires improvement"),
        ("Leadership, management and governance", "Inadequate"),
    )


def test_a_grade_printed_in_a_column_beside_a_heading_stays_with_it(sif):
    _, paragraphs = sif
    labels = by_label(paragraphs)
    heading = "The experiences and progress of children who need help and protection: Inadequate"
    assert labels["1"].section == f"{heading}: Inspection findings"
    assert labels[f"{heading}"].text.startswith("There are serious and widespread failures")
    assert labels["3"].section == "Information about this inspection"  # the grade does not leak on


def test_the_contents_page_is_left_out(sif):
    _, paragraphs = sif
    assert not any("Executive summary 3" in p.text or p.label.startswith("Contents") for p in paragraphs)


@pytest.mark.parametrize("printed, place", [
    ("St. Helens Metropolitan Borough Council", "St Helens"), ("the London Borough of Hackney", "Hackney"),
    ("Nottinghamshire County Council", "Nottinghamshire"), ("City of London", "City of London"),
])
def test_one_councils_reports_of_every_year_name_one_place(printed, place):
    assert canonical_place(printed) == place


@pytest.mark.parametrize("glyph", ["\u25fc", "\uf06e", "\u00b7", "\u00d8", "\u2022", "\u2013", "\uf0a7"])
def test_every_bullet_glyph_reads_as_one_kind_of_list_item(glyph):
    assert _normalise_bullet(f"{glyph} The availability of homes.") == "\u2022 The availability of homes."


def test_a_web_page_saved_as_pdf_is_refused_saying_what_it_is(tmp_path):
    fake = tmp_path / "report.pdf"
    meta = "".join(f'<meta name="m{n}" content="{"x" * 60}">' for n in range(30))  # the title comes late, as on Ofsted's page
    fake.write_text(f"<!DOCTYPE html><html><head>{meta}<title>Report not found</title></head><body>Sorry</body></html>")
    with pytest.raises(ReadError) as caught:
        read_document(fake)
    assert "not a PDF" in str(caught.value) and "Report not found" in str(caught.value)


def test_a_manifest_entry_overrides_what_was_read_and_says_so(tmp_path):
    path = write_ilacs_pdf(tmp_path / "testshire-2025.pdf")
    (tmp_path / "manifest.json").write_text(json.dumps({path.name: {"title": "Testshire ILACS 2025", "place": "Testshire County"}}))
    document, _ = read_document(path)
    assert (document.title, document.place, document.publisher) == ("Testshire ILACS 2025", "Testshire County", "Ofsted")
    assert document.given == ("place", "title")


@pytest.mark.parametrize("meta, says", [
    ({"kind": "newspaper"}, "is not one of: inspection report, council report"),
    ({"date": "May 2024"}, "did you mean 2024-05?"),
    ({"date": "2024-13-45"}, "is not an ISO date"),
    ({"date": "19 July 2024"}, "did you mean 2024-07-19?"),
])
def test_a_kind_outside_the_set_or_a_date_that_is_not_iso_is_refused_clearly(tmp_path, meta, says):
    path = write_ilacs_pdf(tmp_path / "testshire-2025.pdf")
    with pytest.raises(AssistantError) as caught:
        read_document(path, meta)
    assert says in str(caught.value) and path.name in str(caught.value)


def cli(*args, data_dir: Path):
    env = {"ASSISTANT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "ORT_DISABLE_TELEMETRY": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)


def test_ingest_flags_are_kept_and_document_prints_the_registered_record(tmp_path):
    path = write_ilacs_pdf(tmp_path / "testshire-2025.pdf")
    data = tmp_path / "data"
    bad = cli("-m", "ingest", str(path), "--date", "May 2024", "--quiet", data_dir=data)
    assert bad.returncode != 0 and "did you mean 2024-05?" in bad.stderr and "Traceback" not in bad.stderr
    done = cli("-m", "ingest", str(path), "--publisher", "Ofsted (as given)", "--quiet", data_dir=data)
    assert done.returncode == 0, done.stderr
    again = cli("-m", "ingest", str(path), "--quiet", data_dir=data)  # no flags: what was given is kept
    assert again.returncode == 0 and "1 unchanged" in again.stdout, again.stdout + again.stderr
    shown = cli("-m", "assistant", "document", str(path), "--json", data_dir=data)
    record = json.loads(shown.stdout)
    assert record["publisher"] == "Ofsted (as given)" and record["given"] == ["publisher"]
    assert record["source"] == f"{tmp_path.name}/testshire-2025.pdf"  # never the server's absolute path
    assert record["place"] == "Testshire" and "place" in record["read"]
    assert {"area": "Overall effectiveness", "grade": "Good"} in record["judgements"]
    listed = cli("-m", "assistant", "paragraphs", str(path), data_dir=data)
    assert listed.stdout.startswith("Ofsted (as given),")
