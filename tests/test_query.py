"""Question analysis: who and when a question asks about, and follow-ups. Pure logic, no model."""

from assistant.query import analyse, message_text, resolve_follow_up, said
from assistant.records import Answer, Citation, Document, Paragraph

DOCS = [
    Document("a.txt", "Inspection", "Ofsted", "inspection report", "2024-07"),
    Document("b.txt", "Progress", "Kirklees Council", "council report", "2026-03-19"),
    Document("c.txt", "Damning report", "Dewsbury Reporter", "press", "2016-11-25"),
]


def test_publisher_and_kind():
    assert analyse("What did Ofsted say about adoption?", [], DOCS).kinds == ("inspection report",)
    assert analyse("What does the Dewsbury Reporter say?", [], DOCS).publishers == ("Dewsbury Reporter",)
    # a paper whose name holds a press word asks for that paper, not for every paper
    assert analyse("What did the Dewsbury Reporter say about adoption?", [], DOCS).kinds == ()
    assert analyse("What did the papers say about adoption?", [], DOCS).kinds == ("press",)
    assert "council report" in analyse("What has the council done about neglect?", [], DOCS).kinds


def test_a_publisher_is_named_by_its_whole_words():
    # "councillor" holds "council": a councillor quoted in the press is not the council's own report
    named = analyse("A councillor in Kirklees said the report was fair. Is that what inspectors said?", [], DOCS)
    assert named.publishers == ()
    assert analyse("What does Kirklees Council's report say about adoption?", [], DOCS).publishers == ("Kirklees Council",)


def test_a_council_set_beside_another_source_is_named_as_a_source():
    # "Ofsted or the council?" asks which of the two said it: both kinds answer, each under its own heading
    for question in ("Is it Ofsted or the council itself that puts the rise in referrals down to schools?",
                     "Did the local authority or the inspectors find that referrals rose?"):
        kinds = analyse(question, [], DOCS).kinds
        assert "inspection report" in kinds and "council report" in kinds, question
    assert analyse("What did Ofsted say about the council's leaders?", [], DOCS).kinds == ("inspection report",)


def test_a_follow_up_naming_no_time_asks_of_the_time_its_conversation_asked_of():
    asked = [{"role": "user", "content": "What did Ofsted's most recent inspection say about adoption?"}]
    assert analyse("And about fostering?", asked, DOCS).latest
    assert not analyse("And about fostering in 2016?", asked, DOCS).latest
    # ... whoever it asks of, when the time was named with no source; a time named with one was that source's
    asked = [{"role": "user", "content": "Could care leavers stay on with their foster carers after 18, back in 2019?"}]
    assert analyse("So what did the inspectors tell the council to do about that?", asked, DOCS).years == (2019,)
    asked = [{"role": "user", "content": "What did the 2019 council statement say about care leavers?"}]
    assert analyse("What did the inspectors say about it?", asked, DOCS).years == ()


def test_the_paper_is_the_press():
    assert "press" in analyse("What did the local paper report about the 2016 Ofsted inspection?", [], DOCS).kinds


def test_what_a_how_many_question_counts_is_not_where():
    redcar = [Document("r.pdf", "Inspection", "Ofsted", "inspection report", "2025-12", place="Redcar and Cleveland")]
    intent = analyse("How many Redcar and Cleveland children live in unregistered homes?", [], redcar)
    assert intent.counted == ("children",)  # not "and", which "27,365 children and young people" has after its number


def test_a_bare_since_in_a_follow_up_is_since_the_year_its_conversation_named():
    asked = [{"role": "user", "content": "What worries did Ofsted have in 2022 about children at risk of exploitation?"}]
    intent = analyse("Has that got any better since?", asked, DOCS)
    assert intent.over_time and intent.since == 2022 and intent.years == ()
    assert analyse("Has it got a lot worse?", [], DOCS).over_time
    # a comparative of degree asks how things have changed: then and now, each cited
    assert analyse("Reviews of practice used to be rushed. Are they any better these days?", [], DOCS).over_time
    assert analyse("Are the homes for care leavers no worse than they were?", [], DOCS).over_time
    assert not analyse("Which council's care leavers are better supported?", [], DOCS).over_time


def test_a_bare_since_is_since_the_last_year_the_question_names():
    intent = analyse("Were plans weak in 2019 and in 2024, and has anything been done since?", [], DOCS)
    assert intent.years == (2019, 2024) and intent.since == 2024
    assert analyse("What has happened since 2019?", [], DOCS).since == 2019
    # ... and asks how things have changed from then, each year cited
    intent = analyse("Inspectors said caseloads were too high in 2019. Has anything been done since?", [], DOCS)
    assert intent.over_time and intent.since == 2019
    assert analyse("Has the number of children in care come down since 2019?", [], DOCS).over_time


def test_an_inspection_named_by_its_place_among_the_councils_inspections_is_its_year():
    reports = [Document(f"{year}.pdf", "Inspection of Riverside", "Ofsted", "inspection report", f"{year}-03", place="Riverside")
               for year in (2014, 2018, 2023)]
    # the one before the time the conversation is of; with no conversation, the one before the latest
    asked = [{"role": "user", "content": "Are Riverside's care leavers well housed?"},
             {"role": "assistant", "content": "Ofsted on Riverside (2018 inspection report):\nMost care leavers live in suitable homes. [1]"}]
    assert analyse("What did the previous inspection find about that?", asked, reports).years == (2014,)
    assert analyse("What did Riverside's earlier report say about adoption?", [], reports).years == (2018,)
    assert analyse("What did the first inspection of Riverside say about adoption?", [], reports).years == (2014,)
    assert analyse("What did the inspection of Riverside say about adoption?", [], reports).years == ()


def test_a_month_names_a_time_not_a_document():
    january = [Document("d.txt", "Inspection of Testshire", "Ofsted", "inspection report", "2026-01-23",
                        date_note="inspection 12 to 23 January 2026"),
               Document("e.txt", "Inspection of Otherton", "Ofsted", "inspection report", "2025-01-17",
                        date_note="inspection 6 to 17 January 2025")]
    # "the January 2026 inspection" is when: every report of an inspection held in a January is not named by it
    assert analyse("What did Ofsted say at the January 2026 inspection?", [], january).documents == ()


def test_a_span_of_years_as_councils_write_it_names_both_years():
    assert analyse("Had it been sorted out by the 2024-25 inspection?", [], DOCS).years == (2024, 2025)
    assert analyse("What was spent in 2023/24?", [], DOCS).years == (2023, 2024)
    assert analyse("What did the report of 2024-07 say?", [], DOCS).years == (2024,)  # a month, not 2007


def test_a_voice_set_aside_is_not_asked_for():
    intent = analyse("What did inspectors find, rather than what the council said?", [], DOCS)
    assert intent.kinds == ("inspection report",)


def test_the_words_of_a_contrast_are_not_the_subject():
    from assistant.query import frame_words
    from ingest.index import stem_words

    intent = analyse("What did inspectors find in 2016, as opposed to the council's reaction?", [], DOCS)
    assert set(stem_words(["reaction"])) <= frame_words(intent)
    # "not" alone is no contrast: what has not improved is still about improving
    assert not set(stem_words(["improved"])) & frame_words(analyse("What has not improved since 2024?", [], DOCS))


def test_asking_how_a_council_did_or_fared_asks_for_its_judgements():
    for question in ("How did Kirklees do for children in care in 2024?", "How well did the council perform?",
                     "Which area did it do best in?", "How did care leavers fare at the inspection?"):
        assert analyse(question, [], DOCS).wants_grade, question
    for question in ("How does the council do return interviews?", "What did Ofsted say Kirklees should do?"):
        assert not analyse(question, [], DOCS).wants_grade, question


def test_a_grade_the_question_tells_is_not_one_it_asks_for():
    for question in ("Hackney was rated good in 2016, so what were inspectors unhappy about in case recording?",
                     "The service was judged inadequate in 2016. Have social workers' caseloads come down since?"):
        assert not analyse(question, [], DOCS).wants_grade, question
    for question in ("Was Kirklees rated good in 2024?", "In 2019, how were the services rated?",
                     "What was Kirklees rated in 2016, and what is it now?", "Overall, were they judged good?"):
        assert analyse(question, [], DOCS).wants_grade, question


def test_what_a_council_must_improve_is_asked_of_its_report_not_over_time():
    from assistant.query import frame_words
    from ingest.index import stem_words

    intent = analyse("What did Ofsted say Kirklees must improve about housing for care leavers?", [], DOCS)
    assert not intent.over_time  # a change wanted, not one told
    assert set(stem_words(["must"])) <= frame_words(intent)  # a modal verb is no subject word
    # nor is "compare", in a comparison of no years: the subject is what is compared
    assert set(stem_words(["compare"])) <= frame_words(analyse("How does leadership compare with fostering?", [], DOCS))
    # nor is "done", any more than "did": "what had Barnet done about agency social workers?"
    assert set(stem_words(["done"])) <= frame_words(analyse("What had the council done about agency social workers?", [], DOCS))
    assert analyse("Has housing for care leavers improved?", [], DOCS).over_time


def test_the_noun_naming_a_source_is_not_the_subject():
    from assistant.query import frame_words
    from ingest.index import stem_words

    intent = analyse("What did the council's 2019 statement say about care leavers?", [], DOCS)
    assert set(stem_words(["statement"])) <= frame_words(intent)
    assert not set(stem_words(["care", "leavers"])) & frame_words(intent)


def test_years_since_and_latest():
    intent = analyse("What has changed since the 2024 inspection?", [], DOCS)
    assert intent.since == 2024 and intent.years == ()
    assert analyse("What did the 2016 report say?", [], DOCS).years == (2016,)
    assert analyse("What is the latest position on fostering?", [], DOCS).latest
    assert analyse("How did the rating change between 2016 and 2024?", [], DOCS).over_time
    # a change told in other words than "changed", from the year of "its 2014 inspection" on
    for question in ("Has it stopped using hotels since its 2014 inspection?", "Have caseloads gone down since 2014?"):
        intent = analyse(question, [], DOCS)
        assert intent.since == 2014 and intent.years == () and intent.over_time, question


def test_since_the_inspection_is_the_latest_inspection_of_the_council_asked_about():
    documents = [Document("k.txt", "Inspection of Kirklees", "Ofsted", "inspection report", "2024-07", place="Kirklees"),
                 Document("t.pdf", "Inspection of Testshire", "Ofsted", "inspection report", "2026-02", place="Testshire")]
    assert analyse("What has changed in Kirklees since the inspection?", [], documents).since == 2024
    assert analyse("What has changed in Testshire since the inspection?", [], documents).since == 2026


def test_a_conversation_goes_on_about_the_council_it_named_and_a_comparison_with_a_year_is_over_time():
    documents = [Document("k.txt", "Inspection of Kirklees", "Ofsted", "inspection report", "2024-07", place="Kirklees"),
                 Document("t.pdf", "Inspection of Testshire", "Ofsted", "inspection report", "2026-02", place="Testshire"),
                 Document("t0.pdf", "Inspection of Testshire", "Ofsted", "inspection report", "2019-05", place="Testshire")]
    history = [{"role": "user", "content": "What difference have leaders made in Testshire?"},
               {"role": "assistant", "content": "Ofsted on Testshire (2026 inspection report):\nLeaders have made a difference. [1]"}]
    # no pronoun, nine words: still about Testshire, not the home council
    assert analyse("Even so, are some children still living in unregistered homes?", history, documents).places == ("Testshire",)
    assert analyse("What about Kirklees?", history, documents).places == ("Kirklees",)  # unless it names its own
    # "more than at the 2019 inspection" compares then with now
    assert analyse("Does Testshire use agency staff more or less than it did at the 2019 inspection?", [], documents).over_time
    assert not analyse("Did Testshire use more agency staff than permanent staff in 2019?", [], documents).over_time


def test_figures_and_dates_asked_for():
    assert analyse("How many flats were provided?", [], DOCS).wants_number
    assert analyse("What percentage of leavers are in work?", [], DOCS).wants_percentage
    assert analyse("When was the service rated inadequate?", [], DOCS).wants_date
    assert not analyse("What did Ofsted say about adoption?", [], DOCS).wants_number
    assert analyse("When exactly were the inspectors there?", [], DOCS).wants_date
    assert not analyse("What happens when a child goes missing?", [], DOCS).wants_date
    # a "when" clause saying in what case, then the question, asks no date
    assert not analyse("When a child in care turns 18, do they have to start again with a new worker?", [], DOCS).wants_date
    assert analyse("When, exactly, did the inspectors visit?", [], DOCS).wants_date
    # "its latest inspection" names a document as a year does; "now" alone does not
    assert analyse("Does it still use bed and breakfast, according to its latest inspection?", [], DOCS).latest_document
    assert analyse("What did the most recent monitoring visit find?", [], DOCS).latest_document
    assert not analyse("What is happening with caseloads now?", [], DOCS).latest_document
    # "at the moment" is now
    assert analyse("How many children live in unregistered homes at the moment?", [], DOCS).latest
    assert analyse("Is it still as good at present as it was in 2019?", [], DOCS).over_time
    # a date to come: "when ... due" in a question; "due to" in a sentence may be "because of"
    assert analyse("When are the five new children's homes due to open?", [], DOCS).wants_future
    assert not analyse("When did the delays due to staff shortages begin?", [], DOCS).wants_future


def test_a_sum_of_money_is_asked_for_by_how_much_with_a_word_of_spending_or_by_a_budget():
    for question in ("How much extra money went into fostering after the review?", "How much does the council spend on care leavers?",
                     "How much was invested in the front door?", "What was the budget for the Development Board?",
                     "How much is the birthday payment care leavers get?", "How much is the setting-up home grant?"):
        assert analyse(question, [], DOCS).wants_fact == "money", question
    for question in ("How much support do care leavers get?", "Has the council invested in early help?", "How much has caseload size changed?"):
        assert analyse(question, [], DOCS).wants_fact == "", question


def test_follow_up_takes_the_earlier_question_and_its_time():
    history = [{"role": "user", "content": "What happened in 2016?"},
               {"role": "assistant", "content": [{"type": "text", "text": "Services were rated inadequate."}]}]
    intent = analyse("How did the council respond at the time?", history, DOCS)
    assert "What happened in 2016?" in intent.retrieval_text
    assert intent.years == (2016,)


def test_a_follow_up_keeps_the_earlier_questions_since():
    history = [{"role": "user", "content": "What has the council done about neglect since the 2024 inspection?"},
               {"role": "assistant", "content": "It has trained its staff."}]
    intent = analyse("Is anything still missing?", history, DOCS)
    assert (intent.since, intent.years) == (2024, ())  # from 2024 on, not 2024 alone


def test_an_ordinal_picks_the_item_from_the_last_answer():
    history = [{"role": "user", "content": "What were the three areas?"},
               {"role": "assistant", "content": "1) homes for children; 2) written plans and records; 3) neglect practice."}]
    resolved = resolve_follow_up("What progress on the second of those?", history)
    assert "written plans and records" in resolved and "homes for children" not in resolved


def test_the_second_one_of_a_listed_answer_is_its_second_item():
    history = [{"role": "user", "content": "What needs to improve?"},
               {"role": "assistant", "content": "Ofsted (2024 inspection report):\n- Homes for children in care.\n"
                                                "- The quality of written plans and records.\n- Practice with neglect. [1]"}]
    assert "written plans and records" in resolve_follow_up("Tell me more about the second one.", history)


def test_the_second_of_those_after_an_answer_of_sentences_is_its_second_sentence():
    # an answer as `ask` writes it, given back as text: a heading, then sentences and rows each closed by a marker
    history = [{"role": "user", "content": "Which areas were outstanding?"},
               {"role": "assistant", "content": "Ofsted on Testshire (2025 inspection report):\nChildren in care: "
                                                "Outstanding [1] Care leavers: Outstanding [1] Leaders know their "
                                                "services well. [2]"}]
    resolved = resolve_follow_up("Tell me more about the second of those.", history)
    assert "Care leavers" in resolved and "Children in care" not in resolved and "Testshire" not in resolved
    # the rows one paragraph gives in a row are what "those" counts, though a sentence comes before them
    history[1]["content"] = ("Ofsted on Testshire (2026 inspection report):\nLeaders know their services well. [1] "
                             "The response to neglect. [2] The supply of homes for children. [2] Partners work well. [3]")
    first = resolve_follow_up("What did the report say about the first of those?", history)
    assert "neglect" in first and "Leaders know" not in first


def recorded_answer(*quotes: str) -> dict:
    """An assistant message as the web app passes it: the answer's text and its record."""
    citations = tuple(Citation(n, DOCS[0], Paragraph(DOCS[0].id, str(n), quote, order=n), quote)
                      for n, quote in enumerate(quotes, 1))
    text = "Ofsted on Kirklees (2024 inspection report): " + " ".join(f"{q} [{n}]" for n, q in enumerate(quotes, 1))
    return {"role": "assistant", "content": text, "answer": Answer("q", text, True, citations)}


def test_a_follow_up_goes_on_from_the_answer_record_not_its_text():
    reply = recorded_answer("Leaders have improved homes for children in care.", "Written plans and records are not yet consistent.")
    history = [{"role": "user", "content": "What did Ofsted find?"}, reply]
    # the second cited sentence, though the text is no numbered list
    resolved = resolve_follow_up("Tell me more about the second one.", history)
    assert "Written plans and records" in resolved and "homes for children" not in resolved
    # what was said is what the sources said, without the heading the answer put over it
    assert said(reply) == ["Leaders have improved homes for children in care.", "Written plans and records are not yet consistent."]


def test_a_quoted_list_is_said_item_by_item():
    reply = recorded_answer("What needs to improve:\n- Homes for children in care.\n- The quality of written plans.")
    assert said(reply) == ["Homes for children in care", "The quality of written plans"]
    assert "written plans" in resolve_follow_up("What about the second of those?", [{"role": "user", "content": "x"}, reply])


def test_a_question_asking_who_holds_a_role_wants_a_person_and_one_asking_who_said_it_does_not():
    assert analyse("Who is the director of children's services?", [], DOCS).wants_person
    assert analyse("Who led the inspection in 2024?", [], DOCS).wants_person
    assert not analyse("Who said the service was improving?", [], DOCS).wants_person
    assert not analyse("What did the director of children's services say?", [], DOCS).wants_person


def test_the_same_question_of_another_year_wants_what_the_earlier_one_wanted():
    from assistant.query import frame_words, intent_years

    history = [{"role": "user", "content": "What overall grade did Kirklees children's services get in 2024?"},
               {"role": "assistant", "content": "Overall effectiveness: Good [1]"}]
    again = analyse("Was it the same back in 2019?", history, DOCS)
    assert again.wants_grade and again.years == (2019,)
    # the earlier question's year is not searched for, and "back" says when, not what about
    assert "2024" in intent_years(again) and "back" in frame_words(again)
    # a follow-up asking of something else in another year asks its own question
    assert not analyse("What about their health in 2019?", history, DOCS).wants_grade


def test_a_change_wanted_is_no_change_over_time():
    assert not analyse("What does it need to improve, according to Ofsted in 2024?", [], DOCS).over_time
    assert analyse("Has it improved since 2016?", [], DOCS).over_time
    assert analyse("How did the judgement change?", [], DOCS).over_time


def test_a_year_and_now_ask_for_then_and_now():
    assert analyse("Was it inadequate in 2016, and what is it now?", [], DOCS).over_time
    assert not analyse("What was it rated in 2016?", [], DOCS).over_time


def test_message_text_reads_gradio_parts():
    assert message_text([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == "a b"
    assert message_text("plain") == "plain"


def test_the_reports_words_are_added_to_everyday_phrases_which_stay():
    from assistant.glossary import in_report_words

    text = in_report_words("Is the town hall helping youngsters leaving care to run a place of their own?")
    assert "town hall (council)" in text
    assert "care leavers" in text and "independence" in text and "of their own" in text
    assert in_report_words("What did Ofsted say about sufficiency?") == "What did Ofsted say about sufficiency?"
    # Ofsted judges services: the verb is the reports' own word, not a court's judge
    assert "court" not in in_report_words("How did Ofsted judge help and protection in 2025?")
    assert "court proceedings" in in_report_words("Did the judge criticise the delays?")
    # the reports' "outside of the area" for moving away (Blackpool 2026: "equitable for those living outside of the area")
    assert "outside the area" in in_report_words("Do care leavers who've moved away from Blackpool get the same deal?")
    assert "outside the area" not in in_report_words("Do care leavers get help to move into a flat?")
    # the reports write "custody" for prison
    assert "prison (custody)" in in_report_words("Does anyone visit young people in prison?")
    # a term renamed: older reports and their press tell of the "initial response", newer ones of the "front door"
    assert "front door (initial response)" in in_report_words("Has the front door got quicker since 2016?")


def test_the_abbreviations_a_library_defines_are_found_and_added_to_questions_both_ways():
    from assistant.glossary import Abbreviations, abbreviations_in, in_report_words

    found = abbreviations_in(["Children wait for child and adolescent mental health services (CAMHS).",
                              "Personal advisers (PAs) visit often.", "PAs know care leavers well.",
                              "The majority (61%) of care leavers are in work.", "The phone app (app) was slow.",
                              "Child protection (CP) plans are reviewed.", "Child protection is strong."])
    assert found["CAMHS"]["definitions"] == ["child and adolescent mental health services"]
    assert found["PA"] == {"definitions": ["personal advisers"], "alone": True}  # written alone as often as in full
    assert not found["CP"]["alone"] and "61%" not in found and "app" not in found
    abbreviations = Abbreviations(found)
    assert "child and adolescent mental health services" in in_report_words("How long is the wait for CAMHS?", abbreviations)
    assert "PAs" in in_report_words("Do care leavers keep one personal adviser?", abbreviations)
    # the reports spell "child protection" out: no "CP" is added to a question that does too
    assert "CP" not in in_report_words("How good is child protection?", abbreviations)


def test_an_indefinite_pronoun_is_no_subject_word():
    # "anything" is rare in reports, so as a subject word it would outweigh what the question is about
    from assistant.query import frame_words
    from ingest.index import stem_words

    intent = analyse("Did the inspectors say anything about homeless young people anywhere?", [], DOCS)
    assert set(stem_words(["anything", "anywhere"])) <= frame_words(intent)
    assert not set(stem_words(["homeless", "young", "people"])) & frame_words(intent)
