"""Whose words a sentence carries when a quotation runs on across paragraphs (no index needed)."""

from __future__ import annotations

from assistant.records import Paragraph
from assistant.voice import list_lead_in, quote_speaker, speaker_shown


def paragraph(order: int, text: str) -> Paragraph:
    """A paragraph with its sentences split at full stops, as ingest stores their spans."""
    spans, start = [], 0
    for end in [i + 1 for i, ch in enumerate(text) if ch == "." and (i + 1 == len(text) or text[i + 1] == " ")]:
        spans.append((start, end))
        start = end + 1
    return Paragraph("press.txt", str(order + 1), text, order=order, sentences=tuple(spans))


STORY = [
    paragraph(0, "Inspectors found that plans for children were not reviewed on time."),
    paragraph(1, 'Councillor Jane Moss, cabinet member for children, said: "This is a fair report. Our staff work hard.'),
    paragraph(2, '"The leadership team is strong and has changed the service.'),
    paragraph(3, '"We will keep improving."'),
    paragraph(4, "The report also said that managers check visits."),
]


def earlier(i: int) -> list[Paragraph]:
    return STORY[:i][::-1]


def test_a_quotation_running_on_into_later_paragraphs_keeps_its_speaker():
    assert "Councillor Jane Moss" in quote_speaker(STORY[2], 0, earlier(2)).words
    assert "Councillor Jane Moss" in quote_speaker(STORY[3], 0, earlier(3)).words  # two paragraphs on


def test_a_later_sentence_of_the_paragraph_that_opens_the_quotation_is_the_speaker_s():
    assert "Councillor Jane Moss" in quote_speaker(STORY[1], 1, earlier(1)).words


def test_narration_is_nobody_s_quotation():
    assert quote_speaker(STORY[0], 0, []).words == ""
    assert quote_speaker(STORY[4], 0, earlier(4)).words == ""  # after the quotation ended


def test_a_quotation_by_she_or_he_is_the_speaker_the_narration_before_names():
    story = [paragraph(0, "Councillor Jane Moss, cabinet member for Children and Families, accepted the findings."),
             paragraph(1, 'She said: "Our priority has always been children. We will do better.'),
             paragraph(2, '"Homeless young people are our first concern."')]
    assert "Councillor Jane Moss" in quote_speaker(story[1], 1, story[:1]).words
    assert "Councillor Jane Moss" in quote_speaker(story[2], 0, story[:2][::-1]).words  # running on, as far back as the narration
    assert quote_speaker(paragraph(0, 'She said: "We are sorry. We will do better.'), 1, []).words == 'She said: "'  # nobody named


def test_the_speaker_shown_is_the_attribution_or_the_person_the_narration_names():
    assert speaker_shown(quote_speaker(STORY[2], 0, earlier(2)).words) == "Councillor Jane Moss, cabinet member for children, said:"
    # "She added that ..." goes on about the woman named before it, not about the board it names
    story = [paragraph(0, 'Sarah Callaghan, director for Children, said: "It is too early."'),
             paragraph(1, "She added that the Development Board will oversee improvement."),
             paragraph(2, 'She said: "We have an independent chair. It holds us to account.')]
    assert speaker_shown(quote_speaker(story[2], 1, story[:2][::-1]).words) == "Sarah Callaghan said:"
    # capitalised words opening a sentence are no name: "In August" is not who speaks
    dated = [paragraph(0, "In August, Councillor Ann Brook wrote to parents."), paragraph(1, 'She said: "We are sorry. It will change.')]
    assert speaker_shown(quote_speaker(dated[1], 1, dated[:1]).words) == "Councillor Ann Brook said:"
    assert speaker_shown(quote_speaker(paragraph(0, 'She said: "We are sorry. We will do better.'), 1, []).words) == ""
    assert speaker_shown("Ofsted outlined strengths. These included:") == ""  # a list's lead-in quotes nobody


def test_a_closed_quotation_does_not_reach_the_next_sentence():
    closed = paragraph(0, 'The leader said: "We are pleased." The report found gaps in planning.')
    assert quote_speaker(closed, 1, []).words == ""


def test_a_list_item_is_introduced_by_the_words_before_the_list():
    strengths = Paragraph("council.txt", "20", "Ofsted outlined strengths. These included:\n\u2022 Strong practice.\n\u2022 Good plans.",
                          sentences=((0, 26), (27, 42), (45, 61), (64, 75)))
    assert list_lead_in(strengths, 2) == "Ofsted outlined strengths. These included:"
    assert list_lead_in(strengths, 3) == "Ofsted outlined strengths. These included:"
    assert list_lead_in(strengths, 0) == ""  # the lead-in itself is not an item
    assert list_lead_in(STORY[0], 0) == ""  # no list


def test_whose_words_are_read_from_any_newspapers_or_councils_wording():
    from assistant.query import analyse
    from assistant.records import Document
    from assistant.voice import voice_match

    story = Document("news.txt", "Services still failing", "Anytown Gazette", "press", "2023", place="Anytown")
    asks_ofsted = analyse("What did the watchdog find?", [], [story])
    asks_council = analyse("What did the local authority say in reply?", [], [story])
    for sentence in ("The watchdog said help for families was too slow.", "HMI found plans were weak.",
                     "Leaders were too slow to act, according to the inspectorate."):
        assert voice_match(sentence, story, asks_ofsted) == 1, sentence
        assert voice_match(sentence, story, asks_council) == -1, sentence
    for sentence in ("A council spokesperson said: the report is fair.", "The local authority said it would act quickly."):
        assert voice_match(sentence, story, asks_council) == 1, sentence
        assert voice_match(sentence, story, asks_ofsted) == -1, sentence
