"""The citation checker against the real index of the bundled corpus: citations in the forms
people write, paragraphs that do not exist, and paragraphs that do not say what is claimed."""

from __future__ import annotations

import pytest

from assistant.check import check_passage
from assistant.errors import AssistantError

pytestmark = pytest.mark.slow

OFSTED = "corpus/2024-ofsted-ilacs-inspection.txt"
SCRUTINY = "corpus/2026-scrutiny-panel-progress-report.txt"


def verdicts(passage, corpus_index, embedder, default_document=None):
    return [[(c.document.id if c.document else None, c.paragraph.label if c.paragraph else None, c.exists, c.supports)
             for c in result.citations] for result in check_passage(passage, corpus_index, embedder, default_document)]


def test_a_verbatim_quote_and_a_paraphrase_are_supported(corpus_index, embedder):
    quote = next(p for p in corpus_index.paragraphs(OFSTED) if p.label == "55").sentence_texts()[0]
    passage = f"{quote} (Ofsted 2024, para 55). Ofsted criticised placing some care leavers in B&B accommodation (para 55)."
    assert verdicts(passage, corpus_index, embedder) == [[(OFSTED, "55", True, True)], [(OFSTED, "55", True, True)]]


def test_a_paragraph_that_does_not_exist_is_flagged(corpus_index, embedder):
    [[(document, label, exists, supports)]] = verdicts("Inspectors praised the new library (paragraph 999).",
                                                      corpus_index, embedder, OFSTED)
    assert (document, label, exists, supports) == (OFSTED, None, False, False)
    result = check_passage("Inspectors praised the new library (paragraph 999).", corpus_index, embedder, OFSTED)
    assert "Paragraph 999 does not exist" in result[0].citations[0].reason


def test_a_paragraph_that_says_something_else_is_flagged(corpus_index, embedder):
    passage = "Ofsted said the council's bus services run on time (para 55). Care leavers are never placed in bed and breakfast accommodation (para 55)."
    checks = check_passage(passage, corpus_index, embedder, OFSTED)
    assert [c.supports for r in checks for c in r.citations] == [False, False]
    assert all(c.exists for r in checks for c in r.citations)
    assert "says otherwise" in checks[1].citations[0].reason  # the negation turns the claim around


def test_citation_forms_people_write(corpus_index, embedder):
    passage = ("The council will treat care experience as a protected characteristic (paragraph 5.3). "
               "Staff morale is high, Ofsted 2024, para 68. "
               "Care leavers' accommodation and the local offer were criticised (paras 55 and 41). "
               "Leaders set up a preparation for independence course [1].\n\n"
               "References\n[1] Ofsted 2024, paragraph 56\n")
    first, second, both, marked = verdicts(passage, corpus_index, embedder)
    assert first == [(SCRUTINY, "5.3", True, True)]
    assert second == [(OFSTED, "68", True, True)]
    assert [(d, label, exists) for d, label, exists, _ in both] == [(OFSTED, "55", True), (OFSTED, "41", True)]
    assert marked == [(OFSTED, "56", True, True)]


def test_a_marker_missing_from_the_reference_list_and_a_sentence_without_citations(corpus_index, embedder):
    checks = check_passage("Care leavers need better homes [4]. This sentence cites nothing.", corpus_index, embedder)
    assert checks[0].citations[0].exists is False and "no entry in the reference list" in checks[0].citations[0].reason
    assert checks[1].citations == ()


def test_a_label_in_several_documents_asks_which_report(corpus_index, embedder):
    [[check]] = [list(r.citations) for r in check_passage("Services improved (para 1).", corpus_index, embedder)]
    assert not check.exists and "say which report" in check.reason


def test_an_empty_passage_gets_a_clear_message(corpus_index, embedder):
    with pytest.raises(AssistantError, match="empty"):
        check_passage("   ", corpus_index, embedder)


def test_an_overclaimed_quantity_is_flagged(corpus_index, embedder):
    """Issue point 5: paragraph 55 says 'a small but significant number', not 'most'."""
    [[check]] = [list(r.citations) for r in check_passage(
        "Most care leavers are living in bed and breakfast accommodation (Ofsted 2024, para 55).", corpus_index, embedder)]
    assert check.exists and not check.supports
    assert "most" in check.reason.lower() and "small but significant number" in check.reason
    [[fair]] = [list(r.citations) for r in check_passage(
        "A small but significant number of care leavers are living in bed and breakfast accommodation (Ofsted 2024, "
        "para 55).", corpus_index, embedder)]
    assert fair.supports


def test_numbers_grades_and_years_that_differ_are_flagged():
    from assistant.check import facts_differ

    assert "12" in facts_differ("Inspectors met 12 care leavers.", "Inspectors met 10 care leavers.")
    assert "inadequate" in facts_differ("Services for care leavers are inadequate.",
                                        "The experiences and progress of care leavers: requires improvement to be good")
    assert "requires improvement" not in facts_differ("Care leavers' services require improvement to be good.",
                                                      "care leavers: Requires improvement to be good")
    assert "2019" in facts_differ("In 2019 services improved.", "Since 2022 services have improved.", 2024)
    assert facts_differ("In 2024 services improved.", "Services have improved.", 2024) == ""
    assert facts_differ("A small number of children wait too long.", "A small number of children wait too long.") == ""


def test_a_true_sentence_cited_to_the_wrong_paragraph_is_told_which_one_supports_it(corpus_index, embedder):
    quote = next(p for p in corpus_index.paragraphs(OFSTED) if p.label == "55").sentence_texts()[0]
    [[check]] = [list(r.citations) for r in check_passage(f"{quote} (Ofsted 2024, para 12).", corpus_index, embedder)]
    assert check.exists and not check.supports
    assert check.better is not None and check.better.label == "55"
    assert "Paragraph 55" in check.reason and "does support it" in check.reason
