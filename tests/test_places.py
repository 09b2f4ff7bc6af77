"""Which council: a library of two councils' documents (the bundled Kirklees corpus and a generated
Ofsted report on "Testshire"), asked about one, the other, both, neither, and a council it lacks."""

from __future__ import annotations

import shutil

import pytest

from assistant.answer import Assistant
from assistant.ask import explain_text
from assistant.query import analyse
from assistant.records import Document, Filters
from ingest.index import Index
from ingest.pipeline import ingest
from tests.ofsted_pdfs import write_ilacs_pdf

pytestmark = pytest.mark.slow

TESTSHIRE = "reports/testshire-2025.pdf"


@pytest.fixture(scope="module")
def two_councils(corpus_index, embedder, tmp_path_factory):
    folder = tmp_path_factory.mktemp("places")
    shutil.copytree(corpus_index.data_dir, folder / "index")
    index = Index(folder / "index")
    (folder / "reports").mkdir()
    write_ilacs_pdf(folder / "reports" / "testshire-2025.pdf")
    report = ingest([folder / "reports"], index, embedder)
    assert not report.failed, report.failed
    return Assistant(index, embedder)


def places_cited(answer) -> set[str]:
    return {c.document.place for c in answer.citations}


def test_a_question_naming_a_council_is_answered_from_its_documents_only(two_councils):
    answer = two_councils.ask("What did Ofsted say about care leavers' accommodation in Testshire?")
    assert answer.answered and places_cited(answer) == {"Testshire"}
    assert "Ofsted on Testshire (2025 inspection report):" in answer.text
    assert answer.places == ("Testshire",)


def test_a_question_naming_no_council_is_answered_for_the_home_council_and_says_so(two_councils):
    answer = two_councils.ask("What did Ofsted say about care leavers' accommodation?")
    assert answer.answered and places_cited(answer) == {"Kirklees"}
    assert answer.text.startswith("Answered for Kirklees, the home council; the library also holds documents about 1 other")
    assert "Ofsted on Kirklees (2024 inspection report):" in answer.text


def test_with_no_home_council_every_council_may_answer(two_councils, monkeypatch):
    monkeypatch.setenv("ASSISTANT_HOME_PLACE", "")
    answer = two_councils.ask("What did Ofsted say about care leavers' accommodation?")
    assert answer.answered and not answer.text.startswith("Answered for")
    assert all(c.document.place for c in answer.citations)


def test_a_question_naming_two_councils_answers_for_each_in_turn(two_councils):
    answer = two_councils.ask("How do Testshire and Kirklees compare on accommodation for care leavers?")
    assert answer.answered and places_cited(answer) == {"Testshire", "Kirklees"}
    assert answer.text.index("on Testshire (") < answer.text.index("on Kirklees (")  # in the order the question names them
    for citation in answer.citations:
        assert f"[{citation.marker}]" in answer.text


def test_a_council_with_no_documents_is_told_so_with_what_the_library_holds(two_councils):
    answer = two_councils.ask("What did Ofsted find about care leavers in Calderdale?")
    assert not answer.answered and not answer.citations
    assert answer.text == "No document about Calderdale is in the library. It holds documents about Kirklees (5), Testshire (1)."


def test_a_follow_up_goes_on_about_the_council_named_before(two_councils):
    history = [{"role": "user", "content": "What did Ofsted find about care leavers in Testshire?"},
               {"role": "assistant", "content": "Ofsted on Testshire (2025 inspection report): ..."}]
    answer = two_councils.ask("And what needs to improve?", history)
    assert answer.answered and places_cited(answer) == {"Testshire"}


def test_a_filter_by_council_and_a_question_about_another_are_told_apart(two_councils):
    answer = two_councils.ask("What did Ofsted say about Testshire's care leavers?", filters=Filters(places=("Kirklees",)))
    assert not answer.answered
    assert answer.text == "The search is narrowed to Kirklees; the question asks about Testshire."


def test_a_council_named_in_lower_case_or_possessive_is_found_but_a_word_is_not_a_council():
    documents = [Document("a.pdf", "Inspection of Reading", "Ofsted", "inspection report", "2024", place="Reading"),
                 Document("b.pdf", "Inspection of Barking and Dagenham", "Ofsted", "inspection report", "2023",
                          place="Barking and Dagenham")]
    assert analyse("what did ofsted say about barking and dagenham?", [], documents).places == ("Barking and Dagenham",)
    assert analyse("How is Reading's front door?", [], documents).places == ("Reading",)
    assert analyse("Does the reading age of children in care matter to Ofsted?", [], documents).places == ()


def test_a_council_joining_two_places_is_named_by_either_and_one_on_a_river_by_its_town():
    def report(place):
        return Document(f"{place}.pdf", f"Inspection of {place}", "Ofsted", "inspection report", "2024", place=place)

    documents = [report("Redcar and Cleveland"), report("Stoke-on-Trent"), report("Barking and Dagenham"), report("Barking")]
    assert analyse("Do care leavers from Redcar get free council tax?", [], documents).places == ("Redcar and Cleveland",)
    assert analyse("How does Cleveland compare with Stoke?", [], documents).places == ("Redcar and Cleveland", "Stoke-on-Trent")
    # a name that is also another council's is that council's
    assert analyse("What did Ofsted find in Barking?", [], documents).places == ("Barking",)
    assert analyse("What did Ofsted find in Dagenham?", [], documents).places == ("Barking and Dagenham",)


def test_what_the_model_embeds_leaves_out_the_councils_the_scope_keeps_to():
    # a council's name in the question's vector favours any sentence naming that council over one on the subject
    documents = [Document("a.pdf", "Inspection of Reading", "Ofsted", "inspection report", "2024", place="Reading"),
                 Document("b.pdf", "Inspection of Barking and Dagenham", "Ofsted", "inspection report", "2023",
                          place="Barking and Dagenham")]
    intent = analyse("Which relies more on agency social workers, Reading or Barking and Dagenham?", [], documents)
    assert intent.places == ("Reading", "Barking and Dagenham")
    assert intent.meaning_text == "Which relies more on agency social workers, or ?"
    assert analyse("How is Reading's fostering service?", [], documents).meaning_text == "How is fostering service?"
    unnamed = analyse("Does the reading age of children in care matter to Ofsted?", [], documents)
    assert unnamed.meaning_text == unnamed.retrieval_text


def test_since_the_inspection_in_a_library_with_no_inspection_report_is_no_error():
    documents = [Document("p.txt", "Council praised", "Dewsbury Reporter", "press", "2019", place="Kirklees")]
    assert analyse("What has changed since the inspection?", [], documents).since is None


@pytest.mark.parametrize("question, fact", [
    ("Who led the inspection of Testshire's children's services?", "Lead inspector: Jane Example"),
    ("Name the lead inspector of Ofsted's March 2025 visit to Testshire.", "Lead inspector: Jane Example"),
    ("When did Ofsted inspect Testshire?", "Inspection dates: 3 to 14 March 2025"),
    ("Over which days was Testshire inspected?", "Inspection dates: 3 to 14 March 2025"),
])
def test_the_facts_on_a_reports_cover_answer_questions_asking_for_them(two_councils, question, fact):
    answer = two_councils.ask(question)
    assert answer.answered and answer.citations[0].document.id == TESTSHIRE
    assert answer.citations[0].quote.startswith(fact), answer.text


def test_one_councils_reports_are_one_council_whatever_name_each_gives():
    from assistant.places import councils, scopes

    documents = [Document("a.pdf", "Inspection of Bradford", "Ofsted", "inspection report", "2014", place="City of Bradford"),
                 Document("b.pdf", "Inspection of Bradford", "Ofsted", "inspection report", "2026",
                          place="Bradford Children and Families Trust"),
                 Document("c.pdf", "Inspection of Hammersmith", "Ofsted", "inspection report", "2019", place="Hammersmith & Fulham"),
                 Document("d.pdf", "Inspection of St Helens", "Ofsted", "inspection report", "2023", place="St Helens")]
    assert councils(documents) == {"Bradford": ("Bradford Children and Families Trust", "City of Bradford"),
                                   "Hammersmith and Fulham": ("Hammersmith & Fulham",), "St Helens": ("St Helens",)}
    intent = analyse("How do Bradford and Hammersmith & Fulham compare with St. Helens on care leavers?", [], documents)
    assert intent.places == ("Bradford", "Hammersmith and Fulham", "St Helens")
    bradford = scopes(["Bradford"], None, documents)[0]
    assert [d.id for d in documents if bradford.filters.allows(d)] == ["a.pdf", "b.pdf"]


def test_a_council_is_named_as_its_documents_name_it_where_its_council_name_is_a_region():
    from assistant.places import not_in_library

    documents = [Document("a.pdf", "Inspection of Bradford", "Ofsted", "inspection report", "2014", place="City of Bradford"),
                 Document("b.pdf", "Inspection of Bradford", "Ofsted", "inspection report", "2026",
                          place="Bradford Children and Families Trust"),
                 Document("c.pdf", "Inspection of the City of London", "Ofsted", "inspection report", "2024", place="City of London")]
    # "London" alone would be the region of many councils; Bradford's reports give it two names, and it is Bradford
    assert not_in_library(["Leeds"], documents) == ("No document about Leeds is in the library. It holds documents about "
                                                    "Bradford (2), City of London (1).")


@pytest.mark.parametrize("question", ["Was Testshire rated good overall?", "How did Ofsted rate Testshire's services overall?"])
def test_a_question_about_a_grade_is_answered_with_the_grade_given_even_when_it_names_one(two_councils, question):
    answer = two_councils.ask(question)
    assert answer.answered and answer.citations[0].paragraph.label == "judgements"
    assert "Overall effectiveness: Good" in answer.citations[0].quote


def test_a_place_only_another_councils_report_mentions_is_not_taken_for_the_home_council(two_councils):
    # "Example" stands in the Testshire report (its lead inspector's name) and in no Kirklees document
    answer = two_councils.ask("How are care leavers supported in Example?")
    assert not answer.answered
    assert answer.text.startswith("No document about Example is in the library.")
    # a place the home council's own documents mention is the home council's
    assert two_councils.ask("How are care leavers supported in Huddersfield?").places == ("Kirklees",)


def test_a_follow_up_keeps_the_year_its_conversation_named(two_councils):
    from assistant.query import analyse

    documents = list(two_councils.index.documents().values())
    history = [{"role": "user", "content": "Who was appointed commissioner for Kirklees in 2016?"},
               {"role": "assistant", "content": "..."}]
    assert analyse("What was she going to do?", history, documents).years == (2016,)
    assert analyse("What did Ofsted find in 2024?", history, documents).years == (2024,)


INSPECTIONS = {  # (file, council, date): a paragraph of each report on its leaders
    ("riverside-2016.txt", "Riverside", "2016-05"): "1. Leaders in Riverside have not tackled the serious weaknesses in social work practice.\n",
    ("riverside-2024.txt", "Riverside", "2024-06"): "1. Leaders in Riverside are ambitious and have transformed social work practice.\n",
    ("hillshire-2025.txt", "Hillshire", "2025-03"): "1. Leaders in Hillshire know their services well, though some social work practice is weak.\n",
}


def _inspections(tmp_path, index, embedder, reports=INSPECTIONS) -> Assistant:
    for (name, council, date), text in reports.items():
        folder = tmp_path / name.removesuffix(".txt")
        folder.mkdir()
        (folder / name).write_text(f"Inspection of {council} children's services\n\n{text}", encoding="utf-8")
        meta = {"title": f"Inspection of {council} children's services", "publisher": "Ofsted", "kind": "inspection report",
                "date": date, "place": council}
        assert not ingest([folder], index, embedder, metadata=meta).failed
    return Assistant(index, embedder)


def test_a_thing_named_that_the_councils_documents_never_mention_is_not_answered_from_them(tmp_path, tmp_index, embedder):
    reports = {
        ("riverside-2025.txt", "Riverside", "2025-03"): "1. Foster carers in Riverside are supported through the Hearthstone "
        "model, in which an experienced carer offers respite and advice to a group of families.\n\n"
        "2. Foster carers receive regular supervision and training.\n",
        ("hillshire-2025.txt", "Hillshire", "2025-06"): "1. Foster carers in Hillshire receive regular supervision and "
        "training, and say that they feel well supported.\n",
    }
    assistant = _inspections(tmp_path, tmp_index, embedder, reports)
    # Riverside's report tells of the Hearthstone model; Hillshire's never names it, however near its words
    assert assistant.ask("Does Riverside use the Hearthstone model for its foster carers?").answered
    hillshire, trace = assistant.explain("Has Hillshire started using the Hearthstone model for its foster carers?")
    assert not hillshire.answered and "do not answer" in hillshire.text
    # ask --explain says which name the council's documents never use, not that the scores fell short
    assert "absent: no paragraph of this scope uses Hearthstone" in explain_text(trace)


def test_an_abbreviation_is_mentioned_by_its_whole_spelling_not_by_any_of_its_words(tmp_path, tmp_index, embedder):
    reports = {
        ("riverside-2025.txt", "Riverside", "2025-03"): "1. Children with special educational needs wait too long for an "
        "education, health and care (EHC) plan: most wait more than 30 weeks.\n",
        ("hillshire-2025.txt", "Hillshire", "2025-06"): "1. Children in care in Hillshire have their health needs met "
        "and their education is well supported, though some wait for special educational needs support.\n",
    }
    assistant = _inspections(tmp_path, tmp_index, embedder, reports)
    assert assistant.ask("How long do children in Riverside wait for an EHC plan?").answered
    # Hillshire's report uses "education", "health" and "care", never together as what EHC stands for
    hillshire, trace = assistant.explain("How long do children in Hillshire wait for an EHC plan?")
    assert not hillshire.answered and "absent: no paragraph of this scope uses EHC" in explain_text(trace)


def test_a_common_word_with_a_capital_is_no_ones_name_when_the_library_writes_it_in_lower_case(tmp_path, tmp_index, embedder):
    reports = {
        ("riverside-2025.txt", "Riverside", "2025-03"): "1. Children in care speak at Corporate Parenting Forum meetings, "
        "and leaders listen to them.\n",
        ("hillshire-2025.txt", "Hillshire", "2025-06"): "1. Children in care in Hillshire meet the corporate parenting "
        "forum each month.\n\n2. Councillor Priya Desai leads the work with children in care.\n",
    }
    assistant = _inspections(tmp_path, tmp_index, embedder, reports)
    assert "Priya Desai" in assistant.ask("Who leads the work with children in care in Hillshire?").text
    # Riverside's report names no one: "Corporate Parenting Forum" is three words another report writes in lower case
    riverside = assistant.ask("Who leads the work with children in care in Riverside?")
    assert not riverside.answered, riverside.text


def files_cited(answer) -> set[str]:
    return {c.document.id.split("/")[-1] for c in answer.citations}


def test_councils_compared_with_no_time_named_are_compared_as_their_latest_inspections_found_them(tmp_path, tmp_index, embedder):
    assistant = _inspections(tmp_path, tmp_index, embedder)
    answer = assistant.ask("How does leadership in Riverside compare with Hillshire?")
    assert answer.answered and places_cited(answer) == {"Riverside", "Hillshire"}
    assert files_cited(answer) == {"riverside-2024.txt", "hillshire-2025.txt"}
    # a time named is kept to: then each as that year's inspection found it
    then = assistant.ask("How did leadership in Riverside in 2016 compare with Hillshire?")
    assert "riverside-2016.txt" in files_cited(then)


def test_a_question_naming_no_time_is_answered_as_the_latest_inspection_found_it(tmp_path, tmp_index, embedder):
    assistant = _inspections(tmp_path, tmp_index, embedder)
    # the 2016 inspection's findings were replaced by the 2024 one's
    assert files_cited(assistant.ask("What do inspectors say about leaders in Riverside?")) == {"riverside-2024.txt"}
    # ... but a year named, or a change asked about, is answered from that time
    assert files_cited(assistant.ask("What did inspectors say about leaders in Riverside in 2016?")) == {"riverside-2016.txt"}
    assert files_cited(assistant.ask("How have leaders in Riverside changed since 2016?")) == {"riverside-2016.txt", "riverside-2024.txt"}


def test_a_council_is_found_by_the_name_its_own_reports_call_it(tmp_path, tmp_index, embedder):
    reports = {  # the City of Riverside's report calls it "the City", as the City of London's do
        ("city-2024.txt", "City of Riverside", "2024-06"): "1. Leaders in the City are ambitious for children.\n\n"
                                                            "2. Social workers in the City know their children well.\n",
        ("hillshire-2025.txt", "Hillshire", "2024-06"): "1. Leaders in Hillshire are ambitious for children.\n",
    }
    answer = _inspections(tmp_path, tmp_index, embedder, reports).ask("What did Ofsted say about the City's leaders?")
    assert answer.answered and answer.places == ("Riverside",)
    assert files_cited(answer) == {"city-2024.txt"}


def test_a_name_two_councils_reports_would_share_or_written_once_is_neither_councils():
    from assistant.places import place_aliases

    def report(name, place):
        return Document(name, f"Inspection of {place}", "Ofsted", "inspection report", "2024", place=place)

    documents = [report("a.pdf", "City of Riverside"), report("b.pdf", "City of Hillshire"), report("c.pdf", "County of Dale")]
    assert place_aliases(documents, {"a.pdf": {"City": 5}, "b.pdf": {"City": 3}, "c.pdf": {"County": 1}}) == {}
    assert place_aliases(documents, {"a.pdf": {"City": 5}, "c.pdf": {"County": 2}}) == {"Riverside": ("the City",), "Dale": ("the County",)}
