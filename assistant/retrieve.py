"""Hybrid retrieval: dense (Chroma, over chunks and sentences) and lexical (BM25) candidates,
fused into one score per paragraph, with the documents a question asks about first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.query import GRADES, Intent, frame_words, is_named_source, not_searched
from assistant.records import Document, Filters, Hit
from assistant.voice import BULLET_RE
from assistant.weights import Weights
from assistant.weights import load as load_weights
from ingest.index import Bounded, tokenize

COVER_ORDERS = (0, 1)  # the paragraphs a report opens with: its cover facts ("details") and its grades ("judgements")
HEADING_CACHE = 10_000  # headings' vectors kept, the oldest forgotten beyond this (a bound on memory, not a weight)


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    sentence_scores: np.ndarray  # cosine similarity of the question to each sentence
    document: Document
    heading_score: float | None = None  # of the question to the heading of a paragraph that is a list under it
    sentence_vectors: np.ndarray | None = None  # each sentence's meaning, as sentence_scores compares it to the question's


def intent_match(document: Document, intent: Intent) -> float:
    """How well a document fits who and when the question asks about (0 to 1)."""
    score = 0.0
    if is_named_source(document, intent):
        score += 0.5
    year = document.year or 0
    if intent.years and document.of_any_year(intent.years):
        score += 0.5
    elif intent.since and year >= intent.since and not intent.years:
        score += 0.5 if year > intent.since else 0.25
    return score


class Retriever:
    def __init__(self, index, embedder, weights: Weights | None = None):
        self.index = index
        self.embedder = embedder
        self.weights = weights or load_weights()
        self._heading_vectors = Bounded(HEADING_CACHE)

    def heading_vectors(self, headings: list[str]) -> np.ndarray:
        """Vectors of section headings, each embedded once: the same few recur in many answers."""
        distinct = dict.fromkeys(headings)
        kept = {h: v for h in distinct if (v := self._heading_vectors.get(h)) is not None}
        missing = [h for h in distinct if h not in kept]
        if missing:
            for heading, vector in zip(missing, self.embedder.embed_queries(missing)):
                kept[heading] = self._heading_vectors[heading] = vector
        return np.array([kept[h] for h in headings])

    def search(self, intent: Intent, k: int = 10, filters: Filters | None = None,
               can_answer: Callable[[Candidate], bool] | None = None) -> list[Candidate]:
        """The k best paragraphs for the question, each with its sentences' similarities; those that
        `can_answer` (give a sum, a date ... that the question asks for) before those that cannot."""
        w = self.weights
        documents = self.index.documents()
        allowed = {d.id: d for d in documents.values() if filters is None or filters.allows(d)}
        if not allowed:
            return []
        entries = self.index.entries()
        query = self.embedder.embed_queries([intent.meaning_text or intent.retrieval_text])[0]
        words = f"{intent.retrieval_text} {GRADES}" if intent.wants_grade else intent.retrieval_text
        dense: dict[str, float] = {}
        lexical: dict[str, float] = {}
        subject: dict[str, float] = {}
        # search everything allowed, then again only the documents the question names (who and
        # when), so that those are among the candidates however the others score
        named = {doc_id: d for doc_id, d in allowed.items() if intent_match(d, intent) > 0}
        for scope in (allowed, named) if named and len(named) < len(allowed) else (allowed,):
            versions = {entries[doc_id]["version"] for doc_id in scope}
            for key, score in self.index.dense_search(query, w.candidates, versions=versions).items():
                dense[key] = max(score, dense.get(key, -1.0))
            lexical.update(self.index.lexical_search(words, w.candidates, allowed=versions,
                                                     without=not_searched(intent)))
            # and on the subject's words alone: "Ofsted" and "Kirklees" in every paragraph can
            # outweigh the one word the question is about ("leadership")
            subject.update(self.index.lexical_search(words, w.candidates, allowed=versions, without=frame_words(intent)))
        # the cover of each of the few documents asked about (its dates, lead inspector and grades come
        # first) is always considered: questions about those facts share few words with them
        few = named or allowed
        covers = {(doc_id, order) for doc_id in few for order in COVER_ORDERS} if len(few) <= w.cover_documents else set()
        keys = list(dict.fromkeys([*dense, *lexical, *subject, *(f"{entries[d]['version']}#{o}" for d, o in covers)]))
        paragraphs = self.index.get_paragraphs(keys)
        vectors = self.index.sentence_vectors(list(paragraphs))
        top_lexical = max(lexical.values(), default=0.0) or 1.0
        top_subject = max(subject.values(), default=0.0) or 1.0
        newest = max((d.year or 0) for d in allowed.values())
        # a paragraph that is nothing but a list is introduced by its heading ("What needs to improve?"),
        # which says what its items are and they do not
        lists = {key: p.section for key, p in paragraphs.items() if p.section and BULLET_RE.match(p.text)}
        heading_scores = dict(zip(lists, self.heading_vectors(list(lists.values())) @ query)) if lists else {}

        candidates = []
        for key, paragraph in paragraphs.items():
            document = allowed.get(paragraph.doc_id)
            if document is None:
                continue
            sentence_scores = vectors[key] @ query if key in vectors else np.array([dense.get(key, 0.0)])
            heading_score = float(heading_scores[key]) if key in heading_scores else None
            # a list is as near the question as its heading is, which says what its items are
            dense_score = max(float(sentence_scores.max()), dense.get(key, 0.0), heading_score or 0.0)
            lexical_score = max(lexical.get(key, 0.0) / top_lexical, subject.get(key, 0.0) / top_subject)
            score = w.dense_weight * dense_score + (1 - w.dense_weight) * lexical_score
            score += w.intent_boost * intent_match(document, intent)
            if intent.latest and (document.year or 0) == newest:
                score += w.intent_boost / 2
            hit = Hit(paragraph=paragraph, score=score, dense=dense_score, lexical=lexical_score)
            candidates.append(Candidate(hit, sentence_scores, document, heading_score, vectors.get(key)))
        candidates.sort(key=lambda c: c.hit.score, reverse=True)
        if can_answer is not None:
            # a paragraph giving no sum cannot answer "how much was spent?" however near its words: the
            # weaker ones that give one come first, each group in its order (the sort is stable)
            candidates.sort(key=lambda c: not can_answer(c))
        best_named = [c for c in candidates[k:] if c.document.id in named][:k]
        # the best few by words alone stay too: the model can miss a long sentence that uses the
        # question's rarest words ("the authority was rated inadequate in September 2016")
        best_words = [c for c in sorted(candidates[k:], key=lambda c: c.hit.lexical, reverse=True)[:w.lexical_keep]
                      if c.hit.lexical >= w.lexical_strong and c not in best_named]
        kept = {id(c) for c in (*candidates[:k], *best_named, *best_words)}
        cover = [c for c in candidates[k:] if id(c) not in kept and (c.document.id, c.hit.paragraph.order) in covers]
        return candidates[:k] + best_named + best_words + cover


def content_terms(text: str) -> list[str]:
    return tokenize([text])[0]
