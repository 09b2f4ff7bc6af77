"""Extractive answers: the sentences that answer, quoted verbatim, each followed by its citation
marker, grouped by document newest first under a line naming publisher, year and kind. When the
sources do not answer, say so and offer the nearest passages as related, not as an answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.places import Scope, heading_place, home_note, not_in_library, scopes
from assistant.query import GRADE_RE, JUDGEMENT_WORDS, Intent, analyse, frame_words, message_text
from assistant.records import Answer, Citation, Document, Hit
from assistant.retrieve import Candidate, Filters, Retriever, content_terms
from assistant.voice import OFSTED_VOICE_RE, OPENS_QUOTE_RE, RUN_ON, list_introduced, list_lead_in, quote_speaker, voice_match
from ingest.index import tokenize

MAX_SENTENCES = 5
MIN_SENTENCES = 3
PER_DOCUMENT = 2  # sentences per document, first, in an answer over time
MAX_PER_PARAGRAPH = 2
WHOLE_LIST = -1  # the sentence number of a choice quoting all of a paragraph that is a list under a heading
ANSWER_FLOOR = 0.40  # a best sentence scoring below this does not answer the question
CLEAR_FLOOR = 0.30  # ... unless its best paragraph stands CLEAR_GAP above all others
CLEAR_GAP = 0.08
CLEAR_DENSE = 0.35  # ... and its meaning is near the question's: a shared place name alone is not an answer
COVER_SHEET = "details"  # the label of a report's cover-sheet facts (meeting, date, sign-off)
WORDS_ANSWER = 0.6  # a sentence using this share of the question's subject words (IDF-weighted) is on the subject
MARGIN = 0.09  # further sentences must score within this of the best
TIER_SLACK = 0.1  # the named publisher's or year's documents answer first unless this much worse
NUMBER_RE = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|thousand|dozen|half)\b", re.I)
DATE_RE = re.compile(r"\b(january|february|march|april|may|june|july|august|september|october|november|december|(19|20)\d\d)\b", re.I)
PERCENT_RE = re.compile(r"%|\bper ?cent\b|\b(half|quarter|third|majority|minority)\b", re.I)
YEAR_RE = re.compile(r"\b(19|20)\d\d\b")  # "how many": a year ("in 2024") is not the figure asked for
RELATIVE_DATE_RE = re.compile(r"\b(this (morning|afternoon|week|month|year)|today|yesterday|last (week|month))\b", re.I)
VOICE_WEIGHT = 0.06
# over time, a sentence that tells of a change ("they are now judged", "since the previous inspection")
# says how things moved; one that describes a single moment does not
CHANGE_RE = re.compile(r"\b(now|no longer|previous(ly)?|since|improved|declined|deteriorated|worsened|remains?|remained|still|"
                       r"yet to)\b", re.I)
CHANGE_WEIGHT = 0.06
JUDGEMENT_TERMS = set(tokenize([" ".join(JUDGEMENT_WORDS)])[0])
OVERALL = tokenize(["overall"])[0][0]
HEADLINE_WEIGHT = 0.06
ADJECTIVE_RE = re.compile(r"[ -]+[a-z]")  # "good progress": an adjective, not Ofsted's "good"
NEGATED_RE = re.compile(r"\b(no longer|not|never)\W+(\w+\W+){0,2}$", re.I)
# endings that make a word of the same family from a short stem ("judg" -> "judgement"); a bare
# shared prefix of four letters ("plan", "planet") is not enough
DERIVED_ENDINGS = {"ement", "ment", "ship", "ness", "ion"}
RELATED = 0.7  # a word of the same family as the question's counts this much towards overlap
NOT_ANSWERED = "The sources do not answer this question."


@dataclass(frozen=True)
class Choice:
    candidate: Candidate
    index: int  # sentence number in the paragraph
    text: str
    score: float
    overlap: float = 0.0  # share of the question's subject words (IDF-weighted) the sentence uses
    dense: float = 0.0  # cosine similarity of the sentence to the question
    speaker: str = ""  # the words saying whose the sentence is: a quotation's speaker, a list's lead-in


def short_heading(document: Document) -> str:
    """Who, about which council, and when, in a few words: "Ofsted on Kirklees (2024 inspection report):"; for a
    document added through the web app, whose upload it is first, so that no one reads an upload given as
    "Ofsted" as Ofsted's own."""
    if document.added_by:
        return f"Uploaded by {document.added_by} on {document.added_at[:10] or 'an unknown date'}, given as {_who_and_when(document)}"
    return _who_and_when(document)


def _who_and_when(document: Document) -> str:
    publisher = re.sub(r"\s*\(.*?\)", "", document.publisher).strip() or document.publisher
    place = heading_place(document)
    who = f"{publisher} on {place}" if place else publisher
    kind = {"inspection report": "inspection report", "council report": "report", "council statement": "statement",
            "press": "news"}.get(document.kind, "document")
    if not document.year:
        return f"{who} (undated {kind}):"
    if "not stated" in document.date_note:
        return f"{who} (undated, {document.year}?):"
    return f"{who} ({document.year} {kind}):"


def _shingles(text: str, n: int = 4) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1))}


def _same_words(a: str, b: str) -> bool:
    """True when one sentence repeats the other (the council quoting Ofsted, say)."""
    sa, sb = _shingles(a), _shingles(b)
    return bool(sa and sb) and len(sa & sb) / min(len(sa), len(sb)) >= 0.6


class Assistant:
    """Answers questions from an index; extractive by default."""

    def __init__(self, index, embedder):
        self.index = index
        self.retriever = Retriever(index, embedder)

    def ask(self, question: str, history: list[dict] | None = None, filters: Filters | None = None) -> Answer:
        return self.prepare(question, history, filters)[1]

    def prepare(self, question: str, history: list[dict] | None = None,
                filters: Filters | None = None) -> tuple[list[Candidate], Answer]:
        """The retrieved paragraphs and the extractive answer (a generated answer starts from both)."""
        question = (question or "").strip()
        if not question:
            return [], Answer(question="", text="Please type a question.", answered=False)
        self.index.require()
        documents = list(self.index.documents().values())
        intent = analyse(question, history, documents)
        unknown = self._unknown_names(question)
        if unknown:
            return [], Answer(question=question, text=not_in_library(unknown, documents), answered=False)
        asked = list(intent.places)
        if asked and filters and filters.places:
            allowed = {p.lower() for p in filters.places}
            if not any(p.lower() in allowed for p in asked):
                text = f"The search is narrowed to {', '.join(filters.places)}; the question asks about {' and '.join(asked)}."
                return [], Answer(question=question, text=text, answered=False)
            asked = [p for p in asked if p.lower() in allowed]
        sections, candidates = [], []
        for scope in scopes(asked, filters, documents):
            found = self.retriever.search(intent, k=20, filters=scope.filters)
            candidates += found
            sections.append((scope, self._choose(intent, question, found, history or [])))
        note = home_note(sections[0][0], documents)
        places = tuple(scope.place for scope, _ in sections if scope.place)
        if not any(choices for _, choices in sections):
            return candidates, self._not_answered(question, intent, candidates, note, places)
        return candidates, self._compose(question, sections, note, places)

    # -- choosing sentences ---------------------------------------------------------------------

    def _unknown_names(self, question: str) -> list[str]:
        """Proper names in the question that appear nowhere in the sources (another council, say)."""
        words = re.findall(r"(?<![.?!]\s)(?<!^)\b([A-Z][a-z]{2,})\b", question)
        described = " ".join(f"{d.publisher} {d.title}" for d in self.index.documents().values()).lower()
        return [w for w in words if w.lower() not in described
                and (not content_terms(w) or not self.index.knows_term(content_terms(w)[0]))]

    def _choose(self, intent: Intent, question: str, candidates: list[Candidate], history: list[dict]) -> list[Choice]:
        if not candidates:
            return []
        frame = frame_words(intent)
        asked = {t: self.index.idf(t) for t in content_terms(intent.retrieval_text) if t not in frame}
        headline = intent.wants_grade and not set(asked) - JUDGEMENT_TERMS  # a grade asked of no area: "overall effectiveness"
        sentences = [(c, i, text) for c in candidates for i, text in enumerate(c.hit.paragraph.sentence_texts())]
        terms = [set(t) for t in tokenize([text for _, _, text in sentences])]
        # a paragraph that is a list under a heading, whole, as one more choice that matches on its heading
        lists = [c for c in candidates if c.heading_score is not None]
        sentences += [(c, WHOLE_LIST, c.hit.paragraph.text.strip()) for c in lists]
        terms += [set(t) for t in tokenize([c.hit.paragraph.section for c in lists])]
        sections = {c.hit.paragraph.key: set(content_terms(c.hit.paragraph.section)) for c in candidates}
        # a cover sheet repeats the document's name: it answers only questions about its own facts
        off_cover = {c.hit.paragraph.key for c in candidates if c.hit.paragraph.label == COVER_SHEET
                     and _overlap(asked, set(content_terms(c.hit.paragraph.text))) < WORDS_ANSWER}
        already_said = [piece for m in history if m.get("role") == "assistant"
                        for piece in re.split(r"(?<=[.;!?])\s+|\s\d\)\s", message_text(m.get("content")))]
        changes = intent.over_time or len(intent.years) > 1  # "has it improved", "from 2016 to 2024"
        # "when did ...": any year's document may tell the date, unless the question names the year
        over_time = changes or intent.wants_date and not intent.years
        scored = []
        for (candidate, i, text), sentence_terms in zip(sentences, terms):
            if intent.wants_number and not NUMBER_RE.search(YEAR_RE.sub(" ", text)) or intent.wants_percentage and not PERCENT_RE.search(text):
                continue  # the question asks for a figure this sentence does not give
            if intent.wants_grade and not _gives_grade(text):
                continue  # "how has the judgement changed": a sentence that gives no grade does not say
            if intent.wants_date and not (DATE_RE.search(text) or RELATIVE_DATE_RE.search(text) and candidate.document.date):
                continue  # "published this morning" is dated by its document
            # in a grade question every sentence left gives a grade, and a short row says enough: "Overall effectiveness: Good"
            too_short = len(text.split()) < 4 and not intent.wants_grade
            if too_short or candidate.hit.paragraph.key in off_cover or any(_same_words(text, said) for said in already_said):
                continue  # too short to stand alone, an off-subject cover sheet, or a follow-up repeating what was said
            if i == WHOLE_LIST:
                dense = candidate.heading_score
            else:
                dense = float(candidate.sentence_scores[i]) if i < len(candidate.sentence_scores) else candidate.hit.dense
            section_terms = sections[candidate.hit.paragraph.key]
            overlap = _overlap(asked, sentence_terms, section_terms)
            # a grade the sentence states is the judgement asked about (scored so, but it is no
            # subject word: "what rating did the safeguarding board get" is about the board)
            graded = _overlap(asked, sentence_terms | JUDGEMENT_TERMS, section_terms) if intent.wants_grade else overlap
            score = 0.55 * dense + 0.25 * min(1.0, graded) + 0.2 * candidate.hit.score
            speaker = self._speaker(candidate, max(i, 0), intent)
            voice = voice_match(text, candidate.document, intent, speaker)
            if voice < 0:
                continue  # someone else's words: a councillor quoted in a press item is not Ofsted
            score += VOICE_WEIGHT * voice
            if headline and OVERALL in sentence_terms:
                score += HEADLINE_WEIGHT
            if changes and overlap > 0 and CHANGE_RE.search(text):  # on the subject, not any change
                score += CHANGE_WEIGHT
            scored.append(Choice(candidate, i, text, score, overlap, dense, speaker))
        if intent.findings_of:
            # only sentences that report what the named review found can say what it concluded;
            # one that merely mentions it ("we will use the review to ...") cannot
            scored = [c for c in scored if _reports_findings(c.text, c.candidate.hit.paragraph.text, intent.findings_of)]
        scored.sort(key=lambda c: c.score, reverse=True)
        if not scored or scored[0].score < ANSWER_FLOOR and not _clear_winner(scored):
            return []
        if scored[0].overlap == 0 and any(not self.index.knows_term(t) for t in asked):
            return []  # the question names what no source mentions ("artificial intelligence"), and the best match shares none of its words
        if over_time and len(intent.years) > 1:
            # "from 2016 to 2024": every year in the range, not only the two named
            low, high = min(intent.years), max(intent.years)
            scored = [c for c in scored if low <= (c.candidate.document.year or 0) <= high] or scored
        elif not over_time:
            # answered from the documents the question names first: a year it names (or "at the
            # time") always; a publisher unless its documents answer clearly worse than the others
            both, when, who = _tiers(intent, self._newest_year(intent) if intent.latest else None)
            # "the latest inspection" names a document as a year does; "now" alone only prefers
            timed = bool(intent.years or intent.since or intent.latest and (intent.kinds or intent.publishers))
            for tier, last_resort in ((both, False), (when, timed), (who, False)):
                preferred = [c for c in scored if tier(c)]
                floor = ANSWER_FLOOR if timed else max(ANSWER_FLOOR, scored[0].score - TIER_SLACK)
                if preferred and preferred[0].score >= floor:
                    scored = preferred
                    break
                if last_resort:
                    # the sources from the time asked about do not answer; the others speak of another time
                    return []
        best = scored[0].score
        chosen: list[Choice] = []
        per_paragraph: dict[str, int] = {}

        wants_council = any("council" in kind for kind in intent.kinds)
        originals = [c for c in scored if c.candidate.document.kind == "inspection report"]

        def take(choice: Choice) -> None:
            if not wants_council and choice.candidate.document.kind != "inspection report":
                # the council or the press repeating Ofsted's words: cite Ofsted, who said them first
                choice = next((o for o in originals if _same_words(choice.text, o.text)), choice)
            listed = list_introduced(choice.candidate.hit.paragraph, choice.index)
            choice = replace(choice, text=listed) if listed else choice  # a lead-in is quoted with its list
            key = choice.candidate.hit.paragraph.key
            if per_paragraph.get(key, 0) >= MAX_PER_PARAGRAPH or any(_same_words(choice.text, c.text) for c in chosen):
                return
            per_paragraph[key] = per_paragraph.get(key, 0) + 1
            chosen.append(choice)

        if over_time:
            # an answer that spans years quotes the best sentences of each document first, newest first
            by_document: dict[str, list[Choice]] = {}
            floor = max(ANSWER_FLOOR - MARGIN, best - 3 * MARGIN)
            for choice in scored:
                if choice.score < ANSWER_FLOOR - MARGIN:
                    break
                if choice.score < floor and choice.overlap < WORDS_ANSWER:
                    continue  # far below the best, unless it uses most of the question's words
                group = by_document.setdefault(choice.candidate.document.id, [choice])
                if choice is not group[0] and len(group) < PER_DOCUMENT and choice.score >= group[0].score - MARGIN / 2:
                    group.append(choice)
            newest_first = sorted(by_document.values(), key=lambda g: g[0].candidate.document.date or "", reverse=True)
            for group in newest_first:
                for choice in group:
                    if len(chosen) < MAX_SENTENCES + 2:
                        take(choice)
        for choice in scored:
            # a handful of sentences: those close to the best, and at least MIN_SENTENCES that answer
            # and share a word of the question's subject (a filler that shares none is noise)
            close = choice.score >= best - MARGIN or (
                len(chosen) < MIN_SENTENCES and choice.score >= ANSWER_FLOOR and choice.overlap > 0)
            if len(chosen) >= MAX_SENTENCES or not close:
                break
            take(choice)
        return chosen

    def _newest_year(self, intent: Intent) -> int | None:
        """The year of the newest document of the publisher or kind the question names (of all, if none)."""
        documents = self.index.documents().values()
        named = [d for d in documents if d.publisher in intent.publishers or d.kind in intent.kinds]
        return max((d.year or 0 for d in named or documents), default=None)

    def _speaker(self, candidate: Candidate, sentence: int, intent: Intent) -> str:
        """Whose words a sentence of a press item or council page carries: the speaker of the quotation
        it stands in, or the lead-in of the list it is an item of."""
        paragraph = candidate.hit.paragraph
        if candidate.document.kind == "inspection report" or not intent.kinds:
            return ""
        earlier: list = []
        record_id = self.index.record_id(paragraph)
        if record_id and OPENS_QUOTE_RE.match(paragraph.text):
            version = record_id.rsplit("#", 1)[0]
            keys = [f"{version}#{paragraph.order - j}" for j in range(1, RUN_ON + 1) if paragraph.order >= j]
            found = self.index.get_paragraphs(keys)
            earlier = [found[k] for k in keys if k in found]
        return quote_speaker(paragraph, sentence, earlier) or list_lead_in(paragraph, sentence)

    # -- writing the answer ------------------------------------------------------------------------

    def _compose(self, question: str, sections: list[tuple[Scope, list[Choice]]], note: str = "",
                 places: tuple[str, ...] = ()) -> Answer:
        """The chosen sentences under a heading per document, newest first; several councils each in turn,
        and a line for a council whose documents do not answer."""
        share = -(-MAX_SENTENCES // len(sections))  # a comparison gives each council its share of the sentences
        markers: dict[str, int] = {}
        quotes: dict[str, list[str]] = {}
        lines = [note] if note else []
        ordered: list[list[Choice]] = []
        for scope, choices in sections:
            if not choices:
                lines.append(f"The documents about {scope.place} do not answer this question.")
                continue
            by_document: dict[str, list[Choice]] = {}
            for choice in choices[:share] if len(sections) > 1 else choices:
                by_document.setdefault(choice.candidate.document.id, []).append(choice)
            groups = sorted(by_document.values(), key=lambda cs: (cs[0].candidate.document.date or ""), reverse=True)
            ordered += groups
            for group in groups:
                group.sort(key=lambda c: (c.candidate.hit.paragraph.order, c.index))
                parts = []
                for choice in group:
                    key = choice.candidate.hit.paragraph.key
                    markers.setdefault(key, len(markers) + 1)
                    quotes.setdefault(key, []).append(choice.text)
                    parts.append(f"{choice.text} [{markers[key]}]")
                text = parts[0]
                for previous, part in zip(parts, parts[1:]):
                    # a quoted list stands on lines of its own, not run on into the next sentence
                    text += ("\n" if "\n" in previous or "\n" in part else " ") + part
                lines.append(f"{short_heading(group[0].candidate.document)}\n{text}")
        citations = []
        for group in ordered:
            for choice in group:
                key = choice.candidate.hit.paragraph.key
                if all(c.marker != markers[key] for c in citations):
                    citations.append(Citation(markers[key], choice.candidate.document, choice.candidate.hit.paragraph,
                                              " ".join(quotes[key])))
        return Answer(question=question, text="\n\n".join(lines), answered=True, citations=tuple(citations),
                      places=places)

    def _not_answered(self, question: str, intent: Intent, candidates: list[Candidate], note: str = "",
                      places: tuple[str, ...] = ()) -> Answer:
        # passages on the question's subject (they use one of its words), not the cover sheet that
        # shares its words with every question about the report
        frame = frame_words(intent)
        asked = {t: 1.0 for t in content_terms(intent.retrieval_text) if t not in frame}
        related = [c for c in candidates if c.hit.paragraph.label != COVER_SHEET
                   and _overlap(asked, set(content_terms(c.hit.paragraph.text))) > 0][:3]
        citations = []
        lines = [note, NOT_ANSWERED] if note else [NOT_ANSWERED]
        if related:
            lines.append("Related, but not an answer:")
        for marker, candidate in enumerate(related, start=1):
            paragraph = candidate.hit.paragraph
            best = max(range(len(candidate.sentence_scores)), key=lambda i: candidate.sentence_scores[i])
            sentences = paragraph.sentence_texts()
            quote = sentences[best] if best < len(sentences) else sentences[0]
            citations.append(Citation(marker, candidate.document, paragraph, quote))
            lines.append(f"- {short_heading(candidate.document)} {quote} [{marker}]")
        return Answer(question=question, text="\n".join(lines), answered=False, citations=tuple(citations),
                      related=tuple(Hit(c.hit.paragraph, c.hit.score, c.hit.dense, c.hit.lexical) for c in related),
                      places=places)


def _reports_findings(text: str, paragraph: str, name: str) -> bool:
    """Does the sentence say what the named review, report or inquiry found ("the review found ...")?"""
    *words, noun = name.split()
    # the paragraph must name this review, not another one ("a recent independent review found")
    if not all(re.search(rf"\b{re.escape(w)}\b", paragraph, re.I) for w in words):
        return False
    return bool(re.search(rf"\b{noun}\b(\W+\w+){{0,8}}?\W+(found|finds|concluded|concludes|recommend\w*|identified|"
                          rf"highlighted|revealed|said|says|stated|showed)\b|\b(according to|in) the {noun}\b", text, re.I))


def _overlap(asked: dict[str, float], terms: set[str], section_terms: set[str] = frozenset()) -> float:
    """The IDF-weighted share of the question's subject words that a text uses (its section's words count half)."""
    weight = sum(asked.values()) or 1.0
    return sum(w * max(_uses(t, terms), 0.5 * _uses(t, section_terms)) for t, w in asked.items()) / weight


def _uses(term: str, terms: set[str]) -> float:
    """1 when a sentence uses the question's word, RELATED when only a word of the same family
    the stemmer keeps apart ("leader" and "leadership", "child" and "children"), else 0."""
    if term in terms:
        return 1.0
    related = any(long.startswith(short) and (len(short) >= 5 or long[len(short):] in DERIVED_ENDINGS)
                  for t in terms for short, long in ((term, t), (t, term)) if len(short) < len(long))
    return RELATED if related else 0.0


def _gives_grade(text: str) -> bool:
    """Does a sentence state an Ofsted grade? "No longer considered inadequate" does not say which
    grade; nor does a list of all four ("can be one of: outstanding; good; ..."), nor "good" before a
    noun ("good progress")."""
    named = {m.group(1).lower()[:7] for m in GRADE_RE.finditer(text)
             if not NEGATED_RE.search(text[:m.start()])
             and not (m.group(1).lower() == "good" and ADJECTIVE_RE.match(text, m.end()))}
    return 0 < len(named) <= 2


def _clear_winner(scored: list[Choice]) -> bool:
    """A weaker match still answers when one paragraph stands well clear of every other: a
    question in everyday words ("a fallback arrangement") meeting the report's own ("back up plans")."""
    best = scored[0]
    runner_up = next((c.score for c in scored if c.candidate.hit.paragraph.key != best.candidate.hit.paragraph.key), 0.0)
    return best.score >= CLEAR_FLOOR and best.dense >= CLEAR_DENSE and best.score - runner_up >= CLEAR_GAP


def _tiers(intent: Intent, newest: int | None = None):
    """Tests of a chosen sentence: the named who and when, the when alone, the who alone.
    `newest`: the year of the latest document of the kind asked about, for "the latest inspection"."""

    def when(choice: Choice) -> bool:
        year = choice.candidate.document.year
        if intent.years:
            return year in intent.years
        if intent.since:
            return (year or 0) > intent.since
        if intent.latest and newest and (intent.kinds or intent.publishers):
            return year == newest  # "the latest Ofsted report": the newest of those, not the newest of all
        return True

    def who(choice: Choice) -> bool:
        document = choice.candidate.document
        if not (intent.publishers or intent.kinds):
            return True
        if document.publisher in intent.publishers or document.kind in intent.kinds:
            return True
        # Ofsted's findings as a press item or council page reports them ("inspectors noted ...")
        return "inspection report" in intent.kinds and bool(OFSTED_VOICE_RE.search(f"{choice.speaker} {choice.text}"))

    return (lambda c: when(c) and who(c)), when, who
