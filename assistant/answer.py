"""Extractive answers: the sentences that answer, quoted verbatim, each followed by its citation
marker, grouped by document newest first under a line naming publisher, year and kind. When the
sources do not answer, say so and offer the nearest passages as related, not as an answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import repeat

from assistant.glossary import runs_on
from assistant.places import (
    Scope,
    council_name,
    councils,
    heading_place,
    home_note,
    not_in_library,
    place_aliases,
    scopes,
    shown_place,
)
from assistant.present import human_date
from assistant.query import (
    ASKED_FACTS,
    FUTURE_RE,
    GRADE_RE,
    GRADE_TERMS,
    JUDGEMENT_TERMS,
    MONTH_WORDS,
    OVERALL,
    SERVICE_TERMS,
    Intent,
    analyse,
    frame_words,
    is_named_source,
    name_candidates,
    names_source,
    of_the_whole_service,
    question_wording,
    said,
)
from assistant.records import Answer, Citation, Document, Hit, Paragraph
from assistant.retrieve import Candidate, Filters, Retriever, content_terms, intent_match
from assistant.voice import (
    OFSTED_VOICE_RE,
    OPENS_QUOTE_RE,
    PRONOUN_SPEECH_RE,
    SPEECH_RE,
    Speaker,
    attributions,
    list_introduced,
    list_item_lead,
    list_lead_in,
    quote_speaker,
    speaker_shown,
    voice_match,
)
from assistant.weights import Weights
from assistant.weights import load as load_weights
from ingest.index import stem_words, tokenize

WHOLE_LIST = -1  # the sentence number of a choice quoting all of a paragraph that is a list under a heading
COVER_SHEET = "details"  # the label of a report's cover-sheet facts (meeting, date, sign-off)
JUDGEMENTS = "judgements"  # ... and of an inspection report's grades, a line for each
NUMBER_RE = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?:thir|four|fif|six|seven|eigh|nine)teen|"
                       r"(?:twen|thir|for|fif|six|seven|eigh|nine)ty|hundred|thousand|million|dozen|half)\b", re.I)
DATE_RE = re.compile(r"\b(january|february|march|april|may|june|july|august|september|october|november|december|(19|20)\d\d)\b", re.I)
PERCENT_RE = re.compile(r"%|\bper ?cent\b|\b(half|quarter|third|majority|minority)\b", re.I)
# a figure's movement told in words ("the proportion ... is steadily increasing"): what a question asking how a
# figure changed wants of a later report that gives no figure
TREND_RE = re.compile(r"\b((?:increas|decreas|declin|reduc|deteriorat)(?:es?|ed|ing)|worsen(?:s|ed|ing)?|"
                      r"ris(?:es?|en|ing)|rose|f[ae]ll(?:s|en|ing)?|gr[eo]w(?:s|n|ing)?|drop(?:s|ped|ping)?)\b", re.I)
# "how many", "how much": neither a year ("in 2024") nor an age ("16- and 17-year-old children", "payments up to
# age 25") is the figure asked for
NOT_FIGURES_RE = re.compile(r"\b(19|20)\d\d\b|\b(?:aged?|ages|age of)\s+\d+(?:\s*(?:-|\u2013|to|and|or)\s*\d+)?\b"
                            r"|\b\d+-?(?:\s*(?:and|or|to|\u2013|-)\s*\d+)?[- ]years?[- ]olds?\b", re.I)
LIST_NUMBER_RE = re.compile(r"^\s*\d+(?:\.\d+)*[.)]?\s+")
STATED_RE = re.compile(rf"{GRADE_RE.pattern}|\d[\d,.]*", re.I)  # a grade or a figure a sentence states
RELATIVE_DATE_RE = re.compile(r"\b(this (morning|afternoon|week|month|year)|today|yesterday|last (week|month))\b", re.I)
ADJECTIVE_RE = re.compile(r"[ -]+[a-z]")  # "good progress": an adjective, not Ofsted's "good"
NEGATED_RE = re.compile(r"\b(no longer|not|never)\W+(\w+\W+){0,2}$", re.I)
# endings that make a word of the same family from a short stem ("judg" -> "judgement"); a bare
# shared prefix of four letters ("plan", "planet") is not enough
DERIVED_ENDINGS = {"ement", "ment", "ship", "ness", "ion"}
NOT_ANSWERED = "The sources do not answer this question."
# a sentence that opens by going on from the one before it: a pronoun or a linking word whose sense is there
REFERS_BACK_RE = re.compile(r"^\W*(?:however|but|this|these|that|those|it|they|such|despite this|as a result|consequently|"
                            r"therefore|in addition|also|furthermore|moreover)\b", re.I)


@dataclass(frozen=True)
class Choice:
    candidate: Candidate
    index: int  # sentence number in the paragraph
    text: str
    score: float
    overlap: float = 0.0  # share of the question's subject words (IDF-weighted) the sentence uses
    dense: float = 0.0  # cosine similarity of the sentence to the question
    speaker: str = ""  # the words saying whose the sentence is: a quotation's speaker, a list's lead-in
    speaker_named_in: Paragraph | None = None  # the earlier paragraph naming the quotation's speaker
    named: bool = False  # a labelled line ("Inspection dates: ...") that is all the question asks for
    claim: bool = False  # it has the words the question quotes: where the claim asked about was made


def short_heading(document: Document) -> str:
    """Who, about which council, and when, in a few words: "Ofsted on Kirklees (2024 inspection report):"; for a
    document added through the web app, whose upload it is first, so that no one reads an upload given as
    "Ofsted" as Ofsted's own."""
    if document.added_by:
        when = human_date(document.added_at[:10]) if document.added_at else "an unknown date"
        return f"Uploaded by {document.added_by} on {when}, given as {_who_and_when(document)}"
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


@lru_cache(maxsize=20_000)  # a follow-up compares every candidate sentence with every sentence said before
def _shingles(text: str, n: int = 4) -> frozenset[tuple[str, ...]]:
    words = _words(text)
    return frozenset(tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1)))


def _same_words(a: str, b: str, w: Weights) -> bool:
    """True when one sentence repeats the other (the council quoting Ofsted, say). Two that state different
    grades or figures say different things in the same words ("The experiences and progress of care leavers:
    Good" in one year's report, "... care leavers: Requires improvement" in another's)."""
    sa, sb = _shingles(a), _shingles(b)
    return bool(sa and sb) and len(sa & sb) / min(len(sa), len(sb)) >= w.same_words and _stated(a) == _stated(b)


def _stated(text: str) -> frozenset[str]:
    """The grades and figures a sentence states, less a list item's number ("2.2 Experiences ...")."""
    text = LIST_NUMBER_RE.sub("", text)
    return frozenset(m.group(0).lower() for m in STATED_RE.finditer(text))


class Assistant:
    """Answers questions from an index; extractive by default."""

    def __init__(self, index, embedder, weights: Weights | None = None):
        self.index = index
        self.weights = weights or load_weights()
        self.retriever = Retriever(index, embedder, self.weights)

    def ask(self, question: str, history: list[dict] | None = None, filters: Filters | None = None) -> Answer:
        return self.prepare(question, history, filters)[1]

    def explain(self, question: str, history: list[dict] | None = None, filters: Filters | None = None) -> tuple[Answer, list]:
        """The answer and what each stage made of the question: (stage, record) pairs, for `ask --explain`."""
        trace: list = []
        return self.prepare(question, history, filters, trace)[1], trace

    def prepare(self, question: str, history: list[dict] | None = None, filters: Filters | None = None,
                trace: list | None = None) -> tuple[list[Candidate], Answer]:
        """The retrieved paragraphs and the extractive answer (a generated answer starts from both).

        The stages: analyse the question (who, when, which council, what about) -> the scopes it is
        answered in (one per council) -> in each, retrieve and rank paragraphs -> score their sentences
        -> select the answer's -> compose the answer under headings. `trace`, when given, gets each
        stage's output."""
        record = trace.append if trace is not None else (lambda _: None)
        question = (question or "").strip()
        if not question:
            return [], Answer(question="", text="Please type a question.", answered=False)
        self.index.require()
        documents = list(self.index.documents().values())
        intent = analyse(question, history, documents, self.index.abbreviations(),
                         place_aliases(documents, self.index.designations()))
        record(("analyse", intent))
        # the publishers' and titles' words: a name in them is one of the library's own
        described = " ".join(f"{d.publisher} {d.title}" for d in documents).lower()
        unknown = self._unknown_names(question, described) or (
            self._places_not_held(question, documents, described) if not intent.places else [])
        if unknown:
            return [], Answer(question=question, text=not_in_library(unknown, documents), answered=False)
        asked = list(intent.places)
        if asked and filters and filters.places:
            allowed = {council_name(p).lower() for p in filters.places}
            if not any(p.lower() in allowed for p in asked):
                text = f"The search is narrowed to {', '.join(filters.places)}; the question asks about {' and '.join(asked)}."
                return [], Answer(question=question, text=text, answered=False)
            asked = [p for p in asked if p.lower() in allowed]
        sections, candidates = [], []
        answered_in = scopes(asked, filters, documents)
        if len(answered_in) > 1 and not names_source(intent) and all(
                any(d.kind == "inspection report" and s.filters.allows(d) for d in documents) for s in answered_in):
            # councils compared like with like: Ofsted's findings on each (not one council's own claims beside
            # another's inspection) unless the question asks for another source, and with no time named,
            # each as its latest inspection found it (several scopes are councils asked about: each has filters)
            current = not (intent.years or intent.since or intent.over_time)
            intent = replace(intent, kinds=("inspection report",), latest=intent.latest or current)
            record(("analyse", intent))
        for scope in answered_in:
            record(("scope", scope))
            found = self.retriever.search(intent, k=20, filters=scope.filters, can_answer=lambda c: any(
                _gives_what_is_asked(text, intent, c.document, self.weights) for text in c.hit.paragraph.sentence_texts()))
            record(("retrieve", found))
            scored = self.score_sentences(intent, found, history or [])
            record(("score", scored))
            # a thing the question names ("the Mockingbird model", "an EHC plan") that the scope's documents never
            # mention, though others do: they cannot say what it asks of them
            absent = self._names_not_in(question, documents, described, scope.filters)
            if absent:
                record(("absent", absent))
            chosen = [] if absent else self.select(intent, scored)
            record(("select", chosen))
            candidates += found
            sections.append((scope, chosen))
        note = home_note(sections[0][0], documents)
        places = tuple(scope.place for scope, _ in sections if scope.place)
        if not any(choices for _, choices in sections):
            return candidates, self._not_answered(question, intent, candidates, note, places)
        return candidates, self._compose(question, sections, documents, note, places)

    # -- choosing sentences ---------------------------------------------------------------------

    def _unknown_names(self, question: str, described: str) -> list[str]:
        """Proper names in the question that appear nowhere in the sources (another council, say)."""
        words = [w for w in NAMED_WORD_RE.findall(question) if w[1:].islower()]  # an abbreviation names no place
        return [w for w in words if w.lower() not in described
                and (not content_terms(w) or not self.index.knows_term(content_terms(w)[0]))]

    def _versions(self, documents: list[Document], filters) -> set[str]:
        """The index versions of the documents `filters` allows (all of them for no filters)."""
        entries = self.index.entries()
        return {entries[d.id]["version"] for d in documents if filters is None or filters.allows(d)}

    def _names_not_in(self, question: str, documents: list[Document], described: str, filters) -> list[str]:
        """The names (capitalised words and abbreviations, not a sentence's first word) a question uses that no
        paragraph of the documents `filters` allows uses, nor what the library's abbreviations spell them out as."""
        if filters is None:
            return []
        versions = self._versions(documents, filters)
        definitions = self.index.abbreviations().definitions
        absent = []
        for name in dict.fromkeys(NAMED_WORD_RE.findall(question)):
            if name.lower() in described or set(content_terms(name)) <= MONTH_WORDS:
                continue
            spelled = [name, *definitions.get(name.rstrip("s"), ())]
            if not any(self._writes(text, versions) for text in spelled):
                absent.append(name)
        return absent

    def _writes(self, text: str, versions: set[str]) -> bool:
        """Whether some paragraph of those versions has the words of `text` one after another: the search finds
        paragraphs with any of them ("education, health and care" in every paragraph about care)."""
        terms = content_terms(text)
        return any(runs_on(terms, content_terms(p.text)) for p in self._best_by_words(text, versions))

    def _best_by_words(self, text: str, versions: set[str]) -> list[Paragraph]:
        """The few paragraphs of those versions that BM25 finds nearest the words of `text`."""
        return list(self.index.get_paragraphs(list(self.index.lexical_search(text, 5, allowed=versions))).values())

    def _places_not_held(self, question: str, documents: list[Document], described: str) -> list[str]:
        """Places the question names as places ("in Norfolk", "Norfolk's children's services") that are no
        council of the library's and that no document of the home council mentions: the question is
        about somewhere the library holds nothing on, though another council's report may name it."""
        home = scopes([], None, documents)[0].filters
        versions = self._versions(documents, home)
        absent = []
        for name in dict.fromkeys(m.group("name") or m.group("name2") for m in PLACE_POSITION_RE.finditer(question)):
            if name.lower() in described or set(content_terms(name)) <= MONTH_WORDS:
                continue
            if not any(re.search(rf"\b{re.escape(name)}\b", p.text) for p in self._best_by_words(name, versions)):  # as a name, capitalised
                absent.append(name)
        return absent

    def _subject(self, intent: Intent) -> dict[str, float]:
        """The question's subject words (stemmed), each with its IDF: its words less those saying where and when.
        A follow-up's are its own when it has any ("did she say anything about homeless young people?"): the
        earlier question it leans on says whom or what it is about, not what the answer must speak of."""
        frame = frame_words(intent)
        own = {t: self.index.idf(t) for t in content_terms(intent.own_text) if t not in frame}
        # "what was she going to do?" has none of its own: then the earlier question's words count whole
        earlier = {t: self.index.idf(t) for t in content_terms(intent.retrieval_text) if t not in frame and t not in own}
        # ... and, however many the earlier question's words, they together count no more than the follow-up's own
        share = min(self.weights.earlier_word, sum(own.values()) / (sum(earlier.values()) or 1.0)) if own else 1.0
        earlier = {t: share * idf for t, idf in earlier.items()}
        return {**earlier, **own}

    def score_sentences(self, intent: Intent, candidates: list[Candidate], history: list[dict]) -> list[Choice]:
        """Every sentence of the retrieved paragraphs that may answer, scored, best first."""
        w = self.weights
        asked = self._subject(intent)
        # a grade asked of no area, or of the service as a whole ("how did Barnet's children's services change?"):
        # the overall judgement, as a line that says so ("Overall effectiveness: Good") or names only the service
        # and its grade ("Children's services in Barnet are inadequate")
        headline = intent.wants_grade and of_the_whole_service(intent)
        headline_words = JUDGEMENT_TERMS | GRADE_TERMS | SERVICE_TERMS | set(intent.place_words)
        # the words asking for what every sentence left gives, which it answers by giving it
        given_words = JUDGEMENT_TERMS if intent.wants_grade else set(intent.fact_words)
        sentences = [(c, i, text) for c in candidates for i, text in enumerate(c.hit.paragraph.sentence_texts())]
        abbreviations = self.index.abbreviations()
        terms = [set(t) | abbreviations.defined_stems(text) for t, (_, _, text) in zip(tokenize([text for _, _, text in sentences]), sentences)]
        # a paragraph that is a list under a heading, whole, as one more choice that matches on its heading
        lists = [c for c in candidates if c.heading_score is not None]
        sentences += [(c, WHOLE_LIST, c.hit.paragraph.text.strip()) for c in lists]
        terms += [set(t) for t in tokenize([c.hit.paragraph.section for c in lists])]
        sections = {c.hit.paragraph.key: set(content_terms(c.hit.paragraph.section)) for c in candidates}
        # a cover sheet repeats the document's name: it answers only questions about its own facts (who
        # led the inspection, when): those asking for one of its labelled facts, those that use its
        # words, or those whose meaning is nearer one of its lines than any other sentence found
        wording = question_wording(intent)
        nearest_elsewhere = max((float(c.sentence_scores.max()) for c in candidates
                                 if c.hit.paragraph.label != COVER_SHEET and len(c.sentence_scores)), default=0.0)
        off_cover = {c.hit.paragraph.key for c in candidates if c.hit.paragraph.label == COVER_SHEET
                     and not any(_asks_for_label(line, wording, w) for line in c.hit.paragraph.sentence_texts())
                     and _overlap(asked, set(content_terms(c.hit.paragraph.text)), w=w) < w.words_answer
                     and float(c.sentence_scores.max(initial=0.0)) <= nearest_elsewhere}
        already_said = [piece for m in history if m.get("role") == "assistant" for piece in said(m)]
        said_shingles = frozenset().union(*map(_shingles, already_said))
        run_on_from: dict[str, list] = {}  # each quoting paragraph's earlier paragraphs, fetched once
        scored = []
        # "how many social workers were recruited from overseas?": what is said of the things counted, which a
        # count of them must speak of too, most of it ("30 agency social workers" counts other social workers;
        # "19 live in residential children's homes" does not count those living in unregistered homes); a word
        # no paragraph found uses ("exactly") tells none of them apart
        counted = set(intent.counted)
        found_words = set().union(*terms) if counted else set()
        of_counted = {t: idf for t, idf in asked.items() if not _uses(t, counted, w) and _uses(t, found_words, w)}
        # the words the library also writes in lower case: no one's name ("the Children in Care Council", "Requires
        # Improvement")
        lowercase = self.index.lowercase_words() if intent.wants_person else frozenset()
        quoted = [_plain(q) for q in intent.quoted]
        asked_in = content_terms(intent.retrieval_text)
        for (candidate, i, text), sentence_terms in zip(sentences, terms):
            # the sentence making the claim the question quotes is cited whoever made it and whatever else is asked
            claim = any(q in _plain(text) for q in quoted)
            if not claim and not _gives_what_is_asked(text, intent, candidate.document, w, lowercase):
                continue
            if not claim and counted and of_counted and _overlap(of_counted, sentence_terms, w=w) < w.words_answer:
                continue
            # in a grade or contact question every sentence left gives one, and a short row says enough:
            # "Overall effectiveness: Good", an email address on a line of its own
            too_short = len(text.split()) < 4 and not (intent.wants_grade or intent.wants_fact)
            # a repeat says little that was not said: a sentence holding a piece of the answer and more
            # ("the way certain groups are supported, including disabled children ...") tells the more
            repeats = bool(said_shingles) and len((shingles := _shingles(text)) & said_shingles) >= w.same_words * len(shingles)
            if too_short or candidate.hit.paragraph.key in off_cover or repeats:
                continue  # too short to stand alone, an off-subject cover sheet, or a follow-up repeating what was said
            if i == WHOLE_LIST:
                dense = candidate.heading_score
            else:
                dense = float(candidate.sentence_scores[i]) if i < len(candidate.sentence_scores) else candidate.hit.dense
            # whose words a quoted sentence is, or the lead-in of a list item, says what it is as its heading
            # does: "did she say anything about homeless young people?" after a question naming her
            speaker, speaker_named_in = self._speaker(candidate, max(i, 0), run_on_from)
            section_terms = sections[candidate.hit.paragraph.key] | (set(content_terms(speaker)) if speaker else set())
            # ... or the list under a heading the question asks in the heading's own words ("what needs to improve?")
            named_fact = _asks_for_label(text, wording, w) or i == WHOLE_LIST and _asks_in_words(candidate.hit.paragraph.section, asked_in)
            # ... and the question asks for the kind of fact it gives, a date or a grade ("when were the inspection
            # dates?"), not about something its words name ("what did the lead inspector say about X?")
            # ... or, in a question about a grade of no named area, the overall judgement: the grade asked for
            named = named_fact and (intent.wants_date or intent.wants_grade or intent.wants_person) or headline and (
                OVERALL in sentence_terms or not sentence_terms - headline_words)
            overlap = 1.0 if named_fact or named else _overlap(asked, sentence_terms, section_terms, w=w)
            # a grade the sentence states is the judgement asked about (scored so, but it is no subject word:
            # "what rating did the safeguarding board get" is about the board); a sum it gives is the money asked about
            graded = _overlap(asked, sentence_terms | given_words, section_terms, w=w) if given_words and not named else overlap
            score = (w.sentence_dense * dense + w.sentence_words * min(1.0, graded)
                     + (1 - w.sentence_dense - w.sentence_words) * candidate.hit.score)
            voice = voice_match(text, candidate.document, intent, speaker)
            if voice < 0 and not claim:
                continue  # someone else's words: a councillor quoted in a press item is not Ofsted
            score += w.voice_weight * max(voice, 0)
            scored.append(Choice(candidate, i, text, score, overlap, dense, speaker, speaker_named_in, named, claim))
        if intent.findings_of:
            # only sentences that report what the named review found can say what it concluded;
            # one that merely mentions it ("we will use the review to ...") cannot
            scored = [c for c in scored if c.claim or _reports_findings(c.text, c.candidate.hit.paragraph.text, intent.findings_of)]
        scored.sort(key=lambda c: c.score, reverse=True)
        # (not in a grade question: there every sentence left gives a grade, and each year's table answers)
        if _asks_change(intent) and not intent.wants_grade and scored:
            scored = self._near_the_best(scored)
        return scored

    def _near_the_best(self, scored: list[Choice]) -> list[Choice]:
        """In a question over time, each other document's sentences scored also by their meaning's nearness to the
        best sentence: what the question asks about, as one year's report wrote it, is what the other years' must
        speak of ("was the weak supervision recording of 2016 still an issue in 2024?": the 2016 finding's words
        say what to look for in 2024 better than the question's frame does)."""
        best = scored[0]
        anchor = _sentence_vector(best)
        if anchor is None:
            return scored
        share = self.weights.best_meaning
        rescored = []
        for choice in scored:
            own = _sentence_vector(choice)
            if choice.candidate.document.id != best.candidate.document.id and own is not None:
                dense = (1 - share) * choice.dense + share * float(own @ anchor)
                # the score is linear in the meaning's share (score_sentences): only that part changes
                choice = replace(choice, dense=dense, score=choice.score + self.weights.sentence_dense * (dense - choice.dense))
            rescored.append(choice)
        return sorted(rescored, key=lambda c: c.score, reverse=True)

    def select(self, intent: Intent, scored: list[Choice]) -> list[Choice]:
        """The answer's sentences among the scored ones, or none when the best does not answer; the sentence
        making the claim the question quotes first, whoever made it."""
        # ... one in the documents the question names, if any (its sayer's: "a trade magazine said ..."; its year's)
        claim = max((c for c in scored if c.claim), key=lambda c: (intent_match(c.candidate.document, intent) > 0, c.score),
                    default=None)
        chosen = self._select(intent, [c for c in scored if c is not claim])
        return [claim, *chosen] if claim else chosen

    def _select(self, intent: Intent, scored: list[Choice]) -> list[Choice]:
        w = self.weights
        asked = self._subject(intent)
        # "when did ...": any year's document may tell the date, unless the question names the year or the document
        over_time = _asks_change(intent) or intent.wants_date and not (intent.years or intent.documents)
        if not scored or scored[0].score < w.answer_floor:
            return []
        if scored[0].overlap == 0 and any(not self.index.knows_term(t) for t in asked):
            return []  # the question names what no source mentions ("artificial intelligence"), and the best match shares none of its words
        # the years a question names, and those of the documents it names ("between the monitoring visit and 2024")
        bounds = set(intent.years) | {c.candidate.document.year for c in scored
                                      if c.candidate.document.id in intent.documents and c.candidate.document.year}
        if over_time and (len(bounds) > 1 or intent.since):
            # "from 2016 to 2024": every year in the range, not only the two named; "has it gone down since
            # 2024?": that year, which tells what it was, and every year after
            low = min(bounds) if len(bounds) > 1 else intent.since
            high = 9999 if intent.since else max(bounds)
            scored = [c for c in scored if any(low <= y <= high for y in c.candidate.document.years)] or scored
        elif not over_time:
            # answered from the documents the question names first: a year it names (or "at the
            # time") always; a publisher unless its documents answer clearly worse than the others
            newest = _newest_year(intent, [c.candidate.document for c in scored]) if intent.latest else None
            years_held = any(c.candidate.document.of_any_year(intent.years) for c in scored)
            # a question naming no time asks how things are: the latest inspection's findings, not those it replaced
            inspected = max((c.candidate.document.year or 0 for c in scored
                             if c.candidate.document.kind == "inspection report"), default=None)
            both, when, who = _tiers(intent, newest, years_held, inspected)
            # "the latest inspection" names a document as a year does; "now" alone only prefers
            timed = bool(intent.years or intent.since or intent.latest and (names_source(intent) or intent.latest_document))
            for tier, last_resort in ((both, False), (when, timed), (who, False)):
                preferred = [c for c in scored if tier(c)]
                # ... and so does naming it by what it is ("the monitoring visit"): it answers if it can at all
                # ... and so does the time a conversation has been answered in, for a follow-up naming none
                floor = w.answer_floor if timed or intent.documents or intent.history_years else max(w.answer_floor, scored[0].score - w.tier_slack)
                if preferred and preferred[0].score >= floor:
                    scored = preferred
                    break
                if last_resort:
                    # the sources from the time asked about do not answer; the others speak of another time
                    return []
        # a question asking for a labelled fact by its name is answered by that line (of the time asked
        # about), not by sentences using its words; over time, by each document's such line, and a document
        # that has none (a 2016 news item telling the grade in its own words) by its sentences
        named_in = {c.candidate.document.id for c in scored if c.named}
        scored = [c for c in scored if c.named or over_time and c.candidate.document.id not in named_in] or scored
        best = scored[0].score
        chosen: list[Choice] = []
        per_paragraph: dict[str, int] = {}

        wants_council = any("council" in kind for kind in intent.kinds)
        originals = [c for c in scored if c.candidate.document.kind == "inspection report"]

        def take(choice: Choice) -> None:
            if not wants_council and choice.candidate.document.kind != "inspection report":
                # the council or the press repeating Ofsted's words: cite Ofsted, who said them first
                choice = next((o for o in originals if _same_words(choice.text, o.text, w)), choice)
            key = choice.candidate.hit.paragraph.key
            listed = list_introduced(choice.candidate.hit.paragraph, choice.index, w.list_quote_chars)
            # a lead-in is quoted with its list, and a sentence that goes on from the one before it ("However, it
            # is too soon to see the impact of this.") with that one, which says what it speaks of, unless quoted already
            before_quoted = any(c.candidate.hit.paragraph.key == key and c.index == choice.index - 1 for c in chosen)
            choice = replace(choice, text=listed or (choice.text if before_quoted else _with_what_it_refers_to(choice)))
            if per_paragraph.get(key, 0) >= w.max_per_paragraph or any(
                    _same_words(choice.text, c.text, w) or choice.text in c.text for c in chosen):
                return
            per_paragraph[key] = per_paragraph.get(key, 0) + 1
            chosen.append(choice)

        if over_time:
            # an answer that spans years quotes the best sentences of each document first, newest first
            by_document: dict[str, list[Choice]] = {}
            floor = max(w.answer_floor - w.margin, best - 3 * w.margin)
            for choice in scored:
                if choice.score < w.answer_floor - w.margin:
                    break
                if choice.score < floor and choice.overlap < w.words_answer:
                    continue  # far below the best, unless it uses most of the question's words
                # the best uses the subject's words and this none: another year's filler, not its answer
                # (in a grade question every sentence left gives a grade, which is the answer)
                if choice.overlap == 0 < scored[0].overlap and not intent.wants_grade:
                    continue
                group = by_document.setdefault(choice.candidate.document.id, [choice])
                if choice is not group[0] and len(group) < w.per_document and choice.score >= group[0].score - w.margin / 2:
                    group.append(choice)
            newest_first = sorted(by_document.values(), key=lambda g: g[0].candidate.document.date or "", reverse=True)
            # each document's best, then each one's second ...: the oldest year is not crowded out by the newer ones' seconds
            for rank in range(w.per_document):
                for group in newest_first:
                    if rank < len(group) and len(chosen) < w.max_sentences + 2:
                        take(group[rank])
        for choice in scored:
            # a handful of sentences: those close to the best, and at least min_sentences that answer
            # and share a word of the question's subject (a filler that shares none is noise)
            close = choice.score >= best - w.margin or (
                len(chosen) < w.min_sentences and choice.score >= w.answer_floor and choice.overlap > 0)
            if len(chosen) >= w.max_sentences or not close:
                break
            take(choice)
        return chosen

    def _speaker(self, candidate: Candidate, sentence: int, run_on_from: dict[str, list]) -> Speaker:
        """Whose words a sentence of a press item or council page carries: the speaker of the quotation
        it stands in, or the lead-in of the list it is an item of. `run_on_from` keeps each quoting
        paragraph's earlier paragraphs, which a quotation running on is followed back through."""
        paragraph = candidate.hit.paragraph
        if candidate.document.kind == "inspection report":
            return Speaker("")
        if paragraph.key not in run_on_from:
            earlier: list = []
            record_id = self.index.record_id(paragraph)
            if record_id and (OPENS_QUOTE_RE.match(paragraph.text) or PRONOUN_SPEECH_RE.search(paragraph.text)):
                version = record_id.rsplit("#", 1)[0]
                keys = [f"{version}#{paragraph.order - j}" for j in range(1, self.weights.quote_run_on + 1)
                        if paragraph.order >= j]
                found = self.index.get_paragraphs(keys)
                earlier = [found[k] for k in keys if k in found]
            run_on_from[paragraph.key] = earlier
        found = quote_speaker(paragraph, sentence, run_on_from[paragraph.key])
        return found if found.words else Speaker(list_lead_in(paragraph, sentence))

    # -- writing the answer ------------------------------------------------------------------------

    def _compose(self, question: str, sections: list[tuple[Scope, list[Choice]]], documents: list[Document],
                 note: str = "", places: tuple[str, ...] = ()) -> Answer:
        """The chosen sentences under a heading per document, newest first; several councils each in turn,
        and a line for a council whose documents do not answer."""
        w = self.weights
        share = -(-w.max_sentences // len(sections))  # a comparison gives each council its share of the sentences
        markers: dict[str, int] = {}
        quotes: dict[str, list[str]] = {}
        cited: dict[str, tuple[Document, Paragraph]] = {}

        def cite(document: Document, paragraph: Paragraph, quote: str) -> int:
            """The marker of a paragraph, numbered in the order the answer first cites it."""
            if paragraph.key not in markers:
                markers[paragraph.key] = len(markers) + 1
                cited[paragraph.key] = (document, paragraph)
            if quote not in quotes.setdefault(paragraph.key, []):
                quotes[paragraph.key].append(quote)
            return markers[paragraph.key]

        lines = [note] if note else []
        for scope, choices in sections:
            if not choices:
                lines.append(f"The documents about {shown_place(scope.place, councils(documents))} do not answer this question.")
                continue
            by_document: dict[str, list[Choice]] = {}
            for choice in choices[:share] if len(sections) > 1 else choices:
                by_document.setdefault(choice.candidate.document.id, []).append(choice)
            groups = sorted(by_document.values(), key=lambda cs: (cs[0].candidate.document.date or ""), reverse=True)
            for group in groups:
                group.sort(key=_reading_order)
                parts, quoting = [], ""
                for choice in group:
                    # a sentence of a quotation begun before it says whose words it is, once per run of them,
                    # citing the paragraph that names the speaker when it is another: the name is a claim too
                    # ... and an item of a list its lead-in ("Areas highlighted include:"), which says what the items are
                    shown = speaker_shown(choice.speaker) or list_item_lead(choice.candidate.hit.paragraph, choice.index)
                    lead = f"{shown} " if shown and shown != quoting else ""
                    if lead and choice.speaker_named_in is not None:
                        naming = choice.speaker_named_in
                        lead = f"{shown[:-1]} [{cite(choice.candidate.document, naming, _naming_sentence(naming, shown))}]: "
                    key = choice.candidate.hit.paragraph.key
                    cite(choice.candidate.document, choice.candidate.hit.paragraph, choice.text)
                    # ... or opens one itself ("Sarah Callaghan said: "We knew ..."), which a later sentence goes on
                    own = list(attributions(choice.text))
                    quoting = speaker_shown(own[-1]) if own else shown
                    parts.append(f"{lead}{choice.text} [{markers[key]}]")
                text = parts[0]
                for previous, part in zip(parts, parts[1:]):
                    # a quoted list stands on lines of its own, not run on into the next sentence
                    text += ("\n" if "\n" in previous or "\n" in part else " ") + part
                lines.append(f"{short_heading(group[0].candidate.document)}\n{text}")
        citations = tuple(Citation(markers[key], document, paragraph, " ".join(quotes[key]))
                          for key, (document, paragraph) in cited.items())
        return Answer(question=question, text="\n\n".join(lines), answered=True, citations=citations,
                      places=places)

    def _not_answered(self, question: str, intent: Intent, candidates: list[Candidate], note: str = "",
                      places: tuple[str, ...] = ()) -> Answer:
        w = self.weights
        # passages on the question's subject (they use one of its words), not the cover sheet that
        # shares its words with every question about the report
        asked = self._subject(intent)
        related = [c for c in candidates if c.hit.paragraph.label != COVER_SHEET
                   and _overlap(asked, set(content_terms(c.hit.paragraph.text)), w=w) > 0][:3]
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


# a name standing where a place does: "in Norfolk", "of Leeds's services", "Norfolk's children's services", "Leeds City Council"
PLACE_POSITION_RE = re.compile(
    r"\b(?:in|of|for|at|about|from|across)\s+(?:the\s+)?(?P<name>[A-Z][a-z][\w-]*(?:\s+(?:and\s+)?[A-Z][a-z][\w-]*)*)(?=['\u2019]s\b|\W|$)"
    r"|\b(?P<name2>[A-Z][a-z][\w-]*(?:\s+(?:and\s+)?[A-Z][a-z][\w-]*)*)(?:['\u2019]s)?\s+(?:(?:City |County |Borough )?Council|children['\u2019]s services)\b")
LABEL_RE = re.compile(r"^\s*([A-Za-z][\w' ]{2,40}?):\s+\S")  # "Lead inspector: Jane Example", "Overall effectiveness: Good"


def _reading_order(choice: Choice) -> tuple:
    """Where a chosen sentence stands in its document's part of the answer: in the paragraph's order, but the
    lines of a cover sheet or a table of grades ("The experiences and progress of children in care: Good") best
    first, since each says a thing of its own and the one asked for should not come after its neighbour."""
    labelled = choice.candidate.hit.paragraph.label in (COVER_SHEET, JUDGEMENTS)
    return choice.candidate.hit.paragraph.order, -choice.score if labelled else choice.index


def _asks_for_label(sentence: str, wording: set[str], w: Weights) -> bool:
    """Does the question ask for the fact a labelled line gives ("Lead inspector: ...", "Inspection dates:
    ...")? It does when it uses every word of the label (or a word of the same family). A label of one
    word ("Date:", "Meeting:") names no fact of its own: which date, which meeting?"""
    label = LABEL_RE.match(sentence)
    terms = content_terms(label.group(1)) if label else []
    return len(terms) >= 2 and all(_uses(t, wording, w) > 0 for t in terms)


def _with_what_it_refers_to(choice: Choice) -> str:
    """The chosen sentence, after the sentence before it in its paragraph when it opens by referring back to it."""
    paragraph = choice.candidate.hit.paragraph
    if not 0 < choice.index < len(paragraph.sentences) or not REFERS_BACK_RE.match(choice.text):
        return choice.text
    start, end = paragraph.sentences[choice.index - 1][0], paragraph.sentences[choice.index][1]
    return paragraph.text[start:end].strip()


def _sentence_vector(choice: Choice):
    """The chosen sentence's vector, or None for a list taken whole (matched on its heading) or a paragraph
    whose sentences have none."""
    vectors = choice.candidate.sentence_vectors
    return vectors[choice.index] if vectors is not None and 0 <= choice.index < len(vectors) else None


def _naming_sentence(paragraph: Paragraph, shown: str) -> str:
    """The sentence of `paragraph` that names the speaker an answer shows ("Councillor Erin Hill said:")."""
    name = SPEECH_RE.split(shown)[0].strip(" ,:")
    sentences = paragraph.sentence_texts()
    return next((s for s in sentences if name and name in s), sentences[0] if sentences else paragraph.text)


def _asks_in_words(heading: str, asked_in: list[str]) -> bool:
    """Does the question ask what a heading of three words or more asks, in its words one after another?"""
    terms = content_terms(heading)
    return len(terms) >= 3 and runs_on(terms, asked_in)


def _gives_what_is_asked(text: str, intent: Intent, document: Document, w: Weights, lowercase: set[str] = frozenset()) -> bool:
    """Does a sentence give the kind of thing the question asks for, if it asks for one? One that does not
    cannot answer it, however near its words."""
    if (intent.wants_number and not NUMBER_RE.search(NOT_FIGURES_RE.sub(" ", text)) or intent.wants_percentage and not PERCENT_RE.search(text)) \
            and not (_asks_change(intent) and TREND_RE.search(text)):
        return False  # the question asks for a figure (or, over time, how it moved) this sentence does not give
    if intent.counted and not _counts(text, intent.counted, w):
        return False  # "how many children": "four independent flats" counts something else
    if intent.wants_grade and not _gives_grade(text):
        return False  # "how has the judgement changed": a sentence that gives no grade does not say
    if intent.wants_date and not (DATE_RE.search(text) or RELATIVE_DATE_RE.search(text) and document.date):
        return False  # "published this morning" is dated by its document
    if intent.wants_date and intent.wants_future and not FUTURE_RE.search(text):
        return False  # "when is it next due?": the dates of the last inspection are no answer
    if intent.wants_fact and not ASKED_FACTS[intent.wants_fact].gives.search(text):
        return False  # "what is the phone number?", "how much was spent?": a sentence giving none does not say
    if intent.wants_person and not _names_someone(text, intent, lowercase):
        return False  # "who is the director of children's services?": "the director has been in post since 2012" does not say
    return True


def _words(text: str) -> list[str]:
    """A text's words, lower-cased, without punctuation."""
    return re.findall(r"[a-z0-9]+", text.lower())


def _plain(text: str) -> str:
    """A text's words one space apart and at each end: a quotation is found in a sentence whatever its
    punctuation or quote marks."""
    return f" {' '.join(_words(text))} "


# a capitalised word or an abbreviation that is not a sentence's first word: a name
NAMED_WORD_RE = re.compile(r"(?<![.?!:]\s)(?<!^)\b([A-Z][a-z]{2,}|[A-Z]{2,}s?)\b")


def _names_someone(text: str, intent: Intent, lowercase: set[str]) -> bool:
    """Does a sentence name someone the question does not: capitalised words ("Mel Meggs", "Lead inspector: Jane
    Smith") that are not a title with its article ("the Chief Executive Officer"), a sentence's opening ("The
    Director of ..."), the question's own words or a council's name, with a word that is not a common word
    written with a capital (`lowercase`: the words the sources also write in lower case, as "care" and "council")?"""
    asked = set(tokenize([intent.own_text])[0]) | set(intent.place_words)
    return any(word.lower() not in lowercase and not set(tokenize([word])[0]) <= asked
               for name in name_candidates(text) for word in re.findall(r"[\w'\u2019-]+", name))


def _counts(text: str, counted: tuple[str, ...], w: Weights) -> bool:
    """Does a sentence give a number of the thing counted: a number followed closely by its words, all of
    them ("how many agency social workers": "30 agency social workers", not "four social workers")?"""
    words = re.findall(r"[\w'-]+", NOT_FIGURES_RE.sub(" ", text))
    stems = stem_words(words)
    return any(NUMBER_RE.match(word)  # "14", "fourteen", "forty-two"
               and all(_uses(c, set(stems[i + 1:i + 1 + w.count_window]), w) for c in counted)
               for i, word in enumerate(words))


def _asks_change(intent: Intent) -> bool:
    """ "Has it improved", "from 2016 to 2024": an answer that tells how things moved."""
    return intent.over_time or len(intent.years) > 1


def _reports_findings(text: str, paragraph: str, name: str) -> bool:
    """Does the sentence say what the named review, report or inquiry found ("the review found ...")?"""
    *words, noun = name.split()
    # the paragraph must name this review, not another one ("a recent independent review found")
    if not all(re.search(rf"\b{re.escape(w)}\b", paragraph, re.I) for w in words):
        return False
    return bool(re.search(rf"\b{noun}\b(\W+\w+){{0,8}}?\W+(found|finds|concluded|concludes|recommend\w*|identified|"
                          rf"highlighted|revealed|said|says|stated|showed)\b|\b(according to|in) the {noun}\b", text, re.I))


def _overlap(asked: dict[str, float], terms: set[str], section_terms: set[str] = frozenset(), *, w: Weights) -> float:
    """The IDF-weighted share of the question's subject words that a text uses (its section heading's count less)."""
    weight = sum(asked.values()) or 1.0
    return sum(idf * max(_uses(t, terms, w), w.section_word * _uses(t, section_terms, w)) for t, idf in asked.items()) / weight


def _uses(term: str, terms: set[str], w: Weights) -> float:
    """1 when a sentence uses the question's word, w.related_word when only a word of the same family
    the stemmer keeps apart ("leader" and "leadership", "child" and "children"), else 0."""
    if term in terms:
        return 1.0
    return w.related_word if _family_in(term, terms) else 0.0


def _family_in(term: str, terms: set[str]) -> bool:
    """Does `terms` hold a longer or shorter word that `term` shares its first five letters with, or
    that differs from it by one of DERIVED_ENDINGS? Found by looking the term's prefixes and
    extensions up, not by comparing it with every word: this runs for every candidate sentence."""
    if any(term[:i] in terms for i in range(5, len(term))):
        return True
    if any(term.endswith(ending) and term[:-len(ending)] in terms for ending in DERIVED_ENDINGS):
        return True
    if len(term) >= 5:
        return any(map(str.startswith, terms, repeat(term)))  # map: in C, for every word of the sentence
    return any(term + ending in terms for ending in DERIVED_ENDINGS)


def _gives_grade(text: str) -> bool:
    """Does a sentence state an Ofsted grade? "No longer considered inadequate" does not say which
    grade; nor does a list of all four ("can be one of: outstanding; good; ..."), nor "good" before a
    noun ("good progress")."""
    named = {m.group(1).lower()[:7] for m in GRADE_RE.finditer(text)
             if not NEGATED_RE.search(text[:m.start()])
             and not (m.group(1).lower() == "good" and ADJECTIVE_RE.match(text, m.end()))}
    return 0 < len(named) <= 2


def _newest_year(intent: Intent, documents: list[Document]) -> int | None:
    """The year of the newest of these documents (those that may answer, in the council asked about) of the
    publisher or kind the question names (of all, if none): "Lincolnshire's latest inspection" is its own latest."""
    named = [d for d in documents if is_named_source(d, intent)]
    return max((d.year or 0 for d in named or documents), default=None)


def _tiers(intent: Intent, newest: int | None = None, years_held: bool = True, inspected: int | None = None):
    """Tests of a chosen sentence: the named who and when, the when alone, the who alone.
    `newest`: the year of the latest document of the kind asked about, for "the latest inspection".
    `years_held`: whether any document found is of a year the question names; if none is, a later
    document's sentence naming that year tells of it ("In August 2015, an external review found ...").
    `inspected`: the year of the latest inspection found; in a question naming no time, an older
    inspection's report tells of a time since inspected again."""

    def when(choice: Choice) -> bool:
        year = choice.candidate.document.year
        if intent.years and not years_held:
            return any(re.search(rf"\b{y}\b", choice.text) for y in intent.years)
        if intent.years:
            return choice.candidate.document.of_any_year(intent.years)
        if intent.since:
            return (year or 0) >= intent.since
        if intent.latest and newest and (names_source(intent) or intent.latest_document):
            return year == newest  # "the latest Ofsted report": the newest of those, not the newest of all
        if not (intent.latest or intent.documents) and inspected and choice.candidate.document.kind == "inspection report":
            return (year or 0) >= inspected
        return True

    def who(choice: Choice) -> bool:
        document = choice.candidate.document
        if not names_source(intent) or is_named_source(document, intent):
            return True
        # Ofsted's findings as a press item or council page reports them ("inspectors noted ...")
        return "inspection report" in intent.kinds and bool(OFSTED_VOICE_RE.search(f"{choice.speaker} {choice.text}"))

    return (lambda c: when(c) and who(c)), when, who
