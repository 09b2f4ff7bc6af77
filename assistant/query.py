"""What a question asks for beyond its words: who (publisher), when (years, "latest", "since"),
and, for a follow-up, what "that" or "the second of those" refers to in the conversation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import NamedTuple

from bm25s.stopwords import STOPWORDS_EN_PLUS

from assistant.glossary import in_report_words
from assistant.places import council_name, home_place, library_places, named_places, without_places
from assistant.records import Document
from ingest.describe import MONTHS
from ingest.index import stem_words, tokenize

ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1}
FOLLOW_UP_RE = re.compile(
    r"\b(that|those|these|this|it|its|they|them|their|he|she|his|her|at the time|then|what about|and the|same|tell me more|more about)\b",
    re.I
)

# stemmed words that name the source rather than the subject ("what did Ofsted say in its report")
SOURCE_WORDS = {"ofst", "council", "report", "inspect", "inspector", "say", "said", "found", "find", "accord", "refer",
                "press", "mention", "describ", "from",
                # and the frame of a question, which reports rarely use: "what did ... about"
                "what", "which", "who", "whom", "when", "where", "whi", "how", "did", "do", "doe", "done", "has", "have",
                "had", "were", "about", "think", "verdict", "ani", "tell", "can", "could", "would", "should",
                "get", "got", "give", "gave", "given",  # "what grade did it get": the grade is the subject
                "compar", "comparison", "versus"}  # "how does leadership in X compare with Y?": leadership is
# and the little words of English (stemmed): a question's "its", "now" or "under" is not its subject
SOURCE_WORDS |= {_stem for _stem in stem_words(sorted(STOPWORDS_EN_PLUS))}
# ... and its indefinite pronouns and modal verbs, which the stopword list lacks: "did she say anything about X?"
# and "what must Hackney improve about X?" are about X; "one" standing for a noun ("the latest one"); and the
# "how many" that asks for a count (wants_number), which is no subject of its own
SOURCE_WORDS |= set(stem_words(["anything", "anyone", "anybody", "anywhere", "something", "someone", "somebody", "somewhere",
                                 "everything", "everyone", "everybody", "everywhere", "nothing", "nobody", "nowhere",
                                 "must", "might", "ought", "shall", "one", "ones", "many"]))
# a question about a judgement that names no grade, and the grades an answer to it gives
JUDGEMENT_WORDS = ("judgement", "judgements", "judge", "judged", "rate", "rating", "ratings", "rated", "grade", "grades",
                   "graded", "verdict", "verdicts")
JUDGEMENT_RE = re.compile(rf"\b({'|'.join(JUDGEMENT_WORDS)})\b", re.I)
# ... and one asking how a council did, fared or performed ("how did Tameside do for children in care?",
# "which area did it do best in?"): how an inspection found it is its judgements. The verb must end the
# clause, so "how does the council do return interviews?" is no such question
PERFORMANCE_RE = re.compile(r"\bhow (?:well |badly )?(?:did|do|does|has|have|had)(?: [\w'-]+){1,6}? (?:do|done|fare|fared|perform|performed)"
                            r"(?= (?:for|in|at|on|with|under|when|across|overall)\b|\s*[?.,!]|$)|"
                            r"\b(?:do|did|does|done|fare|fared|perform|performed) (?:best|worst|better|worse)\b", re.I)
JUDGEMENT_TERMS = set(tokenize([" ".join(JUDGEMENT_WORDS)])[0])
# the name of the inspected service as a whole ("Barnet's children's services", "children's social care"):
# a question asking of it and of no area asks for the overall judgement; and the words a line naming only
# the service and its grade uses ("Children's services in Barnet are inadequate")
SERVICE_RE = re.compile(r"\b(?:children['\u2019]?s? )?(?:social care|social work|services?)(?: services?)?(?: for children)?\b", re.I)
SERVICE_TERMS = set(tokenize(["children's services social care"])[0])
GRADE_RE = re.compile(r"\b(outstanding|good|requires? improvement|inadequate)\b", re.I)
GRADES = "outstanding good requires improvement inadequate"
GRADE_TERMS = set(tokenize([GRADES])[0])
OVERALL = tokenize(["overall"])[0][0]
# what speaks of a time still to come: the future in English grammar, and the words that schedule
FUTURE_RE = re.compile(r"\b(will|shall|going to|next|upcoming|(is|are) due|planned|scheduled|expected to)\b", re.I)


class AskedFact(NamedTuple):
    asks: re.Pattern  # what in a question asks for this kind of fact
    gives: re.Pattern  # what a sentence must hold to give it


# a question asking for a phone number, an email address or a sum of money is answered only by a sentence that
# gives one: a sentence about the front door is no phone number, and "the most stable it has been for three
# years" says nothing of what is spent. Money is asked for by "how much" with a word of paying or spending
# ("how much extra money went into ...", "how much does it spend on ...") or by naming a budget or cost
ASKED_FACTS = {
    "phone": AskedFact(re.compile(r"\b(?:tele)?phone(?: numbers?)?\b|\b(?:contact|helpline) numbers?\b|\bnumber to (?:call|ring)\b", re.I),
                       re.compile(r"(?:\+44|\b0)\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}\b")),
    "email": AskedFact(re.compile(r"\be-?mail(?: address(?:es)?)?\b", re.I), re.compile(r"[\w.-]+@[\w-]+\.\w")),
    "money": AskedFact(re.compile(r"\bhow much\b(?:\W+[\w'-]+){0,5}?\W+(?:money|funding|cash|spen[dt]\w*|costs?|budgets?|invest\w*|"
                                  r"pa(?:y|ys|id|yments?)|grants?|allowances?|fees?|wages?|salar(?:y|ies))\b|\b(?:what|which) (?:is|was|are|were) (?:the |its |their )?(?:[\w'-]+ ){0,2}?"
                                  r"(?:budgets?|costs?|spend|spending)\b", re.I),
                       re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(?:pounds|million|billion|bn)\b", re.I)),
}
NOW = r"now|currently|today|at (?:the )?(?:moment|present)|presently|these days"  # the time a question asks of, when it is now
LATEST_WORDS = set(stem_words(["latest", "recent", "current", "currently", "today", "last", "moment", "present", "presently"]))
# the months a question names say when, as its years do ("Ofsted's July 2024 visit")
MONTH_WORDS = set(stem_words(list(MONTHS)))
OVER_TIME_WORDS = {"chang", "compar", "between", "over", "time", "differ", "evolv", "sinc"}
# the adverbs placing a year named in the past ("back in 2019", "two years earlier"): when, not what about
PAST_WORDS = set(stem_words(["back", "ago", "earlier", "previously", "formerly", "originally"]))


@dataclass(frozen=True)
class Intent:
    retrieval_text: str  # the question, with a follow-up's referent spelled out and everyday phrases in the reports' words
    own_text: str = ""  # the question alone (no referent from the conversation), with the reports' words added
    # what the model embeds: the retrieval text less the councils it names, since a scope already keeps to
    # them and their names in the vector favour any sentence naming the council over one on the subject
    meaning_text: str = ""
    publishers: tuple[str, ...] = ()  # publisher names the question asks about
    kinds: tuple[str, ...] = ()  # document kinds it asks about (inspection report, press, council ...)
    years: tuple[int, ...] = ()
    since: int | None = None  # "since 2024", "since the inspection"
    latest: bool = False
    latest_document: bool = False  # "its latest inspection", "the most recent report": names a document, as a year does
    over_time: bool = False  # "has it improved", "changed from 2016 to 2024": cite each year
    change_words: tuple[str, ...] = ()  # "got better", "declined": stems of the words telling the change asked about
    wants_number: bool = False  # "how many", "average": an answer must hold a number
    counted: tuple[str, ...] = ()  # "how many care leavers ...": stems of what is counted, which the answer's number must count
    wants_percentage: bool = False  # "what percentage", "what proportion": an answer must hold one
    wants_date: bool = False  # "when", "what date": an answer must hold a date
    wants_future: bool = False  # "when is Ofsted next due?": a date still to come, which a past one does not answer
    wants_grade: bool = False  # "how has the judgement changed": an answer must give an Ofsted grade
    wants_person: bool = False  # "who is the director ...?", "who led the inspection?": an answer must name someone
    wants_fact: str = ""  # "what is the phone number ...", "how much was spent ...": the kind of fact (a key of ASKED_FACTS) an answer must give
    fact_words: tuple[str, ...] = ()  # "how much extra money": stems of the words asking for it, which a sentence giving it answers
    history_years: tuple[int, ...] = field(default=())
    findings_of: str = ""  # "what did the Serious Case Review conclude": the named review, report or inquiry
    places: tuple[str, ...] = ()  # the library's councils the question (or, for a follow-up, the conversation) names
    place_words: tuple[str, ...] = ()  # stems of every council name in the library: they say where to look, not what about
    naming_words: tuple[str, ...] = ()  # stems naming a source ("the scrutiny panel report") or a voice set aside ("rather than the council"), not the subject
    documents: tuple[str, ...] = ()  # ids of the documents it names by what they are ("the monitoring visit")
    quoted: tuple[str, ...] = ()  # the words it quotes ("made 'significant progress'"): a claim, whose own sentence it asks about


def message_text(content) -> str:
    """A chat message's text, whether a string or Gradio 6's list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    if isinstance(content, dict):
        return content.get("text", "")
    return str(content or "")


LIST_RE = re.compile(r"(?:^|\s|;)\(?\d+[).]\s+|\n\s*[-*\u2022]\s+")  # "1) a; 2) b", or bulleted lines


def _list_items(text: str) -> list[str]:
    """Items of an enumerated answer: "1) a; 2) b", bullets, or lines."""
    parts = LIST_RE.split(text)
    items = [p.strip(" ;.\n") for p in parts if p and len(p.split()) >= 2]
    return items[1:] if len(items) > 1 and not re.match(r"^\(?1[).]", text.strip()) else items


def _quoted(message: dict) -> list[str] | None:
    """What an assistant message's Answer record quoted, each list among its quotes item by item; None when
    it carries no record under "answer" (a history given as JSON has only text)."""
    answer = message.get("answer")
    if answer is None:
        return None
    return [item for c in answer.citations for item in (_list_items(c.quote) if LIST_RE.search(c.quote) else [c.quote])]


MARKER_RE = re.compile(r"\[\d+\]")  # an answer's citation marker, "[2]"


def _items_shown(message: dict) -> list[str]:
    """The things an assistant message set out, in the order shown, which "the second of those" counts: the
    rows or items it quoted from one paragraph ("Children in care: Outstanding [1] Care leavers: Outstanding
    [1]"), the first such run when there is one, else each sentence it quoted. From its record when it has one
    (each citation's sentences in the paragraph's order, or its list's items); from its text otherwise: a
    list, or the pieces closed by citation markers, each on its own line after the heading naming its document."""
    answer = message.get("answer")
    if answer is not None:
        groups = [_list_items(c.quote) if LIST_RE.search(c.quote)
                  else [s for s in c.paragraph.sentence_texts() if s in c.quote] or [c.quote] for c in answer.citations]
    else:
        text = message_text(message.get("content"))
        if LIST_RE.search(text) or not MARKER_RE.search(text):
            return _list_items(MARKER_RE.sub("", text))
        groups = []
        for piece, marker in zip(MARKER_RE.split(text), MARKER_RE.findall(text)):
            piece = piece.strip().split("\n")[-1].strip()
            if len(piece.split()) < 2:
                continue
            if groups and groups[-1][0] == marker:
                groups[-1][1].append(piece)
            else:
                groups.append((marker, [piece]))
        groups = [pieces for _, pieces in groups]
    return next((items for items in groups if len(items) > 1), [item for items in groups for item in items])


def said(message: dict) -> list[str]:
    """What an assistant message said, piece by piece: its record's quotes when it has one, as the web app's
    conversations do; otherwise its text, split into sentences and list items."""
    quoted = _quoted(message)
    if quoted is not None:
        return quoted
    return [piece for piece in re.split(r"(?<=[.;!?])\s+|\s\d\)\s", message_text(message.get("content"))) if piece]


def resolve_follow_up(question: str, history: list[dict]) -> str:
    """The question with its referent spelled out from the conversation, for retrieval."""
    if not history:
        return question
    replies = [m for m in history if m.get("role") == "assistant"]
    ordinal = re.search(r"\b(first|second|third|fourth|fifth|last)\b(?: one\b| (?:one )?(?:of (?:those|these|them)|area|point|item))",
                        question, re.I)
    if ordinal and replies:
        items = _items_shown(replies[-1])
        index = ORDINALS[ordinal.group(1).lower()]
        if items and (index == -1 or index < len(items)):
            return f"{question} {items[index]}"
    earlier = leaned_on(question, history)
    return " ".join([question, *earlier]) if earlier else question


def leaned_on(question: str, history: list[dict]) -> list[str]:
    """The earlier questions a follow-up leans on, oldest first: back to the last that stood on its own
    ("and in 2019?" after "what about it?" after "what did Ofsted say about care leavers' accommodation?")."""
    if not is_follow_up(question):
        return []
    earlier: list[str] = []
    for user in reversed([message_text(m.get("content")) for m in history if m.get("role") == "user"]):
        earlier.insert(0, user)
        if not is_follow_up(user):
            break
    return earlier


# "after" as "since": "how much went in after the 2015 review?" asks of what followed it, not of 2015
SINCE_RE = re.compile(r"\b(?:since|after) (?:the |its |their )?(?:(20\d\d)(?: inspection)?|(?:last |latest |most recent )?inspection)", re.I)


# an inspection named by its place among the council's inspections ("the earlier inspection", "its previous report")
EARLIER_INSPECTION_RE = re.compile(r"\b(?:the|its|their|an?|\w+['\u2019]s) (previous|earlier|prior|older|first|original|oldest) "
                                   r"(?:ofsted )?(?:inspection|report|inspection report|visit)s?\b")
# "since" naming no time of its own ("has anything been done since?", "since then"): since the last time named
BARE_SINCE_RE = re.compile(r"\bsince(?: then)?\s*(?:[?!.,;]|$)")
# "when a child turns 18, do they ...?": a clause saying in what case, then the question
WHEN_CLAUSE_RE = re.compile(r"^\W*when\b[^?,]*,\s*(?:do|does|did|is|are|was|were|can|could|will|would|should|has|have|what|who|"
                            r"whom|how|which|where|why)\b")


def _when(question: str) -> tuple[re.Match | None, tuple[int, ...]]:
    """What a question says of when: its "since" ("since 2024", "since the inspection") and the years it names besides."""
    since_match = SINCE_RE.search(question)
    years_text = question[:since_match.start()] + question[since_match.end():] if since_match else question
    years = {int(y) for y in re.findall(r"\b(20\d\d|19\d\d)\b", years_text)}
    # a span written as councils write financial and school years, "2024-25", "2024/25": both years (not "2024-07")
    years |= {int(first) + 1 for first, last in re.findall(r"\b((?:19|20)\d\d) ?[-\u2013/] ?(\d\d)\b", years_text)
              if int(last) == (int(first) + 1) % 100}
    return since_match, tuple(sorted(years))


# a quotation in a question: its mark opens after a space and closes before a non-letter, so "the inspectors'
# verdict" and "Kirklees's" are none; an apostrophe within ("the council's own") is part of it
QUOTED_RE = re.compile(r"(?:^|(?<=[\s(]))['\u2018\"\u201c]([A-Za-z](?:[^'\u2018\u2019\"\u201c\u201d]|(?<=[A-Za-z])['\u2019](?=[A-Za-z]))*?)"
                       r"['\u2019\"\u201d](?![A-Za-z])")
# a question asking whose words something is ("who said that?", "who was it that said ...?", "whose claim is it?")
WHO_SAID_RE = re.compile(r"\bwho (?:(?:was|is) it (?:that|who) )?(?:said|says|is saying|was saying|claims|claimed)\b|\bwhose (?:words|claim|view)\b")


# capitalised words in a row, as names are written ("Councillor Erin Hill", "Director of Children's Services")
NAME_RE = re.compile(r"\b[A-Z][\w'\u2019-]*(?:\s+(?:of\s+|for\s+|and\s+)?[A-Z][\w'\u2019-]*)+")
DETERMINERS = {"the", "a", "an", "its", "their", "our", "your", "my", "his", "her", "whose"}  # "the Chief Executive": a title


def name_candidates(text: str) -> list[str]:
    """The capitalised words of a text that may name someone: not a sentence's opening ("The Director of ...",
    "In August") nor a title with its article ("the Chief Executive Officer")."""
    names = []
    for match in NAME_RE.finditer(text):
        before = text[:match.start()].split()[-1:]
        if match.group(0).split()[0].lower() not in STOPWORDS_EN_PLUS and not (before and before[0].lower() in DETERMINERS):
            names.append(match.group(0))
    return names


# a question asking who holds a role or did a thing ("who is the director of children's services?", "who led the
# inspection?"): a person, whom an answer must name
WHO_IS_RE = re.compile(r"\bwho (?:is|was|are|were) (?:the|its|their)\b|\b(?:who|which [a-z]+) (?:led|leads|heads|headed|chairs|chaired)\b"
                       r"|\bwhat(?:'s|\u2019s| is| was) the name of\b|^\W*name the\b", re.I)


# a clause that opens with a question word, after one that tells: "..., so what were ...", "...; is it still ..."
QUESTION_WORDS = r"what|which|how|why|who|whom|whose|when|where|did|does|do|is|are|was|were|has|have|had|can|could|will|would|should"
ASKING_CLAUSE_RE = re.compile(rf"[,;:\u2013\u2014]\s+(?:(?:so|but|and|then|yet)\s+)?(?=(?:{QUESTION_WORDS})\b)", re.I)
ASKS_RE = re.compile(rf"^\W*(?:{QUESTION_WORDS})\b", re.I)


def asking_part(question: str) -> str:
    """The words of a question that ask, less those that tell what it takes as known ("Hackney was rated good
    in 2016, so what were inspectors unhappy about?"; "Housing was a problem in 2015. Is it sorted now?"): the
    clauses of its sentences ending in a question mark that open with a question word (all of them if none does)."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", question.strip()) if s]
    asked = [s for s in sentences if s.rstrip().endswith("?")] or sentences
    clauses = [c for s in asked for c in ASKING_CLAUSE_RE.split(s)]
    return " ".join([c for c in clauses if ASKS_RE.match(c)] or clauses)


def is_follow_up(question: str) -> bool:
    """Does a question lean on the conversation ("what about that?", "and in 2019?")?"""
    return bool(FOLLOW_UP_RE.search(question)) or len(question.split()) <= 6


def _asks_latest(lowered: str) -> bool:
    """"The latest inspection", "now": a question asking how things stand, not of a year."""
    return bool(re.search(rf"\b(latest|most recent|current|{NOW})\b", lowered))


# the names of a source the council's words may be set beside
SOURCE_NOUNS = r"ofsted|inspectors?|inspectorate|watchdog|press|(?:news)?papers?|media"


def _who(lowered: str, documents: list[Document]) -> tuple[list[str], list[str]]:
    """The publishers and the kinds of document a (lower-cased) question names as whose words it asks for."""
    publishers = []
    for name in sorted({d.publisher for d in documents}):
        words = [w for w in re.findall(r"[a-z]+", name.lower()) if len(w) > 3 and w not in {"press", "publication", "named", "unknown", "publisher"}]
        # whole words ("a councillor said" names no council), a plural or possessive with them ("Ofsted's")
        if name.lower() in lowered or words and all(re.search(rf"\b{re.escape(w)}(?:s|'s|\u2019s)?\b", lowered) for w in words):
            publishers.append(name)
    who_text = SET_ASIDE_RE.sub(" ", lowered)
    kinds = []
    if re.search(r"\b(ofsted|inspectors?|inspectorate|watchdog|hmi)\b", who_text) and not re.search(r"council'?s? (own|response|summary)", who_text):
        kinds.append("inspection report")
    # a paper named by a name holding a press word ("the Dewsbury Reporter") asks for that paper, not for the press
    unnamed = re.sub("|".join(rf"\b{re.escape(name.lower())}(?:'s|\u2019s)?" for name in publishers) or r"(?!)", " ", who_text)
    if re.search(r"\b(press|(?:news)?papers?|news|reporter|journalists?|media|reported)\b", unnamed):
        kinds.append("press")
    if re.search(
        r"\b(council'?s?|town hall|local authority'?s?)\b.*\b(report|say|said|claim|done|taken|response|progress|plan|steps)\b"
        r"|\b(has|have) (the )?(council|local authority)\b|\b(council|local authority) (has|have|says|said|reports?)\b"
        # ... or set beside another source as the one who may have said it ("Ofsted or the council itself?")
        rf"|\b(?:{SOURCE_NOUNS}) or (?:the |its )?(?:council|local authority)\b|\b(?:council|local authority) or (?:the )?(?:{SOURCE_NOUNS})\b",
        who_text):
        kinds += ["council report", "council statement"]

    if WHO_SAID_RE.search(lowered):
        # "did Ofsted really say it, or who said that?": the sources named are who may have said it, the speaker is asked for
        return [], []
    return publishers, kinds


def analyse(question: str, history: list[dict] | None, documents: list[Document],
            abbreviations=None, aliases: dict[str, tuple[str, ...]] | None = None) -> Intent:
    """What a question asks beyond its words; `abbreviations`, those the library defines (`Index.abbreviations`);
    `aliases`, the names its councils go by in their documents (`place_aliases`)."""
    history = history or []
    text = resolve_follow_up(question, history)
    lowered = question.lower()
    context = " ".join(message_text(m.get("content")) for m in history).lower()

    publishers, kinds = _who(lowered, documents)
    since_match, years = _when(question)
    latest = _asks_latest(lowered)
    # a change told ("has it improved?", "how did it change?"), not one wanted: "what does it need to improve?" and
    # "what must it improve?" ask what the report requires, and an infinitive or a modal's verb is no change over time
    change = (r"(?<!\bto )(?<!\bmust )(?<!\bshould )(?<!\bcould )(?<!\bwould )(?<!\bwill )(?<!\bcan )\b(changed?|improved?|(?:get|gets|got|getting|gotten) (?:any |much |a (?:lot|bit) )?(better|worse)(?: or (?:better|worse))?|(?:any|no|much) (?:better|worse)|(?:go|goes|went|gone|going|come|comes|came|coming) (up|down|downhill|uphill)|fallen|fell|risen|rose|reduced|increased|"
              r"decreased|declined|deteriorated|worsened|stopped)\b")
    over_time = bool(re.search(rf"{change}|\b(progress(ed)?|over time|between|from \d{{4}} to|since|compare)\b", lowered)) and (
        len(years) >= 2 or bool(re.search(rf"{change}|\b(between|over time)\b", lowered)))
    # "inadequate in 2016, and what is it now?", "weak in 2019, and is it still?": then and now, each year cited;
    # and a comparison with a year ("more or less than it was at the 2016 inspection", "better than in 2019") is one of then and now
    over_time = over_time or bool(years) and bool(re.search(rf"\b({NOW})\b|\b(?:is|are) (?:(?:it|that|this|they|there) )?still\b"
                                                            r"|\bthan (?:(?:it|they|there|she|he|we) (?:was|were|did|had) )?(?:in|at|during) (?:the |its |their )?(?:19|20)\d\d\b", lowered))
    history_years = tuple(sorted({int(y) for y in re.findall(r"\b(20\d\d)\b", context)}))
    library = library_places(documents)
    # "the City": the place, not what the question is about (its "the" is no word of the index)
    council_stems = stem_words(re.findall(r"[a-z]+", " ".join([*library, *(a for names in (aliases or {}).values() for a in names)]).lower()))
    place_words = set(council_stems)
    places = named_places(question, library, aliases)
    # a follow-up goes on about the council, the document and the year its conversation named ("and what about
    # care leavers?", "what was she going to do?"), unless it names its own; a year named with a source
    # ("Ofsted's 2024 report") was that source's, so a follow-up naming another source ("what does the
    # council report on it?") chooses its own
    source_names = _source_names(question, documents, place_words)
    named_documents = _named_documents(source_names, documents, place_words)
    leaning = leaned_on(question, history)
    for earlier in reversed(leaning):
        places = places or named_places(earlier, library, aliases)
        if not kinds and not publishers and not named_documents:
            named_documents = _named_documents(_source_names(earlier, documents, place_words), documents, place_words)
        # ... (a year the earlier question named with no source was the conversation's time, whoever a
        # follow-up asks of: "could care leavers stay on with foster carers back in 2014?" and then "what did
        # the inspectors tell the council to do about that?")
        earlier_source = _who(earlier.lower(), documents)
        if not years and not latest and not since_match and (
                not (kinds or publishers) or not any(earlier_source) or earlier_source == (publishers, kinds)):
            since_match, years = _when(earlier)  # "since the 2024 inspection" stays a since, not the year 2024
            latest = _asks_latest(earlier.lower())
    if not places:
        # a conversation goes on about the council it last named: a question naming none ("are some children
        # still living in unregistered homes?") is about that council too, pronoun or not
        places = next((named for m in reversed(history) if m.get("role") == "user"
                       and (named := named_places(message_text(m.get("content")), library, aliases))), [])
    if not years and re.search(r"\b(at the time|then|that year)\b", lowered) and history_years:
        years = history_years[:1]
    # the years of the inspections of the council asked about (or of the home council), for a question naming one
    earlier_inspection = EARLIER_INSPECTION_RE.search(lowered)
    inspected = []
    if earlier_inspection or since_match:
        about = {council_name(p) for p in places} or {home_place(documents)} - {""}
        inspected = sorted({d.year for d in documents if d.kind == "inspection report" and d.year
                            and (not about or council_name(d.place) in about)})
    if earlier_inspection and inspected:
        # "what did the earlier inspection say?": the one before the time the conversation (or else the latest
        # inspection) is of; "the first inspection": the oldest
        if earlier_inspection.group(1) in ("first", "original", "oldest"):
            years, since_match, latest = (inspected[0],), None, False
        else:
            now = max(years or history_years or inspected[-1:])
            before = [y for y in inspected if y < now]
            if before:
                years, since_match, latest = (before[-1],), None, False
    since = None
    if since_match:
        # "since the inspection": the latest inspection
        since = int(since_match.group(1)) if since_match.group(1) else (inspected[-1] if inspected else None)
    elif leaning and years and re.search(r"\bsince\s*\W*$", lowered):
        # "has that got any better since?" after a question of 2022: since then
        since, years = max(years), ()
    elif years and BARE_SINCE_RE.search(lowered):
        # "weak in 2019; still so in 2024, and has anything been done since?": the years named, and every year after,
        # each year's cited
        since, over_time = max(years), True
    retrieval_text = in_report_words(text, abbreviations)
    asking = asking_part(question)
    asked_fact = [(kind, match) for kind, fact in ASKED_FACTS.items() if (match := fact.asks.search(question))]
    intent = Intent(
        retrieval_text=retrieval_text,
        own_text=in_report_words(question, abbreviations),
        meaning_text=without_places(retrieval_text, library, aliases),
        publishers=tuple(publishers),
        kinds=tuple(dict.fromkeys(kinds)),
        years=years,
        since=since,
        latest=latest,
        latest_document=bool(re.search(r"\b(latest|most recent)\s+(?:[a-z]+\s+)?(inspection|report|visit|judgement)s?\b", lowered)),
        over_time=over_time,
        change_words=tuple(stem_words([w for m in re.finditer(change, lowered) for w in re.findall(r"[a-z]+", m.group(0))])),
        wants_percentage=bool(re.search(r"\b(percentage|per ?cent|proportion|what share)\b", lowered)),
        wants_number=bool(re.search(r"\b(how many|how much|what number|what percentage|average|proportion of|per cent|what is the number)\b", lowered)),
        # "how many Redcar and Cleveland children": the council (or any name) says where they are, not what is counted
        counted=tuple(t for t in _counted(lowered) if t not in place_words and t not in SOURCE_WORDS
                      and t not in stem_words(re.findall(r"(?<!^)\b[A-Z][a-z]+", question))),
        # a question opening with "when" asks for a date ("when exactly were the inspectors there?"), as does "when did"
        # anywhere; not a "when" clause before the question ("when a child turns 18, do they keep their worker?")
        wants_date=bool(re.search(r"^\W*when\b|\b(on what date|(what|which) (dates?|days?)|when (was|were|did|is|will))\b", lowered))
        and not WHEN_CLAUSE_RE.match(lowered),
        # "when are the homes due to open?" (a sentence's "due to" may be "because of")
        wants_future=bool(FUTURE_RE.search(lowered) or re.search(r"\bwhen (?:is|are)\b.*\bdue\b", lowered)),
        # "was it rated good?" is answered with the grade given (and how the whole service changed, below)
        # ... by the part that asks: "Hackney was rated good in 2016, so what were inspectors unhappy about?" tells the grade
        wants_grade=bool(JUDGEMENT_RE.search(asking) or PERFORMANCE_RE.search(asking)),
        wants_person=bool(WHO_IS_RE.search(question)) and not WHO_SAID_RE.search(lowered),
        wants_fact=next((kind for kind, _ in asked_fact), ""),
        fact_words=tuple(next((tokenize([match.group(0)])[0] for _, match in asked_fact), ())),
        history_years=history_years,
        findings_of=_findings_of(question, documents),
        places=tuple(places),
        place_words=tuple(council_stems),
        naming_words=_naming_words(question, source_names) + _set_aside_words(lowered),
        documents=named_documents,
        quoted=tuple(m.group(1) for m in QUOTED_RE.finditer(question) if len(m.group(1).split()) > 1),
    )
    if intent.over_time and not intent.wants_grade and of_the_whole_service(intent):
        intent = replace(intent, wants_grade=True)  # how the whole service changed: its judgements, first of all
    if (leaning and (years or since) and not names_source(intent) and not _wants(intent)
            and not set(tokenize([intent.own_text])[0]) - frame_words(intent)):
        # "was it the same back in 2019?" after "what grade did it get in 2024?": the same question of another
        # time (it asks of nothing else), which wants what the earlier one wanted (a grade, a date, a figure)
        before = analyse(leaning[-1], [], documents, abbreviations, aliases)
        if (before.years, before.since) != (intent.years, intent.since):
            intent = replace(intent, **{name: getattr(before, name) for name in WANTS})
    return intent


# what a question may want an answer to give, whatever its subject
WANTS = ("wants_number", "counted", "wants_percentage", "wants_date", "wants_future", "wants_grade", "wants_person",
         "wants_fact", "fact_words")


def _wants(intent: Intent) -> bool:
    return any(getattr(intent, name) for name in WANTS)


def names_source(intent: Intent) -> bool:
    """Does the question say whose words to answer with: a publisher, a kind of document, a document?"""
    return bool(intent.publishers or intent.kinds or intent.documents)


def is_named_source(document: Document, intent: Intent) -> bool:
    """Is the document one of those the question names: by what it is, or else by publisher or kind? A
    document named ("the Ofsted monitoring visit") is narrower than the kind its name holds."""
    if intent.documents:
        return document.id in intent.documents
    return document.publisher in intent.publishers or document.kind in intent.kinds


def of_the_whole_service(intent: Intent) -> bool:
    """Does the question ask of no area or topic, only of the service as a whole ("how did Barnet's
    children's services change between 2017 and 2024?", "what grade did Kirklees get?"): are its words,
    less the service's name, all words of its frame or of judging?"""
    texts = [SERVICE_RE.sub(" ", intent.own_text), SERVICE_RE.sub(" ", intent.retrieval_text)]
    # "have Barnet's children's services got better since 2017?": the change asked about is no area
    # ... nor is the grade it asks after ("was it rated good?") nor "overall"
    asked = {t for terms in tokenize(texts) for t in terms} - frame_words(intent) - JUDGEMENT_TERMS - set(intent.change_words)
    return not asked - GRADE_TERMS - {OVERALL}


# "how many independent flats has ...": the words after "how many" up to the verb name what is counted
HOW_MANY_RE = re.compile(r"\bhow many ((?:[a-z'-]+ ){0,3}?[a-z'-]+?)(?= (?:are|is|were|was|have|has|had|did|do|does|will|can|could|"
                         r"would|should|in|on|at|of|for|with|live|living|get|got|been)\b|[?.,]|$)")


def _counted(lowered: str) -> tuple[str, ...]:
    """The stems of the words naming what a "how many" question counts ("how many care leavers are ...")."""
    match = HOW_MANY_RE.search(lowered)
    return tuple(stem_words(match.group(1).split())) if match else ()


CONTRASTS = "rather than|as opposed to|instead of"
# "rather than what the council said": the voice a question sets aside is not the one it asks for ...
SET_ASIDE_RE = re.compile(rf"\b({CONTRASTS}|not|but not)\b[^,.;?]*")
# ... and its words are not the subject ("what has not improved" keeps "improved": "not" alone is no contrast)
CONTRAST_RE = re.compile(rf"\b({CONTRASTS})\b[^,.;?]*")


def _set_aside_words(lowered: str) -> tuple[str, ...]:
    """Stems of the words a question sets aside ("as opposed to the council's reaction")."""
    return tuple(stem_words([w for match in CONTRAST_RE.finditer(lowered) for w in re.findall(r"[a-z]+", match.group(0))]))


FINDINGS_RE = re.compile(
    r"\b(?:the\s+)?((?:[A-Z][\w'\u2019-]*\s+){1,6}(?:Review|Inquiry|Audit|Report|Investigation|Assessment|Evaluation|Study))\b"
    r".*\b(conclud\w*|find|found|recommend\w*|reveal\w*|decide\w*)\b")


def _findings_of(question: str, documents: list[Document]) -> str:
    """The named review or inquiry whose findings the question asks for, unless it is one of our sources."""
    match = FINDINGS_RE.search(question)
    if not match:
        return ""
    name = match.group(1).strip()
    titles = " ".join(d.title.lower() for d in documents)
    return "" if name.lower() in titles else name


NAMING_RE = re.compile(r"\b(?:the|its|their|a|an)\s+((?:[\w'\u2019]+\s+){1,4}?)(report|statement|article|response|"
                       r"inspection|update|story|page|visit|letter)s?\b", re.I)


VIEW_OF_RE = re.compile(r"\b(view|opinion|verdict|assessment|take)s? (?:of|on)\b", re.I)


def _naming_words(question: str, source_names: list[set[str]]) -> tuple[str, ...]:
    """Stems of the words a question uses to name one of the sources ("the 2026 scrutiny panel report"): the
    words of its phrases that name a source (`_source_names`), and of "Ofsted's view of ...", whose words to quote."""
    stems = {word for words in source_names for word in words}
    # "Ofsted's view of leadership": the view is whose words to quote, leadership the subject
    return tuple(sorted(stems | set(stem_words(VIEW_OF_RE.findall(question)))))


def _named_documents(source_names: list[set[str]], documents: list[Document], place_words: set[str]) -> tuple[str, ...]:
    """The documents a question names by what they are ("the monitoring visit", "the scrutiny panel report"):
    those whose description holds every word of a phrase naming a source (`_source_names`) but its source and
    place words, which name a kind or a council, read apart ("the Ofsted monitoring visit" is a trade paper's
    story of the visit)."""
    named = [d.id for words in source_names if (what := words - SOURCE_WORDS - place_words)
             for d in documents if what <= _description(d)]
    return tuple(dict.fromkeys(named))


DESCRIPTIONS_KEPT = 10_000  # documents' descriptions kept, the oldest forgotten beyond this (a bound on memory, not a weight)


def _source_names(question: str, documents: list[Document], place_words: set[str]) -> list[set[str]]:
    """The stemmed words of each phrase of the question that names a source ("the council's 2019 statement",
    "the monitoring visit"): a phrase NAMING_RE finds whose words before its noun are all source words,
    councils' names (`place_words`) or words of some document's description. "The front door response"
    names none: its subject is the front door's."""
    matches = list(NAMING_RE.finditer(question))
    if not matches:
        return []
    described = set().union(*map(_description, documents))
    names = []
    for match in matches:
        # a year or month in the phrase ("the council's 2019 statement", "the January 2026 inspection") is read as
        # the question's time, not as a name: every report of an inspection in January would be named
        qualifiers, noun = ({t for t in terms if not t.isdigit() and t not in MONTH_WORDS}
                            for terms in tokenize([match.group(1), match.group(2)]))
        if qualifiers <= SOURCE_WORDS | place_words | described:
            names.append(qualifiers | noun)
    return names


@lru_cache(maxsize=DESCRIPTIONS_KEPT)
def _description(document: Document) -> frozenset[str]:
    """The stemmed words saying what a document is: its title, publisher, kind and date note (a Document
    never changes, so each is read once)."""
    return frozenset(tokenize([f"{document.title} {document.publisher} {document.kind} {document.date_note}"])[0])


def frame_words(intent: Intent) -> set[str]:
    """Stemmed words that say where and when to look rather than what about: the source, the
    question's frame, the years it names (their documents are chosen by year) and, in a question
    over time, the words asking for a change ("how has X changed from 2016 to 2024")."""
    words = SOURCE_WORDS | MONTH_WORDS | intent_years(intent) | set(intent.naming_words) | set(intent.place_words)
    if intent.latest:
        words = words | LATEST_WORDS  # "the latest inspection": when, like a year
    if intent.years or intent.since:
        words = words | PAST_WORDS
    return words | OVER_TIME_WORDS if intent.over_time else words


def question_wording(intent: Intent) -> set[str]:
    """The stemmed words of the question itself less those saying where and when (councils, years, months), with
    "date" when it asks when: what a labelled fact ("Inspection dates: ...") is matched against."""
    words = set(tokenize([intent.own_text])[0]) - set(intent.place_words) - MONTH_WORDS - intent_years(intent)
    return words | set(tokenize(["date"])[0]) if intent.wants_date else words


def intent_years(intent: Intent) -> set[str]:
    """The years a question names: they choose documents (by their year), not words to match; and so do those of
    the earlier question a follow-up names another year instead of ("was it the same in 2019?" after "... in 2024?")."""
    return {str(year) for year in (*intent.years, intent.since) if year} | set(re.findall(r"\b(?:19|20)\d\d\b", intent.retrieval_text))


def not_searched(intent: Intent) -> set[str]:
    """Stems left out of the lexical search: the years (documents are chosen by year) and the words
    naming a source, which its own cover sheet and title repeat."""
    return intent_years(intent) | set(intent.naming_words)
