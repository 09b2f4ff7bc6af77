"""Answering against the real index of the bundled corpus: citations, refusals, who and when,
follow-ups, filters and the JSON contract. The questions are the tests' own."""

from __future__ import annotations

import json
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


def test_the_answer_names_publisher_and_year(assistant):
    answer = assistant.ask("What did the 2024 inspection say about young carers?")
    assert answer.answered
    assert "Ofsted (2024 inspection report):" in answer.text
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
    assert answer.text.startswith("The sources do not answer")


def test_a_number_the_sources_do_not_give_is_refused(assistant):
    answer = assistant.ask("What percentage of care leavers are in education, employment or training?")
    assert not answer.answered


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


def test_the_json_contract(assistant):
    out = answer_json(assistant.ask("What did Ofsted say about private fostering?"), "q1")
    assert set(out) == {"id", "question", "answer", "answered", "mode", "citations"}
    citation = out["citations"][0]
    assert set(citation) == {"marker", "source", "document", "publisher", "date", "paragraph", "text", "quote"}
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
