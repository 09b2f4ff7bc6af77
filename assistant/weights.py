"""Every number that decides an answer, in one table, each with its reason.

The numbers that trade one error for another (answer or refuse, how many sentences, how much the
question's named year or publisher counts, dense against lexical) are fitted on the training half
of the project's own questions by `scripts/fit_weights.py`, which writes `weights.json` beside this
file with the figures it reached on training and held-out questions; a number not in that file keeps
the default written here. `python -m assistant weights` prints the table in use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

FITTED_FILE = Path(__file__).with_name("weights.json")


def number(default, reason: str, stage: str):
    return field(default=default, metadata={"reason": reason, "stage": stage})


@dataclass(frozen=True)
class Weights:
    # -- retrieval and ranking (assistant/retrieve.py) --
    candidates: int = number(40, "paragraphs taken from each of dense and lexical search before fusing", "retrieve")
    dense_weight: float = number(0.65, "share of the fused score from meaning (dense); the rest from words (BM25 "
                                 "scaled to the best match)", "retrieve")
    lexical_keep: int = number(5, "the best matches by words alone kept whatever their fused score: the model can "
                               "miss a long sentence that uses the question's rarest words", "retrieve")
    lexical_strong: float = number(0.5, "... if they score at least this share of the best lexical score", "retrieve")
    intent_boost: float = number(0.08, "added to a paragraph of a document the question names by publisher, kind or "
                                 "year", "retrieve")
    cover_documents: int = number(4, "when the question's documents are this few, each one's cover (dates, lead "
                                  "inspector, grades) is always among the candidates", "retrieve")
    # -- sentence selection (assistant/answer.py) --
    sentence_dense: float = number(0.55, "share of a sentence's score from its meaning's nearness to the question",
                                   "select")
    sentence_words: float = number(0.25, "share from the question's subject words it uses (IDF-weighted); the rest "
                                   "is its paragraph's retrieval score", "select")
    best_meaning: float = number(0.5, "in a question over time, share of another document's sentence's meaning score "
                                 "from its nearness to the best sentence rather than to the question", "select")
    answer_floor: float = number(0.40, "a best sentence scoring below this does not answer: refuse", "select")
    words_answer: float = number(0.6, "a sentence using this share of the question's subject words is on the subject "
                                 "(a cover sheet answers only such questions)", "select")
    margin: float = number(0.09, "further sentences must score within this of the best", "select")
    tier_slack: float = number(0.1, "the named publisher's documents answer first unless this much worse", "select")
    voice_weight: float = number(0.06, "for a sentence in the voice asked for (Ofsted's findings reported by the press, "
                                 "a councillor's reply)", "select")
    related_word: float = number(0.7, "a word of the same family as the question's ('leader', 'leadership') counts "
                                 "this much as the word itself", "select")
    earlier_word: float = number(0.5, "in a follow-up with subject words of its own, a word only the earlier question "
                                 "it leans on uses counts this much, and all of them together no more than its own", "select")
    section_word: float = number(0.5, "a subject word in a paragraph's section heading rather than in the sentence "
                                 "counts this much", "select")
    same_words: float = number(0.6, "share of shared 4-word runs that makes one sentence a repeat of another (the "
                               "council quoting Ofsted)", "select")
    quote_run_on: int = number(15, "paragraphs a quotation is followed back through to find its speaker (newspapers "
                               "run a quotation on, a paragraph at a time, after naming who speaks)", "select")
    count_window: int = number(4, "words after a number within which what a 'how many' question counts must stand "
                               "('four independent flats')", "select")
    # -- composing (assistant/answer.py) --
    max_sentences: int = number(5, "sentences in an answer at most", "compose")
    min_sentences: int = number(3, "sentences an answer gives, when that many answer and share a subject word",
                                "compose")
    per_document: int = number(2, "sentences per document first, in an answer over time", "compose")
    list_quote_chars: int = number(1100, "a sentence introducing a bulleted list is quoted with the list up to this "
                                   "many characters (about ten short items); with a longer list it is quoted alone, "
                                   "which would otherwise crowd out the answer", "compose")
    max_per_paragraph: int = number(2, "sentences quoted from one paragraph at most", "compose")

    def table(self) -> list[tuple[str, str, object, str, bool]]:
        """(stage, name, value, reason, fitted) for each number."""
        fitted = set(_fitted_values())
        return [(f.metadata["stage"], f.name, getattr(self, f.name), f.metadata["reason"], f.name in fitted)
                for f in fields(self)]


def _fitted_values() -> dict:
    if not FITTED_FILE.exists():
        return {}
    return json.loads(FITTED_FILE.read_text(encoding="utf-8")).get("values", {})


def load() -> Weights:
    """The defaults above with the fitted values of weights.json over them."""
    known = {f.name for f in fields(Weights)}
    return replace(Weights(), **{k: v for k, v in _fitted_values().items() if k in known})
