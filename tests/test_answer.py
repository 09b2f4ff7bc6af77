"""Answering against the real index of the bundled corpus: citations, refusals, who and when,
follow-ups, filters and the JSON contract. The questions are the tests' own."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from assistant.answer import Assistant
from assistant.ask import answer_json
from assistant.retrieve import Filters

pytestmark = pytest.mark.slow

OFSTED = "corpus/2024-ofsted-ilacs-inspection.txt"
SCRUTINY = "corpus/2026-scrutiny-panel-progress-report.txt"
PRESS_2016 = "corpus/2016-press-inadequate.txt"
COUNCIL_2019 = "corpus/2019-council-response-to-ofsted.txt"


@pytest.fixture(scope="module")
def assistant(corpus_index, embedder):
    return Assistant(corpus_index, embedder)


def cited(answer):
    return {(c.document.id, c.paragraph.label) for c in answer.citations}


def test_a_lookup_cites_the_paragraph_that_says_it(assistant):
    answer = assistant.ask("What did Ofsted say about care leavers living in bed and breakfast accommodation?")
    assert answer.answered
    assert (OFSTED, "55") in cited(answer)


def test_every_citation_is_a_real_whole_paragraph_and_its_quote_stands_in_it(assistant, corpus_index):
    answer = assistant.ask("How are unaccompanied asylum-seeking children supported?")
    assert answer.answered and answer.citations
    for citation in answer.citations:
        paragraphs = {p.label: p.text for p in corpus_index.paragraphs(citation.document.id)}
        assert paragraphs[citation.paragraph.label] == citation.paragraph.text
        for sentence in citation.quote.split(" "):
            assert sentence in citation.paragraph.text
        assert f"[{citation.marker}]" in answer.text


def test_a_question_is_answered_the_same_after_other_questions_have_filled_the_caches(assistant, corpus_index, embedder):
    """A long-running app forgets the oldest paragraphs and vectors it read: one it still held when a question
    began must not go missing from that question's candidates when newer ones push it out."""
    from ingest.index import Bounded, Index

    question = "How good is the supervision of social workers?"
    fresh = assistant.ask(question)
    index = Index(corpus_index.data_dir)
    index._paragraph_cache, index._sentence_vector_cache = Bounded(60), Bounded(30)  # a question's worth or so
    busy = Assistant(index, embedder)
    for other in ("How stable is the social work workforce?", "How are children at risk of exploitation helped?", question):
        again = busy.ask(other)
    assert fresh.answered and again.text == fresh.text and cited(again) == cited(fresh)


def test_the_answer_names_publisher_and_year(assistant):
    answer = assistant.ask("What did the 2024 inspection say about young carers?")
    assert answer.answered
    assert "Ofsted on Kirklees (2024 inspection report):" in answer.text
    assert (OFSTED, "18") in cited(answer)


def test_a_question_about_the_council_since_the_inspection_is_answered_from_the_council(assistant):
    answer = assistant.ask("What has the council done about foster carer recruitment since the 2024 inspection?")
    assert answer.answered
    assert {c.document.id for c in answer.citations} == {SCRUTINY}


def test_a_question_naming_the_newspaper_is_answered_from_it(assistant):
    answer = assistant.ask("What did the Dewsbury Reporter say about the Children's Services Commissioner?")
    assert answer.answered
    assert {c.document.id for c in answer.citations} == {PRESS_2016}


def test_another_council_is_not_in_the_sources(assistant):
    answer = assistant.ask("What rating did Ofsted give Leeds children's services?")
    assert not answer.answered
    assert answer.text.startswith("No document about Leeds is in the library. It holds documents about Kirklees (5).")


def test_a_subject_no_source_mentions_is_refused_though_its_sources_are_named(assistant):
    # "Ofsted", "inspectors" and "Kirklees" stand everywhere; "drones" and "artificial intelligence" nowhere
    assert not assistant.ask("What did inspectors say about the use of drones?").answered
    assert not assistant.ask("What did Ofsted say about Kirklees' use of artificial intelligence?").answered


def test_a_number_the_sources_do_not_give_is_refused(assistant):
    answer = assistant.ask("What percentage of care leavers are in education, employment or training?")
    assert not answer.answered


def test_a_year_is_not_the_figure_a_how_many_question_asks_for(assistant):
    # the scrutiny report gives no count of children in care; its sentences naming "2024" do not answer
    answer = assistant.ask("How many children were in care according to the scrutiny report?")
    assert not answer.answered


def test_a_date_question_naming_a_year_is_answered_from_that_year(assistant):
    answer = assistant.ask("When did the 2019 inspection take place?")
    assert answer.answered
    assert {c.document.year for c in answer.citations} == {2019}
    assert any("June" in c.quote for c in answer.citations)


def test_a_list_under_a_heading_answers_what_the_heading_asks(assistant):
    # the items of "What needs to improve?" never say "improve": the heading says what they are
    answer = assistant.ask("What are the areas for improvement in the 2024 report?")
    assert (OFSTED, "What needs to improve?") in cited(answer)
    for item in ("availability and choice of homes", "quality of written plans", "neglect and / or domestic abuse"):
        assert item in answer.text


def test_a_list_is_cited_when_the_question_asks_in_its_heading_s_words_though_other_sentences_use_them(assistant):
    # "areas for improvement" is asked as "what needs to improve"; the summary's "services have improved"
    # and the paragraphs on the service as a whole are nearer the question's other words
    answer = assistant.ask("What were the areas for improvement in Kirklees's 2024 children's services inspection?")
    assert (OFSTED, "What needs to improve?") in cited(answer), answer.text


def test_a_lead_in_is_quoted_with_the_list_it_introduces(assistant):
    answer = assistant.ask("What strengths did Ofsted highlight in 2019?")
    listed = [c for c in answer.citations if "outlined a number of strengths" in c.quote]
    assert listed, answer.text
    assert "These included:" in listed[0].quote and "know their children well" in listed[0].quote
    assert listed[0].quote in listed[0].paragraph.text  # verbatim


def test_everyday_words_find_what_the_reports_say_in_their_own(assistant):
    # "B&Bs" and "youngsters" for "bed and breakfast accommodation" and "care leavers"; "how busy" for "caseloads"
    assert (OFSTED, "55") in cited(assistant.ask("Are any youngsters being put up in B&Bs?"))
    busy = assistant.ask("How busy are the social workers?")
    assert (OFSTED, "68") in cited(busy) and "caseloads" in busy.text
    swamped = assistant.ask("Are social workers swamped?")
    assert (OFSTED, "68") in cited(swamped) and "caseloads" in swamped.text


def test_everyday_words_do_not_make_a_question_the_sources_miss_answered(assistant):
    assert not assistant.ask("Has the town hall cut the budget for school buses?").answered


def test_words_naming_the_report_are_not_its_subject(assistant):
    # "scrutiny panel" names the 2026 report, and its cover sheet says "Scrutiny Panel" often: the
    # answer is what the report says about neglect, not its cover sheet
    answer = assistant.ask("What does the 2026 scrutiny panel report say about neglect?")
    assert answer.answered and {c.document.id for c in answer.citations} == {SCRUTINY}
    assert "details" not in {c.paragraph.label for c in answer.citations}
    assert all("neglect" in c.quote.lower() for c in answer.citations)


def test_a_rating_over_time_is_answered_with_each_year_s_grade(assistant):
    answer = assistant.ask("How has Ofsted's rating of Kirklees changed over the years?")
    assert answer.answered
    assert {c.document.year for c in answer.citations} >= {2016, 2019, 2024}
    grades = ("outstanding", "good", "requires improvement", "require improvement", "inadequate")
    assert all(any(g in c.quote.lower() for g in grades) for c in answer.citations)  # each says a grade
    assert not any("no longer considered inadequate" in c.quote for c in answer.citations)  # ... not which it is not
    assert answer.text.index("(2024") < answer.text.index("(2019") < answer.text.index("(2016")  # newest first


def test_a_question_telling_a_grade_is_answered_with_what_it_asks_not_the_grades(assistant):
    answer = assistant.ask("Kirklees was rated good in 2024, so what were inspectors unhappy about in care leavers' pathway plans?")
    assert answer.answered and (OFSTED, "53") in cited(answer) and (OFSTED, "judgements") not in cited(answer), answer.text


HUB_REPORT = """Riverside's care leavers

1. The council opened a drop-in hub for care leavers in March. It is open every weekday and staffed by 3 personal advisers.
2. Care leavers told inspectors that their personal advisers know them well.
"""


def test_a_sentence_going_on_from_the_one_before_is_quoted_with_it(tmp_path, tmp_index, embedder):
    _ingest_text(tmp_path, tmp_index, embedder, HUB_REPORT)
    answer = Assistant(tmp_index, embedder).ask("How often is it open and who staffs it, the Riverside hub?")
    # "It is open every weekday" alone does not say what is open
    assert "drop-in hub for care leavers in March. It is open every weekday" in answer.text, answer.text
    # ... and a sentence quoted so is not quoted again when chosen for itself too
    both = Assistant(tmp_index, embedder).ask("Tell me about the drop-in hub for care leavers in Riverside and its opening hours and staff")
    assert both.answered and both.text.count("opened a drop-in hub") == 1, both.text


LISTS_REPORT = """Riverside's inspection: what we heard

1. Inspectors looked at:
• The experiences of children who need help and protection
• The experiences of children in care
2. Areas that still need to get better include:
• The quality of foster carer reviews
• Health histories for care leavers
"""


def test_an_item_of_a_list_is_quoted_after_what_the_list_is(tmp_path, tmp_index, embedder):
    _ingest_text(tmp_path, tmp_index, embedder, LISTS_REPORT)
    answer = Assistant(tmp_index, embedder).ask("What did Riverside say about foster carer reviews?")
    # "The quality of foster carer reviews" alone does not say whether it is a strength or a weakness
    assert "Areas that still need to get better include: The quality of foster carer reviews" in answer.text, answer.text


def test_a_paper_named_is_that_paper_not_any_press(assistant):
    # the trade press also reports on Kirklees: "Reporter" in the paper's name is no question about the press
    answer = assistant.ask("What did the Dewsbury Reporter say the cabinet member thought of the inspection?")
    assert answer.answered and {c.document.id for c in answer.citations} == {PRESS_2016}, answer.text


def quoting(answer):
    """The citations of the answer's sentences: not one before a colon, which cites whom a quotation is by
    ("Councillor X said [3]: ...")."""
    speakers = {int(m) for m in re.findall(r"\[(\d+)\]:", answer.text)}
    return [c for c in answer.citations if c.marker not in speakers]


def test_the_whole_service_over_time_named_as_the_latest_one_is_answered_with_grades(assistant):
    # "the latest one" is an inspection, not a subject of its own: the question asks of the whole service
    answer = assistant.ask("Did Kirklees's children's services go downhill or improve between the 2016 inspection and the latest one?")
    assert (OFSTED, "judgements") in cited(answer)
    grades = ("outstanding", "good", "requires improvement", "require improvement", "inadequate")
    assert all(any(g in c.quote.lower() for g in grades) for c in quoting(answer))


@pytest.mark.parametrize("question, line", [
    ("What grade did the experiences of children in care get in 2024?", "The experiences and progress of children in care: Good"),
    ("What was the care leavers judgement in 2024?", "The experiences and progress of care leavers: Requires improvement to be good"),
])
def test_the_grade_asked_for_is_the_first_line_of_the_answer_whatever_its_place_in_the_table(assistant, question, line):
    answer = assistant.ask(question)
    assert answer.text.split("\n")[1].startswith(line)


def test_whether_the_service_was_judged_a_grade_overall_is_answered_with_its_overall_judgement(assistant):
    # the grade asked after and "overall" are no area of the service: the question is about the whole of it
    answer = assistant.ask("Overall, were Kirklees's children's services judged good in the 2024 inspection?")
    assert "Overall effectiveness: Good" in answer.text
    assert "The experiences and progress of" not in answer.text


def test_an_empty_question_gets_a_clear_message(assistant):
    answer = assistant.ask("   ")
    assert not answer.answered and "question" in answer.text.lower()


def test_a_follow_up_is_resolved_against_the_history(assistant):
    history = [
        {"role": "user", "content": "What did the 2016 press report say about the Development Board?"},
        {"role": "assistant", "content": [{"type": "text", "text": "It was set up in February to steer changes."}]},
    ]
    answer = assistant.ask("Who sits on it?", history)
    assert answer.answered
    assert PRESS_2016 in {c.document.id for c in answer.citations}


def test_filters_limit_the_documents(assistant):
    answer = assistant.ask("What is said about domestic abuse?", filters=Filters(publishers=("Ofsted",)))
    assert answer.answered
    assert {c.document.publisher for c in answer.citations} == {"Ofsted"}


def test_a_place_filter_keeps_to_that_councils_documents(assistant):
    answer = assistant.ask("What is said about domestic abuse?", filters=Filters(places=("Kirklees",)))
    assert answer.answered and {c.document.place for c in answer.citations} == {"Kirklees"}
    elsewhere = assistant.ask("What is said about domestic abuse?", filters=Filters(places=("Testshire",)))
    assert not elsewhere.answered and not elsewhere.citations


def test_the_json_contract(assistant):
    out = answer_json(assistant.ask("What did Ofsted say about private fostering?"), "q1")
    assert set(out) == {"id", "question", "answer", "answered", "mode", "places", "citations"}
    citation = out["citations"][0]
    assert set(citation) == {"marker", "source", "document", "publisher", "place", "date", "paragraph", "text", "quote"}
    assert citation["source"] == OFSTED and citation["paragraph"] == "15"


def test_batch_cli_echoes_ids_in_order(tmp_path, corpus_index):
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in [
        {"id": "a", "question": "What did Ofsted say about disabled children?"},
        {"id": "b", "question": "What is the weather in Huddersfield?", "history": []},
    ]))
    env = {"ASSISTANT_DATA_DIR": str(corpus_index.data_dir), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "assistant", "ask", "--json", "--batch", str(questions)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b"]
    assert lines[0]["answered"] and lines[0]["citations"][0]["paragraph"] == "17"
    assert not lines[1]["answered"]


def test_council_repeating_ofsted_words_is_cited_as_ofsted(assistant):
    answer = assistant.ask("Is the availability and choice of homes for children in care and care leavers an area to improve?")
    assert answer.answered
    quoted = [(c.document.id, q) for c in answer.citations for q in [c.quote]]
    repeats = [doc for doc, quote in quoted if "availability and choice of homes" in quote]
    assert repeats and set(repeats) == {OFSTED}


def test_ofsted_findings_in_a_press_item_are_kept_apart_from_the_councils_reaction(assistant):
    answer = assistant.ask("In 2016, what did the Ofsted inspectors themselves find, rather than what the council said?")
    assert answer.answered
    assert {c.document.id for c in answer.citations} == {PRESS_2016}
    for citation in answer.citations:
        assert "said:" not in citation.quote and not citation.quote.startswith("\u201cWe")


REVIEW_MENTIONED = """Riverside Borough Council: progress update

1. Following a serious incident last year we will use the Riverside Practice Review to shape training for social workers.
2. Social workers now visit children in care every six weeks, and managers check that visits happen on time.
3. The council has recruited twelve new foster carers since the spring.
"""
REVIEW_REPORTED = REVIEW_MENTIONED + """4. The Riverside Practice Review found that agencies did not share information about the family quickly enough.
"""


RIVERSIDE_UPDATE = {"title": "Progress update", "publisher": "Riverside Borough Council", "kind": "council report",
                    "date": "2025-03"}


def _ingest_text(tmp_path, index, embedder, text, name="riverside-update.txt", meta=RIVERSIDE_UPDATE):
    from ingest.pipeline import ingest

    folder = tmp_path / name.removesuffix(".txt")
    folder.mkdir()
    (folder / name).write_text(text, encoding="utf-8")
    report = ingest([folder], index, embedder, metadata=meta)
    assert not report.failed, report.failed


def _press_story(tmp_path, index, embedder, text, publisher):
    """An assistant over one press story of Riverside's, published by `publisher` in June 2025."""
    meta = {"title": "Inspection published", "publisher": publisher, "kind": "press", "date": "2025-06"}
    _ingest_text(tmp_path, index, embedder, text, "story.txt", meta)
    return Assistant(index, embedder)


def test_a_review_only_mentioned_does_not_answer_what_it_concluded(tmp_path, tmp_index, embedder):
    _ingest_text(tmp_path, tmp_index, embedder, REVIEW_MENTIONED)
    answer = Assistant(tmp_index, embedder).ask("What did the Riverside Practice Review conclude?")
    assert not answer.answered
    assert answer.text.startswith("The sources do not answer this question.")


def test_a_review_whose_findings_are_reported_is_cited(tmp_path, tmp_index, embedder):
    _ingest_text(tmp_path, tmp_index, embedder, REVIEW_REPORTED)
    answer = Assistant(tmp_index, embedder).ask("What did the Riverside Practice Review conclude?")
    assert answer.answered
    assert [c.paragraph.label for c in answer.citations][0] == "4"


GAZETTE_STORY = """Riverside's children's services: inspection published

1. Ofsted inspectors found that leaders had not made sure that plans for children were reviewed on time.
2. Councillor Jane Moss, cabinet member for children, said: "This report is a fair picture of where we are.
3. "The leadership team is strong, and leaders have transformed the service for children in care in Riverside.
4. "There is more to do and we will keep going."
"""


MONITORING_LETTER = {"title": "Monitoring visit to Riverside children's services", "publisher": "Ofsted",
                     "kind": "inspection report", "date": "2024-11"}
FOSTERING_DRIVE = {"title": "Fostering drive", "publisher": "Riverside Gazette", "kind": "press", "date": "2026-02"}


def test_a_document_named_by_what_it_is_answers_and_bounds_a_change(tmp_path, tmp_index, embedder):
    _ingest_text(tmp_path, tmp_index, embedder, "Monitoring visit\n\n1. Inspectors found that too few foster carers "
                 "had been recruited.\n\n2. Newly qualified social workers waited months for their training.\n",
                 "letter.txt", MONITORING_LETTER)
    _ingest_text(tmp_path, tmp_index, embedder, "Progress update\n\n1. The council has recruited twelve new foster carers "
                 "since the spring, and every new foster carer now has training within a month.\n")
    _ingest_text(tmp_path, tmp_index, embedder, "Fostering drive\n\n1. Riverside has recruited more foster carers this "
                 "year than ever before, the council said.\n", "drive.txt", FOSTERING_DRIVE)
    assistant = Assistant(tmp_index, embedder)
    # the question names the letter by what its title says it is, not by publisher, kind or year
    visit = assistant.ask("What did the monitoring visit say about foster carers?")
    assert visit.answered and visit.citations[0].document.title == MONITORING_LETTER["title"]
    # a follow-up goes on asking it
    history = [{"role": "user", "content": visit.question}, {"role": "assistant", "content": visit.text}]
    training = assistant.ask("And what did it say about training?", history)
    assert training.answered and {c.document.title for c in training.citations} == {MONITORING_LETTER["title"]}
    # ... and, over time, its year is where the change asked about begins: 2026's story is after the range
    change = assistant.ask("How did foster carer recruitment change between the monitoring visit and 2025?")
    assert {c.document.title for c in change.citations} == {MONITORING_LETTER["title"], RIVERSIDE_UPDATE["title"]}


def test_a_report_is_known_by_the_year_it_was_published_as_well_as_the_year_inspected(tmp_path, tmp_index, embedder):
    inspection = {"title": "Inspection of Riverside children's services", "publisher": "Ofsted", "kind": "inspection report"}
    _ingest_text(tmp_path, tmp_index, embedder, "Care leavers\n\n1. Too many care leavers live in bed and breakfast "
                 "accommodation.\n", "old.txt", {**inspection, "date": "2014-11-14",
                                                "date_note": "inspection 3 to 14 November 2014; published 9 January 2015"})
    _ingest_text(tmp_path, tmp_index, embedder, "Care leavers\n\n1. No care leaver now lives in bed and breakfast "
                 "accommodation.\n", "new.txt", {**inspection, "date": "2024-03"})
    # "the 2015 report" is the one published in 2015, of an inspection in 2014
    answer = Assistant(tmp_index, embedder).ask("Has the use of bed and breakfast for care leavers changed between the 2015 report and 2024?")
    assert answer.answered
    assert {c.document.year for c in answer.citations} == {2014, 2024}


def test_how_a_figure_moved_since_is_answered_by_a_later_report_telling_it_in_words(tmp_path, tmp_index, embedder):
    inspection = {"title": "Inspection of Riverside children's services", "publisher": "Ofsted", "kind": "inspection report"}
    _ingest_text(tmp_path, tmp_index, embedder, "Care leavers\n\n1. Most care leavers (61%) are in education, employment "
                 "or training.\n\n2. Care leavers live in suitable homes.\n", "2019.txt", {**inspection, "date": "2019-05"})
    _ingest_text(tmp_path, tmp_index, embedder, "Care leavers\n\n1. Care leavers say they value the help they get to plan "
                 "their next steps. The proportion of care leavers in education, employment or training is steadily "
                 "increasing.\n\n2. Most care leavers (92%) live in suitable homes.\n", "2024.txt", {**inspection, "date": "2024-05"})
    answer = Assistant(tmp_index, embedder).ask("What share of Riverside's care leavers were in education, employment or "
                                                "training in 2019, and has that gone up since?")
    # the 2024 report gives no share, but says which way it went
    assert answer.answered and any(c.document.year == 2024 and "steadily increasing" in c.quote for c in answer.citations)


def test_a_later_report_is_searched_for_what_the_earlier_one_found_not_for_the_question_s_frame(tmp_path, tmp_index, embedder):
    inspection = {"title": "Inspection of Riverside children's services", "publisher": "Ofsted", "kind": "inspection report"}
    _ingest_text(tmp_path, tmp_index, embedder, "Riverside inspection\n\n1. Most social workers have manageable caseloads "
                 "and know their children well.\n\n2. Supervision of social workers is regular, but records of supervision "
                 "are not always kept up to date. Some supervision records do not show the discussions that social workers "
                 "describe.\n", "2016.txt", {**inspection, "date": "2016-05"})
    _ingest_text(tmp_path, tmp_index, embedder, "Riverside inspection\n\n1. Since the last inspection in 2016, leaders have "
                 "made steady progress.\n\n2. Social workers say that high caseloads are still an issue in the assessment "
                 "team, and some teams still use agency staff.\n\n3. Children's plans are kept up to date and are reviewed "
                 "on time.\n\n4. Supervision of social workers is frequent, and the records of supervision are thorough.\n",
                 "2024.txt", {**inspection, "date": "2024-05"})
    answer, trace = Assistant(tmp_index, embedder).explain(
        "Back in 2016 Riverside's supervision notes for social workers weren't always kept up to date. Was that still an issue in 2024?")
    assert answer.answered
    # the question's "still an issue" is nearer the caseloads sentence; what 2016 found is nearer 2024's on supervision
    scored = next(rec for stage, rec in trace if stage == "score")
    best_of_2024 = next(c for c in scored if c.candidate.document.year == 2024)
    assert best_of_2024.text.startswith("Supervision of social workers is frequent")


def test_a_grade_that_went_up_is_quoted_from_each_report_though_both_say_it_in_the_same_words(tmp_path, tmp_index, embedder):
    inspection = {"title": "Inspection of Riverside children's services", "publisher": "Ofsted", "kind": "inspection report"}
    for year, grade in (("2018", "Requires improvement"), ("2024", "Good")):
        _ingest_text(tmp_path, tmp_index, embedder, f"Inspection of Riverside\n\nJudgements\n\nOverall effectiveness: {grade}\n"
                     f"The experiences and progress of children in care: Good\nThe experiences and progress of care leavers: {grade}\n\n"
                     "1. Care leavers have personal advisers who know them well.\n", f"{year}.txt", {**inspection, "date": f"{year}-05"})
    # "go up" asks how it moved, as "gone up" does: each report's grade, though the lines differ only in it
    answer = Assistant(tmp_index, embedder).ask("Did the grade Riverside got for its care leavers go up?")
    for year, line in ((2018, "care leavers: Requires improvement"), (2024, "care leavers: Good")):
        assert any(c.document.year == year and line in c.quote for c in answer.citations), answer.text


HOMES_REPORT = """Riverside's children in care

1. Approximately 27,000 children and young people under the age of 18 live in Riverside.
2. Of the children in care, 19 live in residential children's homes, most of them out of the area.
3. Leaders know that too many children have lived in unregistered homes this year.
"""


def test_a_count_must_be_of_what_the_question_counts_as_it_qualifies_them(tmp_path, tmp_index, embedder):
    _ingest_text(tmp_path, tmp_index, embedder, HOMES_REPORT)
    assistant = Assistant(tmp_index, embedder)
    # 27,000 children live in Riverside and 19 in children's homes: neither is how many live in unregistered homes
    unregistered = assistant.ask("Exactly how many Riverside children are living in unregistered homes?")
    assert not unregistered.answered, unregistered.text
    # ... and a word no sentence found uses ("exactly") does not stop the count that is there from answering
    residential = assistant.ask("Exactly how many Riverside children live in residential children's homes?")
    assert residential.answered and "19 live in residential" in residential.citations[0].quote, residential.text


AGES_REPORT = """Riverside's support for older children

1. Some 16- and 17-year-old children in care wait too long for a home of their own.
2. Care leavers receive birthday payments up to age 25, and free gym sessions.
3. Care leavers say that their personal advisers know them well.
"""


def test_an_age_is_not_the_figure_a_how_many_or_how_much_question_asks_for(tmp_path, tmp_index, embedder):
    _ingest_text(tmp_path, tmp_index, embedder, AGES_REPORT)
    assistant = Assistant(tmp_index, embedder)
    assert not assistant.ask("How many children are in care in Riverside?").answered
    assert not assistant.ask("How much is the birthday payment Riverside gives its care leavers?").answered


def test_a_how_many_question_is_answered_by_a_count_of_all_it_names(assistant):
    # "how many" asks for the figure and names no subject: the count of the flats answers
    flats = assistant.ask("How many independent flats has the council got for care leavers?")
    assert flats.answered and (SCRUTINY, "4.4") in cited(flats), flats.text
    # ... and a count of something else does not, though it shares words ("one of adoption, social workers")
    assert not assistant.ask("How many agency social workers does Kirklees have?").answered


def test_a_quotation_running_on_across_paragraphs_is_the_speaker_s_not_ofsted_s(tmp_path, tmp_index, embedder):
    assistant = _press_story(tmp_path, tmp_index, embedder, GAZETTE_STORY, "Riverside Gazette")
    # paragraph 3 names no speaker: it goes on quoting the councillor of paragraph 2
    ofsted = assistant.ask("What did Ofsted say about the leadership team in Riverside?")
    assert ofsted.answered and [c.paragraph.label for c in ofsted.citations] == ["1"]
    council = assistant.ask("What did the council say about the leadership team in Riverside?")
    # ... and is cited with paragraph 2, which names the councillor the answer says it is
    assert [c.paragraph.label for c in council.citations] == ["2", "3"]


COURIER_STORY = """Riverside's children's services: the reaction

1. Councillor Ann Brook, cabinet member for Children and Families, accepted the findings.
2. She said: "We were open with inspectors from the start.
3. "Our foster carers have stepped up and given children stable homes.
4. Dr Omar Kent, who chairs the Riverside Fostering Network, was less sure.
5. He said: "Some of the carers I meet feel left on their own.
6. "Foster carers in Riverside have waited too long for training."
"""


def test_whose_quotation_a_sentence_is_counts_as_its_context_even_when_she_is_not_named(tmp_path, tmp_index, embedder):
    assistant = _press_story(tmp_path, tmp_index, embedder, COURIER_STORY, "Riverside Courier")
    first = assistant.ask("What did Councillor Ann Brook say about the inspection in Riverside?")
    history = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.text}]
    answer, trace = assistant.explain("Did she say anything about foster carers?", history)
    assert answer.answered
    # "She said:" is the councillor of the paragraph before, and her quotation runs on into paragraph 3; the
    # network's chair speaks of foster carers too, as "he": her quotation is the one about her (ask --explain's words)
    scored = {c.candidate.hit.paragraph.label: c for stage, record in trace if stage == "score" for c in record}
    assert "Councillor Ann Brook" in scored["3"].speaker and "Dr Omar Kent" in scored["6"].speaker
    assert scored["3"].overlap > scored["6"].overlap


def test_a_sentence_of_a_quotation_begun_before_it_is_shown_with_its_speaker(tmp_path, tmp_index, embedder):
    assistant = _press_story(tmp_path, tmp_index, embedder, COURIER_STORY, "Riverside Courier")
    answer = assistant.ask("What was said about foster carers in Riverside?")
    # paragraphs 3 and 6 name nobody: each is a quotation whose speaker an earlier paragraph names, which is
    # cited for the name, as the quotation's own paragraph is for its words
    markers = {c.paragraph.label: c.marker for c in answer.citations}
    text = answer.text.replace('"', "\u201c")
    assert f"Councillor Ann Brook said [{markers['1']}]: \u201cOur foster carers have stepped up" in text
    assert f"Dr Omar Kent said [{markers['4']}]: \u201cFoster carers in Riverside have waited" in text
    quotes = {c.paragraph.label: c.quote for c in answer.citations}
    assert quotes["1"].startswith("Councillor Ann Brook, cabinet member") and quotes["4"].startswith("Dr Omar Kent, who chairs")
    # the quote cited is the source's sentence alone
    assert all(not c.quote.startswith(("Councillor Ann Brook said", "Dr Omar Kent said")) for c in answer.citations)


BOARD_STORY = """Riverside's children's services: who is in charge

1. The director of children's services has been in post since 2021 and knows the service well.
2. The Chief Executive Officer and the Children in Care Council meet every month.
3. Children in care told the council that their social workers change too often.
"""
CHAIR_STORY = """Riverside's improvement board

1. The improvement board is chaired by Dr Omar Kent, who also chairs the Riverside Fostering Network.
"""


def test_a_question_asking_who_is_answered_only_by_a_sentence_naming_someone(tmp_path, tmp_index, embedder):
    assistant = _press_story(tmp_path, tmp_index, embedder, BOARD_STORY, "Riverside Courier")
    # the story speaks of the director, a title and a council of children in care (words it also writes in lower
    # case), but names no one
    assert not assistant.ask("Who is the director of children's services in Riverside?").answered
    _ingest_text(tmp_path, tmp_index, embedder, CHAIR_STORY, "board.txt",
                 {"title": "The board", "publisher": "Riverside Courier", "kind": "press", "date": "2025-07"})
    chair = Assistant(tmp_index, embedder).ask("Who chairs the improvement board in Riverside?")
    assert chair.answered and {c.document.title for c in chair.citations} == {"The board"}


LED_REPORT = """Inspection of Riverside local authority children's services

Inspection dates: 3 to 14 March 2025
Lead inspector: Jane Example, His Majesty's Inspector

1. Since May 2024, the director of children's services has led a programme of change in Riverside.
2. Leaders in Riverside know their services well and lead improvement with determination.
3. Children in care live in stable homes and see their social workers often.
"""


def test_who_led_an_inspection_is_answered_by_its_lead_inspector_alone(tmp_path, tmp_index, embedder):
    _ingest_text(tmp_path, tmp_index, embedder, LED_REPORT, "riverside-2025.txt",
                 {"title": "Inspection of Riverside", "publisher": "Ofsted", "kind": "inspection report", "date": "2025-04"})
    answer = Assistant(tmp_index, embedder).ask("Who led the 2025 inspection of Riverside?")
    # the director who "has led a programme of change" did not lead the inspection
    assert answer.answered and [c.quote for c in answer.citations] == ["Lead inspector: Jane Example, His Majesty's Inspector"]


def test_which_inspector_led_an_inspection_the_library_names_no_lead_inspector_for_is_refused(assistant):
    # the bundled corpus has the 2019 inspection only as the council's statement and a trade paper's story of it
    assert not assistant.ask("Which inspector led the 2019 Ofsted inspection?").answered
    led = assistant.ask("Which inspector led the 2024 Ofsted inspection?")
    assert cited(led) == {(OFSTED, "details")}


def test_the_same_question_asked_of_an_earlier_year_is_answered_with_that_year_s_grade(assistant):
    first = assistant.ask("What grade did Ofsted give Kirklees overall in 2024?")
    history = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.text}]
    again = assistant.ask("And back in 2019?", history)
    assert again.answered and {c.document.year for c in again.citations} == {2019}
    assert "requires improvement to be good" in " ".join(c.quote for c in again.citations)


ABBREVIATED_REPORT = """Riverside's reviews of children's plans

1. Each child in care has an independent reviewing officer (IRO), who chairs their reviews.
2. Social workers visit children regularly and know them well.
3. IROs challenge drift in children's plans and escalate their concerns to senior managers.
4. Foster carers receive training that helps them to care for children with complex needs.
"""


def test_a_question_spelling_out_what_the_reports_abbreviate_finds_the_abbreviation(tmp_path, tmp_index, embedder):
    _ingest_text(tmp_path, tmp_index, embedder, ABBREVIATED_REPORT)
    assistant = Assistant(tmp_index, embedder)
    # paragraph 3 names them only as "IROs": the definition in paragraph 1 says who they are
    answer = assistant.ask("Do independent reviewing officers in Riverside challenge drift?")
    assert answer.answered and "3" in [c.paragraph.label for c in answer.citations]
    assert "IRO" in tmp_index.abbreviations().definitions


HEALTH_REPORT = """Riverside's health services for children

1. Child and adolescent mental health services (CAMHS) in Riverside are commissioned by the health board for all children.
2. Care leavers benefit from a dedicated CAMHS outreach team.
3. Care leavers get support with their physical health from their personal advisers, such as dental checks.
4. Care leavers are given their health histories and get support to register with a doctor.
5. Care leavers get support with budgeting and with finding a home.
"""


def test_a_sentence_using_an_abbreviation_speaks_of_what_it_stands_for(tmp_path, tmp_index, embedder):
    _ingest_text(tmp_path, tmp_index, embedder, HEALTH_REPORT)
    # paragraph 2 never writes "mental health": its "CAMHS" says so, as paragraph 1 defines it
    answer = Assistant(tmp_index, embedder).ask("What mental health support do care leavers in Riverside get?")
    assert answer.answered and "2" in [c.paragraph.label for c in answer.citations]


def test_areas_for_improvement_are_the_list_ofsted_heads_what_needs_to_improve(assistant):
    answer = assistant.ask("What were the areas for improvement in the 2024 inspection?")
    assert "What needs to improve?" in [c.paragraph.label for c in answer.citations]


def test_a_follow_up_naming_no_time_asks_of_the_latest_inspection_its_conversation_asked_of(assistant):
    first = assistant.ask("How did Kirklees do at its most recent Ofsted inspection?")
    history = [{"role": "user", "content": first.question}, {"role": "assistant", "content": first.text}]
    answer = assistant.ask("What needs to improve there?", history)
    assert (OFSTED, "What needs to improve?") in cited(answer), answer.text  # the latest report's list


def test_a_list_under_a_heading_ranks_as_near_the_question_as_its_heading(tmp_path, tmp_index, embedder):
    from assistant.query import analyse

    findings = "\n\n".join(f"{i}. Work with families on {topic} has improved since the last inspection."
                             for i, topic in enumerate(["early help", "adoption", "foster care", "youth justice"], 1))
    _ingest_text(tmp_path, tmp_index, embedder, f"Inspection of Riverside\n\nFindings\n\n{findings}\n\nWhat needs to improve?\n\n"
                 "• The sufficiency of homes for children in care.\n• Consistency in the recording of contingency plans.\n")
    assistant = Assistant(tmp_index, embedder)
    intent = analyse("What needs to improve?", [], list(tmp_index.documents().values()), tmp_index.abbreviations())
    listed = next(c for c in assistant.retriever.search(intent) if c.hit.paragraph.label == "What needs to improve?")
    # its items do not say what they are; the heading does, and the paragraph is ranked by it (a follow-up whose
    # meaning leans on an earlier question found Redcar and Cleveland's list 44th by its items' words alone)
    assert listed.heading_score > float(listed.sentence_scores.max())
    assert listed.hit.dense == pytest.approx(listed.heading_score)


def test_everyday_words_for_young_carers_and_for_areas_to_improve_find_the_reports_own(assistant):
    carers = assistant.ask("Do children who care for a sick mum get any support in Kirklees?")
    assert carers.answered and any("young carers" in c.quote.lower() for c in carers.citations), carers.text
    work_on = assistant.ask("What did the 2024 inspection say Kirklees has to work on?")
    assert (OFSTED, "What needs to improve?") in cited(work_on), work_on.text


def test_everyday_words_for_a_home_the_law_does_not_allow_find_the_reports_own(assistant):
    # the report: under-16s "placed in supported accommodation ... which is outlawed by regulation"
    answer = assistant.ask("Are any under-16s living somewhere that breaks the rules?")
    assert answer.answered and (OFSTED, "39") in cited(answer), answer.text
    assert not assistant.ask("Has the council broken the law on school transport?").answered


@pytest.mark.parametrize("question", ["Did Kirklees children's services go downhill between 2016 and 2019?",
                                      "Have Kirklees's children's services got better since 2016?",
                                      "Did Kirklees's children's services get better or worse between 2016 and 2024?"])
def test_whether_the_whole_service_got_better_or_worse_is_answered_with_its_grades(assistant, question):
    # "got better", "go downhill": words telling the change asked about, not an area of the service
    answer = assistant.ask(question)
    assert answer.answered and all(re.search(r"inadequate|requires improvement|good|outstanding", c.quote, re.I)
                                   for c in quoting(answer)), answer.text


def test_an_adult_who_works_with_children_posing_a_risk_is_the_designated_officer_s_work(assistant):
    # the report: "The local authority designated officer service is effective, ... children at risk of harm from professionals"
    answer = assistant.ask("What happens in Kirklees when a youth worker may pose a risk to children?")
    assert answer.answered and (OFSTED, "19") in cited(answer), answer.text
    # ... and when an allegation is made against one
    answer = assistant.ask("How does Kirklees deal with allegations made against staff who work with children?")
    assert answer.answered and (OFSTED, "19") in cited(answer), answer.text


def test_keeping_the_same_worker_is_the_reports_consistent_relationships(assistant):
    # the report: "Care leavers benefit from enduring and consistent relationships with PAs, who know them well"
    answer = assistant.ask("Do care leavers keep the same worker?")
    assert answer.answered and (OFSTED, "43") in cited(answer), answer.text


def test_refugees_are_the_reports_unaccompanied_asylum_seeking_children(assistant):
    answer = assistant.ask("Do refugee children get help in Kirklees?")
    assert answer.answered and set(cited(answer)) <= {(OFSTED, "36"), (OFSTED, "48")}, answer.text


def test_everyday_words_for_therapy_and_waiting_find_the_reports_own(assistant):
    # the report: "Access to the emotional well-being service up to the age of 25, with no waiting time"
    answer = assistant.ask("Can a 24-year-old who grew up in the system see a counsellor without a long delay?")
    assert answer.answered and (OFSTED, "44") in cited(answer), answer.text


def test_a_follow_up_s_own_words_count_at_least_as_much_as_the_many_of_the_question_it_leans_on(assistant, corpus_index):
    from assistant.query import analyse

    earlier = "How does Kirklees deal with 16 and 17 year olds who end up homeless or sofa surfing?"
    intent = analyse("And for care leavers?", [{"role": "user", "content": earlier}],
                     list(corpus_index.documents().values()), corpus_index.abbreviations())
    subject = assistant._subject(intent)
    own = {"care", "leaver"}
    # seven words of the earlier question outweighed the two the follow-up asks of (North Yorkshire's care
    # leavers were answered with its hubs for homeless 16- and 17-year-olds)
    assert sum(v for t, v in subject.items() if t in own) >= sum(v for t, v in subject.items() if t not in own) > 0


def test_a_list_item_carries_the_voice_of_its_lead_in(assistant):
    # "Ofsted outlined a number of strengths ... These included: * For children who have experienced
    # domestic abuse ...": the item is Ofsted's finding as the council page reports it
    answer = assistant.ask("What did the Ofsted inspection in 2019 say about domestic abuse?")
    assert answer.answered
    assert all("domestic abuse" in c.quote for c in answer.citations)
    assert {c.document.year for c in answer.citations} == {2019}


def test_a_question_asking_who_said_it_is_answered_with_the_speaker_s_words_not_only_the_source_it_names(assistant):
    # Ofsted is named as who may have said it: the council's director said it, in the 2016 press story
    answer = assistant.ask("Did Ofsted's 2016 inspection say the council already knew about the issues, or who said that?")
    assert answer.answered and PRESS_2016 in {c.document.id for c in answer.citations}
    assert any("We knew about the issues" in c.quote for c in answer.citations)
    # ... and so when the question asks "who was it that said": a cleft sentence asks for the speaker too
    answer = assistant.ask("Who was it that said in 2016 that the council knew about the issues: Ofsted's inspectors?")
    assert any("We knew about the issues" in c.quote for c in answer.citations), answer.text


def test_a_claim_the_question_quotes_is_cited_where_it_was_made_whoever_made_it(assistant):
    # the words are a cabinet member's, in the council's statement, though the question credits Ofsted with them
    answer = assistant.ask("Was it Ofsted that wrote of 'much improved standards' in Kirklees in 2019?")
    claims = [c for c in answer.citations if "much improved standards" in c.quote]
    assert claims and {c.document.id for c in claims} == {COUNCIL_2019}, answer.text
    # under its sayer's heading, not Ofsted's
    assert "much improved standards" in answer.text.split("Kirklees Council (2019 statement):\n")[1].split("\n\n")[0]
    # a councillor's words in a press story, though the question asks for a verdict, which a sentence giving no grade
    # would otherwise not answer
    answer = assistant.ask("Was it Ofsted's verdict in 2016 that the response to child sexual exploitation was 'a big plus'?")
    assert any(c.document.id == PRESS_2016 and "is a big plus" in c.quote for c in answer.citations), answer.text


def test_then_and_is_it_still_is_answered_from_that_year_and_from_later(assistant):
    answer = assistant.ask("Was support for disabled children a concern in 2019, and is it still?")
    assert {2019, 2024} <= {c.document.year for c in answer.citations}
    assert any(c.document.id == OFSTED and "Disabled children" in c.quote for c in answer.citations)


def test_a_grade_asked_for_is_one_stated_not_one_denied_or_a_list_of_all_four(assistant):
    answer = assistant.ask("What grade did Ofsted give Kirklees in 2019?")
    assert answer.answered
    quotes = [c.quote for c in answer.citations]
    assert all(c.document.year == 2019 for c in answer.citations)
    assert any("requires improvement to be good" in q for q in quotes)
    assert not any("no longer considered inadequate" in q or "can be one of" in q for q in quotes)


def test_a_grade_asked_of_no_area_is_the_overall_one_even_in_a_table_row(assistant):
    answer = assistant.ask("What grade did Kirklees get in 2024?")
    assert answer.answered
    assert any(c.paragraph.label == "judgements" and c.quote == "Overall effectiveness: Good" for c in answer.citations)


def test_a_grade_or_a_change_of_the_service_as_a_whole_is_its_overall_judgement_each_year(assistant):
    # "children's services" names no area: the overall line, not the areas' grades
    answer = assistant.ask("What grade did Kirklees children's services get in 2024?")
    assert answer.answered and "Overall effectiveness: Good" in answer.text.splitlines()[1]
    assert not any("children in care: Good" in c.quote for c in answer.citations)
    # over time, each year's: the 2024 report's overall line, and the 2016 news's grade in its own words
    answer = assistant.ask("How have Kirklees's children's services changed between 2016 and 2024?")
    assert answer.answered
    quotes = {year: " ".join(c.quote for c in answer.citations if c.document.year == year) for year in (2016, 2024)}
    assert "Overall effectiveness: Good" in quotes[2024]
    assert "inadequate" in quotes[2016]


def test_how_an_area_fared_is_answered_with_its_grade_in_the_reports_words_of_its_year(assistant):
    # "looked-after children" are "children in care" in a 2024 report: how they did is that line's grade
    answer = assistant.ask("How did Kirklees do for looked-after children in 2024?")
    assert answer.answered
    assert any("children in care: Good" in c.quote and c.paragraph.label == "judgements" for c in answer.citations)


def test_a_phone_number_or_email_address_is_answered_only_by_one(assistant):
    # no source gives the fostering team's telephone number: a sentence about fostering with an "18" in it is no answer
    assert not assistant.ask("What is the telephone number of the fostering team?").answered
    answer = assistant.ask("What is the email address of the report's contact officer?")
    assert answer.answered
    assert [c.quote for c in answer.citations] == ["Robert.fordyce@kirklees.gov.uk"]


def test_a_sum_of_money_is_answered_only_by_a_sentence_giving_one_on_the_subject(assistant):
    answer = assistant.ask("How much extra money was committed to children's services?")
    assert answer.answered
    assert all("£4million" in c.quote for c in answer.citations)
    # the only sum in the sources is that one: it says nothing of agency staff, nor of a yearly spend on fostering
    assert not assistant.ask("How much has the council paid for agency staff?").answered
    assert not assistant.ask("How much does Kirklees spend on fostering each year?").answered


TOPICS = ["child protection plans", "foster placements", "care leavers' flats", "short breaks", "adoption support",
          "family hubs", "youth work", "school transport", "mental health support", "the front door", "court work",
          "kinship care", "respite care", "missing children", "return interviews", "supervision", "case audits",
          "training", "caseloads", "recruitment", "the local offer", "advocacy", "life story work", "health checks",
          "parenting courses", "family group conferences", "edge of care work", "private fostering", "staying put",
          "young carers", "disabled children's teams", "residential homes", "semi-independent homes", "interpreters"]


def test_a_paragraph_giving_what_is_asked_is_found_among_many_nearer_in_words(tmp_path, tmp_index, embedder):
    from assistant.query import analyse

    # three dozen paragraphs use the question's words, and none gives a sum
    near = "".join(f"{n}. After the 2023 review, extra money went into Riverside's {topic} services, and managers "
                   f"review how it is spent.\n\n" for n, topic in enumerate(TOPICS, start=3))
    _ingest_text(tmp_path, tmp_index, embedder, "Progress update\n\n1. In March 2023 an independent review found "
                 "serious weaknesses.\n\n2. In response, a new director was appointed and an extra £2million was "
                 "committed to early help.\n\n" + near)
    assistant = Assistant(tmp_index, embedder)
    question = "How much extra money went into Riverside's services after the 2023 review?"
    # "after the 2023 review" is when (what followed it), not a year whose documents alone may answer
    answer = assistant.ask(question)
    assert answer.answered and [c.paragraph.label for c in answer.citations] == ["2"]
    # the few paragraphs handed on from retrieval are those that can give what is asked, however near the others' words
    intent = analyse(question, [], list(tmp_index.documents().values()))
    nearest = [c.hit.paragraph.label for c in assistant.retriever.search(intent, k=3)][:3]
    giving = [c.hit.paragraph.label for c in assistant.retriever.search(
        intent, k=3, can_answer=lambda c: "£" in c.hit.paragraph.text)][:3]
    assert "2" not in nearest and giving[0] == "2"


def test_inspectors_in_a_question_say_who_not_what(assistant):
    # "inspectors found" in a press item is Ofsted's voice, not a sentence about caseloads
    answer = assistant.ask("What did inspectors say about caseloads?")
    assert answer.answered
    assert all("caseload" in c.quote.lower() for c in answer.citations)


def test_the_latest_inspection_is_the_newest_inspection_report(assistant):
    # not the 2019 news of a monitoring visit whose "inspectors noted" the workforce, nor the 2026 council report
    answer = assistant.ask("What did inspectors say about the workforce in the latest inspection?")
    assert answer.answered
    assert {c.document.id for c in answer.citations} == {OFSTED}
    assert any("workforce" in c.quote for c in answer.citations)


def test_since_in_a_question_over_time_is_when_not_what(assistant):
    # "since" frames the time asked about: a sentence sharing only that word is not about caseloads
    answer = assistant.ask("How have caseloads changed since 2019?")
    assert answer.answered
    assert all("caseload" in c.quote.lower() for c in answer.citations)


def test_a_follow_up_naming_no_time_stays_with_the_latest_inspection_its_conversation_was_answered_from(assistant):
    import numpy as np

    from assistant.answer import Choice
    from assistant.query import analyse
    from assistant.records import Document, Hit, Paragraph
    from assistant.retrieve import Candidate

    def choice(document, text, score):
        paragraph = Paragraph(document.id, "1", text, sentences=((0, len(text)),))
        return Choice(Candidate(Hit(paragraph, score), np.array([score]), document), 0, text, score, overlap=0.5, dense=score)

    old = Document("old.pdf", "Inspection of Riverside", "Ofsted", "inspection report", "2015-01")
    new = Document("new.pdf", "Inspection of Riverside", "Ofsted", "inspection report", "2024-03")
    # the older report's sentence is nearer the words by more than tier_slack; the latest one's still answers
    scored = [choice(old, "The missing from education project is doing well and exclusions have fallen.", 0.62),
              choice(new, "Leaders are working with schools on a plan to bring exclusions down.", 0.50)]
    question = "What are they doing about it?"
    earlier = [{"role": "user", "content": "What did Ofsted find about children in Riverside being excluded from school?"},
               {"role": "assistant", "content": "Ofsted (2024 inspection report):\nToo many children are excluded. [1]"}]
    fresh = analyse("What is being done about exclusions?", [], [old, new])
    # a question naming no time may be answered from an older inspection that answers it much better ...
    assert assistant.select(fresh, scored)[0].candidate.document is old
    # ... but a follow-up goes on in the time its conversation was answered in, "what are they doing" now
    follow_up = analyse(question, earlier, [old, new])
    assert assistant.select(follow_up, scored)[0].candidate.document is new


def test_words_of_one_family_count_as_the_question_s_words():
    from assistant.answer import _uses
    from assistant.weights import Weights
    from ingest.index import tokenize

    w = Weights()
    RELATED = w.related_word

    # the stemmer keeps "leadership" and "leaders", "child" and "children" apart
    assert _uses(tokenize(["leadership"])[0][0], set(tokenize(["leaders"])[0]), w) == RELATED
    assert _uses(tokenize(["child"])[0][0], set(tokenize(["children"])[0]), w) == RELATED
    assert _uses(tokenize(["care"])[0][0], set(tokenize(["career"])[0]), w) == 0  # a short stem is not a family
    assert _uses(tokenize(["plan"])[0][0], set(tokenize(["planet"])[0]), w) == 0
    assert _uses(tokenize(["judgement"])[0][0], set(tokenize(["judged"])[0]), w) == RELATED  # ... unless a known ending
    assert _uses(tokenize(["judged"])[0][0], set(tokenize(["judgement"])[0]), w) == RELATED  # either way round
    assert _uses(tokenize(["plans"])[0][0], set(tokenize(["planning plan"])[0]), w) == 1


def test_how_many_is_answered_only_with_a_number_of_what_is_counted(assistant):
    flats = assistant.ask("How many independent flats has the council provided for care leavers?")
    assert flats.answered and (SCRUTINY, "4.4") in cited(flats)
    # the bundled documents give no count of children in care: "four independent flats" counts something else
    children = assistant.ask("How many children are in care in Kirklees?")
    assert all("four independent flats" not in c.quote for c in children.citations if children.answered)
    # a count of the things counted that says nothing of those asked about: the flats are for young people
    disabled = assistant.ask("How many independent flats are there for disabled children?")
    assert not disabled.answered and "four independent flats" in disabled.text  # shown as related, not as the answer


def test_a_number_written_in_words_is_a_number():
    from assistant.answer import _counts
    from assistant.weights import Weights

    assert _counts("The council has recruited fourteen new foster carers since the spring.", ("foster", "carer"), Weights())
    assert _counts("Forty-two care leavers live in their own homes.", ("care", "leaver"), Weights())


def test_a_follow_up_given_the_answer_record_does_not_repeat_what_it_cited(assistant):
    first = assistant.ask("What did Ofsted say about care leavers' accommodation?")
    assert first.answered
    # the web app passes each earlier answer's record with its text: what was cited is not cited again
    history = [{"role": "user", "content": first.question},
               {"role": "assistant", "content": first.text, "answer": first}]
    more = assistant.ask("What else did Ofsted say about that?", history)
    assert more.answered
    assert not {c.quote for c in first.citations} & {c.quote for c in more.citations}


def test_a_follow_up_may_cite_the_whole_of_a_sentence_the_earlier_answer_gave_a_piece_of(assistant):
    # the earlier answer ended the sentence at its first clause: the rest is what the follow-up asks for
    history = [{"role": "user", "content": "What did Ofsted say about bed and breakfast for care leavers?"},
               {"role": "assistant", "content": "Leaders are progressing clear plans to address this shortfall."}]
    answer = assistant.ask("What is the aim of those plans?", history)
    assert answer.answered
    assert any("eradicate the use of bed and breakfast accommodation" in c.quote for c in answer.citations)


def test_a_year_no_document_is_of_is_told_by_a_later_sentence_naming_it(assistant):
    # no source is of 2025: the 2026 report's sentence on 2025's priorities tells of that year
    answer = assistant.ask("Which strategic priorities were set for 2025?")
    assert answer.answered
    assert all("2025" in c.quote for c in answer.citations)
    # a year no source is of and none names is still refused, not answered from another year
    assert not assistant.ask("What did Ofsted find about adoption in 2013?").answered


def test_a_when_question_is_answered_by_the_dates_line_alone(assistant):
    # "exactly ... by when" in a sentence about letters to parents is no answer to when the inspectors came
    answer = assistant.ask("When exactly were the inspectors in Kirklees?")
    assert answer.answered
    assert all(c.quote.startswith("Inspection dates:") for c in answer.citations)  # each inspection's dates line, no other
    assert (OFSTED, "details") in cited(answer) and "8 to 19 July 2024" in answer.text


def test_a_change_since_a_year_is_told_from_that_years_source_on(assistant):
    # "has it fallen since 2024?": what 2024's source said it was, then what later ones say
    answer = assistant.ask("Has the number of care leavers in bed and breakfast fallen since 2024?")
    assert answer.answered
    years = [c.document.year for c in answer.citations]
    assert 2024 in years and max(years) > 2024 and min(years) == 2024


def test_a_bare_since_after_the_years_named_reaches_the_years_after(assistant):
    # "in 2019 and in 2024, and has anything been done since?": those years, then what later sources tell
    answer = assistant.ask("Was care leavers' accommodation a concern in 2019 and in 2024, and has anything been done about it since?")
    assert answer.answered
    years = {c.document.year for c in answer.citations}
    assert {2019, 2024} <= years and max(years) > 2024


COUNCILLOR_STORY = """Riverside councillor responds to inspection

1. Councillor Priya Nair, cabinet member for children, said the council accepted the report and thanked its staff for their hard work.
2. Councillor Nair said the inspection report was fair and that the council would publish its improvement plan next month.
3. She added that the council's new fostering campaign had recruited twenty foster carers since the spring.
4. The inspection report also noted that several children had waited too long for a social worker.
"""


def test_a_follow_up_is_answered_on_its_own_subject_not_the_earlier_questions(tmp_path, tmp_index, embedder):
    # "did she say anything about foster carers?": the earlier question says who she is; the answer
    # must speak of foster carers, not repeat whatever else the councillor said about the report
    meta = {"title": "Councillor responds", "publisher": "Riverside Gazette", "kind": "press", "date": "2025-06"}
    _ingest_text(tmp_path, tmp_index, embedder, COUNCILLOR_STORY, "councillor.txt", meta)
    assistant = Assistant(tmp_index, embedder)
    first = "What did Councillor Priya Nair say about the inspection report?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": assistant.ask(first).text}]
    answer = assistant.ask("Did she say anything about recruiting foster carers?", history)
    assert answer.answered and [c.paragraph.label for c in answer.citations][0] == "3"


def test_a_date_still_to_come_is_not_answered_by_a_past_one(assistant):
    # the sources give the dates of past inspections only: none says when the next one is due
    answer = assistant.ask("When will Ofsted next inspect Kirklees's children's services?")
    assert not answer.answered
    assert answer.text.startswith("The sources do not answer this question.")


SCHEDULE_UPDATE = """Riverside inspection timetable

1. The last inspection of Riverside's children's services took place from 3 to 14 June 2024.
2. The next inspection is due in March 2027, and the council will publish its self-evaluation before then.
"""


def test_a_date_still_to_come_is_answered_by_a_sentence_that_speaks_of_it(tmp_path, tmp_index, embedder):
    _ingest_text(tmp_path, tmp_index, embedder, SCHEDULE_UPDATE)
    answer = Assistant(tmp_index, embedder).ask("When is the next inspection of Riverside due?")
    assert answer.answered
    quotes = " ".join(c.quote for c in answer.citations)
    assert "March 2027" in quotes and "June 2024" not in quotes
