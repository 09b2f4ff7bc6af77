"""Paragraph numbering as a reader checking a citation sees it: on the bundled corpus (through
`read_document` and through the `paragraphs` / `show` commands) and on the tests' own fixtures."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from assistant.errors import ReadError
from ingest.pipeline import read_document
from ingest.read import Line, read_lines, repair_text
from ingest.structure import parse

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT_ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"

OFSTED = "2024-ofsted-ilacs-inspection.txt"
SCRUTINY = "2026-scrutiny-panel-progress-report.txt"
COUNCIL_2019 = "2019-council-response-to-ofsted.txt"
MONITORING = "2019-monitoring-visit-news.txt"
PRESS_2016 = "2016-press-inadequate.txt"
UNNUMBERED = [COUNCIL_2019, MONITORING, PRESS_2016]

SCRUTINY_NUMBERS = ([f"1.{n}" for n in range(1, 9)] + [f"2.{n}" for n in range(1, 14)] + [f"3.{n}" for n in range(1, 5)]
                    + [f"4.{n}" for n in range(1, 11)] + [f"5.{n}" for n in range(1, 8)])


@cache
def corpus_doc(name: str):
    return read_document(CORPUS / name)


def by_label(paragraphs) -> dict:
    labels = [p.label for p in paragraphs]
    assert len(labels) == len(set(labels)), f"duplicate labels: {sorted(x for x in labels if labels.count(x) > 1)}"
    return {p.label: p for p in paragraphs}


def all_text(name: str) -> str:
    document, paragraphs = corpus_doc(name)
    return "\n".join([document.title] + [p.section for p in paragraphs] + [p.text for p in paragraphs])


# -- the 2024 Ofsted report ----------------------------------------------------------------------

def test_ofsted_2024_numbers_1_to_69_each_once_in_order():
    document, paragraphs = corpus_doc(OFSTED)
    assert document.id == f"corpus/{OFSTED}"
    numbered = [p.label for p in paragraphs if p.label.isdigit()]
    assert numbered == [str(n) for n in range(1, 70)]
    assert not any(p.assigned for p in paragraphs)
    assert [p.order for p in paragraphs] == list(range(len(paragraphs)))


def test_ofsted_2024_text_before_paragraph_1_has_findable_section_labels():
    _, paragraphs = corpus_doc(OFSTED)
    first = [p.label for p in paragraphs][:5]
    assert first == ["details", "judgements", "summary 1", "summary 2", "What needs to improve?"]
    assert paragraphs[5].label == "1"


def test_ofsted_2024_paragraph_7_is_whole_across_its_page_break():
    p7 = by_label(corpus_doc(OFSTED)[1])["7"]
    assert "family group conferences at the earliest opportunity" in p7.text
    assert p7.text.startswith("There is a strong emphasis by workers")
    assert p7.text.endswith("making a positive difference to children's and families' experiences.")
    assert "\n" not in p7.text
    assert not any(p.text.startswith("earliest opportunity") for p in corpus_doc(OFSTED)[1])


def test_ofsted_2024_judgement_table_is_structured_data_and_a_findable_paragraph():
    document, paragraphs = corpus_doc(OFSTED)
    grades = dict(document.judgements)
    assert grades["The experiences and progress of care leavers"] == "Requires improvement to be good"
    assert grades["Overall effectiveness"] == "Good"
    assert grades["The experiences and progress of children in care"] == "Good"
    assert len(grades) == 5 and "Judgement" not in grades
    table = by_label(paragraphs)["judgements"]
    assert "The experiences and progress of care leavers: Requires improvement to be good" in table.text.splitlines()
    assert "Overall effectiveness: Good" in table.text.splitlines()


def test_ofsted_2024_summary_improvements_and_details():
    labels = by_label(corpus_doc(OFSTED)[1])
    assert labels["summary 1"].text.startswith("Since the previous inspection in 2019")
    assert labels["summary 2"].text.startswith("Variability remains in the quality and impact of services for care leavers.")
    improve = labels["What needs to improve?"].text.splitlines()
    assert improve == [
        "- The availability and choice of homes for children in care and care leavers.",
        "- The quality of written plans, records and meeting minutes for the minority of children in care and care leavers where these documents are weak.",
        "- The effectiveness of practice with every child who is experiencing harm from neglect and / or domestic abuse.",
    ]
    assert "Lead inspector: Rachel Griffiths, His Majesty's Inspector" in labels["details"].text
    assert "Inspection dates: 8 to 19 July 2024" in labels["details"].text


def test_ofsted_2024_sections_are_the_report_headings():
    labels = by_label(corpus_doc(OFSTED)[1])
    assert labels["1"].section.startswith("The experiences and progress of children who need help and protection")
    assert labels["55"].section.startswith("The experiences and progress of care leavers")
    assert labels["69"].section.startswith("The impact of leaders on social work practice")
    headings = {p.section for p in corpus_doc(OFSTED)[1]}
    assert not any(p.text in headings for p in corpus_doc(OFSTED)[1])


@pytest.mark.parametrize("boilerplate", ["Piccadilly Gate", "Crown copyright", "Open Government Licence", "M1 2WD",
                                         "enquiries@ofsted.gov.uk", "Textphone", "large print or Braille",
                                         "regulates and inspects", "subscribe to our monthly newsletter"])
def test_ofsted_2024_boilerplate_is_not_indexed(boilerplate):
    assert boilerplate.lower() not in all_text(OFSTED).lower()


def test_ofsted_2024_last_paragraph_ends_where_the_report_does():
    p69 = by_label(corpus_doc(OFSTED)[1])["69"]
    assert p69.text.endswith("a strong offer to newly qualified social workers.")
    assert corpus_doc(OFSTED)[1][-1].label == "69"


# -- the 2026 scrutiny report -------------------------------------------------------------------------

def test_scrutiny_2026_keeps_its_own_dotted_numbers():
    document, paragraphs = corpus_doc(SCRUTINY)
    numbered = [p.label for p in paragraphs if p.label[0].isdigit()]
    assert numbered == SCRUTINY_NUMBERS
    assert "4.1." not in {p.label for p in paragraphs}
    assert not any(p.assigned for p in paragraphs)
    assert by_label(paragraphs)["4.1"].text.startswith("Ofsted assessed the experiences and progress of care leavers")


def test_scrutiny_2026_paragraph_1_2_is_whole_across_its_page_break():
    p12 = by_label(corpus_doc(SCRUTINY)[1])["1.2"]
    assert "care leavers to live in, and with the consistency and quality of written records" in p12.text
    assert p12.text.endswith("for children in care and care leavers.")
    assert not any(p.text.startswith("in, and with the consistency") for p in corpus_doc(SCRUTINY)[1])


def test_scrutiny_2026_bullets_stay_inside_their_paragraph():
    labels = by_label(corpus_doc(SCRUTINY)[1])
    lines = labels["1.4"].text.splitlines()
    assert lines[0] == "The areas of improvement identified by Ofsted during the inspection were:"
    assert len(lines) == 4 and all(line.startswith("- ") for line in lines[1:])
    assert "- The availability and choice of homes for children in care and care leavers." in lines
    p34 = labels["3.4"].text
    for item in ("- Expanding and improving internal residential provision", "- Strengthening our Fostering Service",
                 "- Strengthening governance and market engagement", "Running provider forums, visiting local homes"):
        assert item in p34
    # nothing of 3.4's list leaks into paragraphs of its own
    assert not any(p.text.startswith(("Increasing internal capacity", "Running provider forums")) for p in corpus_doc(SCRUTINY)[1])


@pytest.mark.parametrize("markup", ["<ul", "<u>", "</u>", "list-style", "**"])
def test_scrutiny_2026_no_markup_remnants(markup):
    assert markup not in all_text(SCRUTINY)


def test_scrutiny_2026_section_headings_are_not_paragraphs():
    paragraphs = corpus_doc(SCRUTINY)[1]
    labels = by_label(paragraphs)
    assert labels["1.1"].section == "Executive Summary"
    assert labels["5.7"].section == "Concluding comments"
    assert labels["2.11"].section.endswith("The quality of written plans, records and meeting minutes for the minority of "
                                           "children in care and care leavers where these documents are weak")
    for heading in ("Executive Summary", "Concluding comments", "Information required to take a decision"):
        assert not any(p.text.strip().rstrip(".") == heading for p in paragraphs)
    assert not {str(n) for n in range(1, 17)} & set(labels)  # section numbers are not paragraph labels
    assert "Lead inspector" not in all_text(SCRUTINY)
    assert "Date: 19th March 2026" in labels["details"].text


# -- the three unnumbered documents ---------------------------------------------------------------------

@pytest.mark.parametrize("name", UNNUMBERED)
def test_unnumbered_documents_get_numbers_assigned_in_reading_order(name):
    _, paragraphs = corpus_doc(name)
    assert [p.label for p in paragraphs] == [str(n) for n in range(1, len(paragraphs) + 1)]
    assert all(p.assigned for p in paragraphs)
    source = repair_text((CORPUS / name).read_text(encoding="utf-8"))
    # reading order: each paragraph's opening words appear in the file after the previous one's
    positions = [source.find(p.text.splitlines()[0][10:60]) for p in paragraphs]
    assert all(pos >= 0 for pos in positions), [p.label for p, pos in zip(paragraphs, positions, strict=True) if pos < 0]
    assert positions == sorted(positions)


def test_unnumbered_documents_first_and_last_paragraphs():
    press = corpus_doc(PRESS_2016)[1]
    assert press[0].text == "Kirklees Council has \u2018systemically failed' in its duty of care to vulnerable children."
    assert press[-1].text.startswith("\u201cIt exists to hold us to account")
    monitoring = corpus_doc(MONITORING)[1]
    assert monitoring[0].text.startswith("Kirklees children\u2019s services has made \u201csignificant progress\u201d")
    assert monitoring[-1].text.startswith("\u201cPerformance targets are now suitably ambitious")
    council = corpus_doc(COUNCIL_2019)[1]
    assert council[0].text.startswith("Children's Services in Kirklees have improved significantly")


def test_press_2016_mojibake_is_repaired_everywhere():
    text = all_text(PRESS_2016)
    assert "\u02dc" not in text and "\u00e2" not in text
    structure = parse(read_lines(CORPUS / PRESS_2016))
    assert structure.title == "Kirklees Council's children services deemed \u2018inadequate' by damning report"


@pytest.mark.parametrize(("name", "boilerplate"), [
    (PRESS_2016, "Sign up to our daily"), (PRESS_2016, "By The Newsroom"), (PRESS_2016, "Tags:"),
    (PRESS_2016, "4:21 pm"), (PRESS_2016, "Updated Tuesday"), (PRESS_2016, "12:44 pm"),
    (MONITORING, "Tags:"), (COUNCIL_2019, "Tags:"),
])
def test_press_boilerplate_is_not_a_paragraph(name, boilerplate):
    assert not any(boilerplate in p.text for p in corpus_doc(name)[1])


def test_monitoring_visit_trailing_label_is_not_a_paragraph():
    assert not any(p.text.strip() == "Kirklees monitoring visit" for p in corpus_doc(MONITORING)[1])


def test_council_2019_headings_are_sections_and_bullets_stay_in_their_paragraph():
    paragraphs = corpus_doc(COUNCIL_2019)[1]
    for heading in ("The role of Ofsted", "What they inspected", "Next steps"):
        assert not any(p.text == heading for p in paragraphs)
        assert any(p.section == heading for p in paragraphs)
    looked_at = next(p for p in paragraphs if p.text.startswith("In particular, the inspectors looked at:"))
    assert "The experiences and progress of children who need help and protection" in looked_at.text
    assert looked_at.section == "What they inspected"


# -- sentence spans -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [OFSTED, SCRUTINY, *UNNUMBERED])
def test_sentence_spans_cover_the_text_in_order(name):
    for p in corpus_doc(name)[1]:
        assert p.sentences, p.label
        ends = 0
        for a, b in p.sentences:
            assert ends <= a < b <= len(p.text), (p.label, a, b)
            assert p.text[a:b] == p.text[a:b].strip()
            ends = b
        covered = "".join(p.text[a:b] for a, b in p.sentences)
        assert len(covered) >= 0.9 * len(p.text.replace("\n", "").replace("- ", "")) - 5, p.label


def test_sentence_spans_split_sentences_and_leave_list_markers_out():
    labels = by_label(corpus_doc(OFSTED)[1])
    assert labels["7"].sentence_texts() == [
        "There is a strong emphasis by workers to help children to remain safely within their family network.",
        "Families are offered family group conferences at the earliest opportunity, where they are supported to develop "
        "their own plans to help ensure that children can remain at home with appropriate levels of support.",
        "Family group conferencing is a strength and is making a positive difference to children's and families' experiences.",
    ]
    bullets = labels["What needs to improve?"].sentence_texts()
    assert bullets[0] == "The availability and choice of homes for children in care and care leavers."
    assert len(bullets) == 3 and not any(s.startswith("-") for s in bullets)


# -- the CLI a reader checks citations with -------------------------------------------------------------

def cli_paragraphs(run_cli, name: str) -> list[dict]:
    result = run_cli("assistant", "paragraphs", f"corpus/{name}", "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_cli_paragraphs_json_prints_the_ofsted_paragraphs_in_order(run_cli):
    rows = cli_paragraphs(run_cli, OFSTED)
    assert [r["paragraph"] for r in rows if r["paragraph"].isdigit()] == [str(n) for n in range(1, 70)]
    assert {"paragraph", "section", "page", "text", "assigned"} <= set(rows[0])
    row7 = next(r for r in rows if r["paragraph"] == "7")
    assert "family group conferences at the earliest opportunity" in row7["text"]
    assert row7["assigned"] is False


def test_cli_paragraphs_json_marks_assigned_numbers(run_cli):
    rows = cli_paragraphs(run_cli, PRESS_2016)
    assert [r["paragraph"] for r in rows] == [str(n) for n in range(1, len(rows) + 1)]
    assert all(r["assigned"] for r in rows)
    assert not any("\u02dc" in r["text"] for r in rows)


def test_cli_paragraphs_json_scrutiny_labels(run_cli):
    rows = cli_paragraphs(run_cli, SCRUTINY)
    assert [r["paragraph"] for r in rows if r["paragraph"][0].isdigit()] == SCRUTINY_NUMBERS


def test_cli_show_prints_one_paragraph(run_cli):
    result = run_cli("assistant", "show", f"corpus/{OFSTED}", "55")
    assert result.returncode == 0, result.stderr
    p55 = by_label(corpus_doc(OFSTED)[1])["55"]
    assert p55.text in result.stdout
    assert "paragraph 55" in result.stdout
    assert by_label(corpus_doc(OFSTED)[1])["54"].text not in result.stdout


def test_cli_show_reads_a_trailing_dot_and_prints_json(run_cli):
    result = run_cli("assistant", "show", f"corpus/{SCRUTINY}", "4.1.", "--json")
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["paragraph"] == "4.1" and row["source"] == f"corpus/{SCRUTINY}"
    assert row["publisher"] == "Kirklees Council"
    assert row["text"] == by_label(corpus_doc(SCRUTINY)[1])["4.1"].text


def test_cli_show_an_unknown_paragraph_is_a_clear_error(run_cli):
    result = run_cli("assistant", "show", f"corpus/{OFSTED}", "70")
    assert result.returncode == 2
    assert "has no paragraph '70'" in result.stderr and "Traceback" not in result.stderr


def test_cli_paragraphs_of_an_unreadable_file_is_a_clear_error(run_cli, tmp_path):
    bad = tmp_path / "notes.rtf"
    bad.write_text("{\\rtf1 hello}")
    result = run_cli("assistant", "paragraphs", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error:") and "notes.rtf" in result.stderr and "Traceback" not in result.stderr


# -- the tests' own fixtures ----------------------------------------------------------------------------

def test_fixture_numbered_report():
    document, paragraphs = read_document(DATA / "numbered-report.txt")
    labels = by_label(paragraphs)
    assert list(labels) == ["details", "judgements", "summary 1", "summary 2", "What needs to improve?", "1", "2", "3", "4", "5"]
    assert dict(document.judgements)["The experiences and progress of care leavers"] == "Inadequate"
    assert dict(document.judgements)["The experiences and progress of children in care"] == "Outstanding"
    assert "Lead inspector: Alex Example" in labels["details"].text
    assert labels["2"].text.splitlines() == ["Strategy meetings are held promptly. The right partners attend:",
                                             "- Police officers attend every strategy meeting.",
                                             "- Health visitors attend most meetings."]
    assert "which helps the child to understand why decisions were made" in labels["3"].text
    assert labels["4"].section == "The experiences and progress of care leavers: inadequate"
    text = "\n".join(p.text for p in paragraphs)
    for boilerplate in ("Testshire Gate", "TE1 2AB", "Crown copyright", "Open Government Licence", "enquiries@example.org",
                        "large print", "regulates and inspects"):
        assert boilerplate not in text
    # the manifest beside the file gives the document's metadata
    assert (document.publisher, document.kind, document.date) == ("Ofsted", "inspection report", "2025-03")


def test_fixture_dotted_council_report():
    document, paragraphs = read_document(DATA / "council-report.txt")
    labels = by_label(paragraphs)
    assert list(labels) == ["details", "1.1", "1.2", "1.3", "2.1", "2.2"]
    assert labels["1.2"].text.splitlines()[1:] == ["- More homes for care leavers.", "- Better pathway plans.",
                                                   "- A stronger care leavers' forum."]
    assert labels["1.3"].text == "The board is asked to note the report and the progress made."
    assert labels["2.1"].text.endswith("except in an emergency lasting no more than two nights.")
    assert labels["2.2"].text == ("Pathway plans are now written together with the young person, and every plan names "
                                  "a personal adviser.")
    assert labels["2.1"].section == "Progress" and labels["1.1"].section == "Summary"
    assert "Not applicable" not in "\n".join(p.text for p in paragraphs)
    assert "<ul" not in labels["details"].text and "The board notes the report." in labels["details"].text


def test_fixture_press_article_txt():
    document, paragraphs = read_document(DATA / "press-article.txt")
    assert [p.label for p in paragraphs] == ["1", "2", "3", "4"]
    assert all(p.assigned for p in paragraphs)
    assert document.title == "Testshire council's foster care service rated \u2018outstanding' by inspectors"
    assert paragraphs[0].text == "Testshire Council's fostering service has been rated \u2018outstanding' after a week-long inspection."
    assert "the children\u2019s own views" in paragraphs[1].text
    text = "\n".join(p.text for p in paragraphs)
    for boilerplate in ("By Jane Reporter", "9:15 am", "Updated Tuesday", "Sign up to", "Tags:", "\u02dc", "\u00e2\u20ac"):
        assert boilerplate not in text
    assert document.publisher == "Unknown publisher"  # not in the manifest


def test_fixture_markdown_headings_are_sections():
    document, paragraphs = read_document(DATA / "blog-post.md")
    assert document.title == "How we plan homes for care leavers"
    assert [(p.label, p.section, p.assigned) for p in paragraphs] == [
        ("1", "", True), ("2", "What changed this year", True), ("3", "What comes next", True)]
    assert paragraphs[1].text.splitlines() == [
        "The council and its housing partners agreed a joint protocol in January. It sets out who does what when a care "
        "leaver needs a home:",
        "- the personal adviser starts a housing plan at seventeen;",
        "- the housing officer offers at least two suitable homes."]


def test_fixture_html_article():
    document, paragraphs = read_document(DATA / "news-item.html")
    assert document.title == "Council praises foster carers"
    assert [p.label for p in paragraphs] == ["1", "2", "3", "4"]
    assert paragraphs[0].text == "Testshire Council has thanked its foster carers after a record year of recruitment."
    assert "twice the number of the year before & more than any" in paragraphs[1].text
    assert paragraphs[2].text.splitlines() == ["Inspectors found that:", "- children live in stable homes;",
                                               "- carers receive good training."]
    assert paragraphs[2].section == "What the inspectors said"
    text = "\n".join(p.text for p in paragraphs)
    for hidden in ("tracking", "color: red", "Home", "All rights reserved"):
        assert hidden not in text


def check_generated(generated, *, assigned: bool):
    document, paragraphs = read_document(generated.path)
    labels = by_label(paragraphs)
    assert list(labels) == list(generated.expected)
    for label, (page, phrases) in generated.expected.items():
        assert labels[label].page == page, (label, labels[label].page)
        for phrase in phrases:
            assert phrase in labels[label].text, (label, phrase, labels[label].text)
        assert labels[label].assigned is (assigned and label.isdigit())
    return document, labels


def test_generated_pdf_report_keeps_numbers_pages_and_headings(report_pdf):
    document, labels = check_generated(report_pdf, assigned=False)
    assert document.title == "Inspection of Testshire children's services"
    assert labels["3"].text.endswith("stay at home with the right help.")  # whole across the page break
    assert labels["4"].text.endswith("packages of support.")  # the heading after it is not glued on
    assert labels["1"].section == "Help and protection"
    assert labels["5"].section == labels["7"].section == "Children in care"
    text = "\n".join(p.text + p.section for p in labels.values())
    assert "Page 1 of 3" not in text and "Page 2" not in text
    assert "inspection report" not in text  # the running header


def test_generated_pdf_article_gets_assigned_numbers(article_pdf):
    document, labels = check_generated(article_pdf, assigned=True)
    assert document.title == "Testshire opens new family hubs"


def test_generated_docx_report_keeps_reading_order_and_table(report_docx):
    document, labels = check_generated(report_docx, assigned=False)
    assert list(labels)[:3] == ["details", "judgements", "summary"]  # the table where the report has it
    assert dict(document.judgements) == {"Overall effectiveness": "Good",
                                         "The experiences and progress of care leavers": "Inadequate"}
    assert labels["1"].section == "Help and protection" and labels["4"].section == "Care leavers"


def test_generated_docx_article_gets_assigned_numbers(article_docx):
    document, labels = check_generated(article_docx, assigned=True)
    assert document.title == "Council backs young carers"
    assert labels["2"].section == "What carers said"


# -- numbering rules on small inputs ---------------------------------------------------------------------

def lines(text: str) -> list[Line]:
    return [Line(line) for line in text.splitlines()]


def test_plain_numbers_need_a_dot_to_be_paragraph_numbers():
    structure = parse(lines("Report\n\n1. First finding is here.\n\n2. Second finding is here.\n\n3. Third finding is here.\n\n"
                            "12 children were seen in the year."))
    labels = [p.label for p in structure.paragraphs]
    assert labels[:3] == ["1", "2", "3"] and len(labels) == 4
    assert "12" not in labels
    assert structure.paragraphs[3].text == "12 children were seen in the year."


def test_a_lowercase_continuation_after_a_blank_line_joins_its_paragraph():
    structure = parse(lines("A short article\n\nChildren are seen quickly by social workers in the duty team, who record what\n\n"
                            "they say.\n\nA second paragraph."))
    assert structure.title == "A short article"
    assert [p.text for p in structure.paragraphs] == [
        "Children are seen quickly by social workers in the duty team, who record what they say.", "A second paragraph."]
    assert [p.label for p in structure.paragraphs] == ["1", "2"]


def test_a_document_of_headings_only_has_no_paragraphs(tmp_path):
    path = tmp_path / "headings.md"
    path.write_text("# Title\n\n## One\n\n## Two\n", encoding="utf-8")
    with pytest.raises(ReadError, match="no paragraphs found"):
        read_document(path)


def test_a_standfirst_without_a_full_stop_stays_its_own_paragraph():
    council = corpus_doc(COUNCIL_2019)[1]
    assert council[0].text == ("Children's Services in Kirklees have improved significantly, "
                               "according to a new Ofsted inspection report")
    assert council[1].text.startswith("The report highlights the progress made")


def test_unnumbered_text_after_the_numbers_is_named_by_where_it_stands():
    lines = [Line(t) for t in ["Title", "", "1. One finding.", "2. Another finding.", "3. A third.", "",
                               "A closing remark under no heading."]]
    paragraphs = parse(lines).paragraphs
    assert [p.label for p in paragraphs] == ["1", "2", "3", "after 3"]
