"""Everyday words for what the reports name in their own terms.

Councillors and residents ask "are youngsters leaving care taught to run a home?"; Ofsted writes
"care leavers ... preparation for independence". The embedding model is too small to bridge such
gaps on its own, so a question's everyday phrases are followed by the reports' terms in what is
searched and matched; the user's own words stay (a report may use them too). The terms only widen the search: every answer is still quoted from a paragraph, and a
question the sources do not answer is still refused. The abbreviations the library's own reports define
("personal advisers (PAs)") are added the same way, found when the index is built (`Abbreviations`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

# (everyday phrasing, the reports' terms for it). Patterns are matched case-insensitively on word
# boundaries. Only phrasing the reports do not use themselves (or a term they renamed over the years): a common report word ("school",
# "budget") added as a term would let a question about something else ("school buses") find an answer.
# Keep each list of terms short and specific, since every term counts as a question word.
LAY_TERMS: list[tuple[str, str]] = [
    (r"town hall|local council", "council"),
    (r"kids|youngsters?|teenagers?|teens", "children young people"),
    (r"grow(?:ing|n)? up (?:away from|without) (?:your |their |his |her )?(?:mum|dad|parents?|family|home)"
     r"(?: (?:and|or) (?:mum|dad))?|brought up in care|raised (?:in care|by the (?:state|council))|been in care|"
     r"background in care|(?:grew|grow|grown|growing) up in the system", "care experience children in care looked after"),
    (r"leav(?:e|es|ing) (?:the system|care)|ag(?:e|ed|ing) out of care|too old for care|turn(?:s|ing)? (?:18|eighteen)",
     "care leavers"),
    (r"run (?:a|their own|his own|her own) (?:place|home|flat|house)(?: of (?:their|your|his|her) own)?|"
     r"liv(?:e|ing) (?:on their own|independently|alone)|look after themselves|manage (?:a|their) (?:home|tenancy|money)",
     "independent living independence preparation for independence"),
    (r"anti-?discrimination|discriminat\w*|equality (?:rules|law)|"
     r"(?:like|such as) (?:race|sex|gender|religion|disability)(?: (?:or|and) \w+)?", "protected characteristic equality"),
    (r"foster (?:parents?|families|family|mums?|dads?)", "foster carers"),
    # a term the reports renamed: "children looked after" until about 2018, "children in care" since
    (r"looked[- ]after children|children (?:who are )?looked[- ]after|children in care", "children in care looked after"),
    (r"social services|child protection services", "children's services social care"),
    (r"workloads?|how busy|too many cases|number of cases|swamped|over-?worked|over-?loaded|over-?stretched|burn(?:ed|t)[- ]out",
     "caseloads"),
    (r"bosses|people in charge|those in charge|(?:people|those) running", "leaders leadership managers"),
    # who led an inspection: the report names its lead inspector ("led" is no stem of "lead")
    (r"\bled (?:[\w'\u2019]+ ){0,3}(?:inspections?|visits?)\b", "lead inspector"),
    (r"after hours|at night|(?:at|over) (?:the )?weekends?|out of office hours", "out-of-hours emergency duty"),
    (r"run(?:s|ning)? away|runaways?", "missing"),
    (r"care homes?|kids'? homes?", "children's homes residential"),
    (r"hotels?|b ?& ?bs?", "bed and breakfast"),
    (r"(?:abuse|violence) at home|domestic violence|violent (?:parents?|partners?)", "domestic abuse"),
    (r"gangs?|county lines|grooming|drug running", "exploitation"),
    (r"feeling down|anxiety|depress\w*", "emotional wellbeing mental health"),
    (r"counsell?(?:or|ors|ing)|therapists?|talking therap(?:y|ies)|someone to talk to", "therapy emotional well-being"),
    (r"waiting lists?|long (?:delays?|waits?)|wait(?:ing)? (?:for )?(?:ages|months|weeks)", "waiting time"),
    (r"check-?ups?|health checks?", "health assessments"),
    (r"grandparents?|aunts?|uncles?|relatives|family and friends", "kinship connected carers special guardianship"),
    (r"special needs", "SEND disabled children"),
    # children caring for someone at home: the reports' "young carers"
    (r"(?:look(?:s|ed|ing)? after|car(?:e|es|ed|ing) for) (?:a |an |their |his |her |your )?(?:poorly |sick |ill |disabled |unwell )?"
     r"(?:mum|dad|mother|father|parents?|brothers?|sisters?|siblings?|family members?|relatives?)", "young carers"),
    (r"paperwork|case notes|written down|write-?ups?", "written records recording"),
    (r"plan b|fallback|fall-back", "contingency plans"),
    (r"staff (?:turnover|leaving|shortages?)|agency staff|temporary staff|hiring", "recruitment retention agency workforce"),
    (r"first contact|reporting (?:a )?concerns?", "front door referrals contacts"),
    (r"prisons?|jails?|behind bars|locked up", "custody"),
    # a term the reports took up in the late 2010s: before it, the "initial response" to children referred
    (r"front door", "initial response"),
    (r"family meetings?", "family group conferences"),
    (r"sofa[- ]surfing|nowhere to live|somewhere to live", "homeless accommodation"),
    (r"lodgings?|digs|bed-?sits?|put up (?:in|somewhere)", "accommodation"),
    (r"(?:young |child |teenage )?refugees?|asylum seekers?", "unaccompanied asylum-seeking children"),
    # keeping one worker: the reports' consistent, enduring relationships
    (r"(?:one|the same|a new) (?:social )?worker|sticks? with (?:them|him|her|you)|start again with", "consistent enduring relationships consistency"),
    # an adult who works with children posing a risk to them: the local authority designated officer's work
    (r"(?:teachers?|carers?|staff|adults?|professionals?|(?:youth|care) workers?|coach(?:es)?)(?: or (?:a |an )?[\w ]{1,20}?)? "
     r"(?:might|may|could) (?:be|pose) (?:a )?(?:danger|risk|threat)|allegations? (?:(?:made|raised) )?(?:against|about) (?:staff|teachers?|carers?|professionals?|adults?)",
     "local authority designated officer allegations against professionals"),
    (r"mov(?:e|es|ed|ing) (?:away|elsewhere|to (?:another|a different) (?:town|area|city|part of the country))|"
     r"liv(?:e|es|ing) (?:elsewhere|further away|in (?:another|a different) (?:town|area|city))", "outside the area out of area"),
    (r"track(?:s|ing|ed)? down (?:their |his |her )?(?:family|families|relatives|parents)|"
     r"trac(?:e|es|ing) (?:their |his |her )?(?:family|families|relatives|parents)", "family tracing"),
    # a home the law does not allow: children under 16 in supported accommodation, homes not registered with Ofsted
    (r"(?:against|break(?:s|ing)?|outside) the (?:law|rules|regulations?)|(?:the )?law says|illegal(?:ly)?|unlawful(?:ly)?",
     "unregistered outlawed by regulation"),
    (r"listen(?:s|ed|ing)? to (?:children|kids|young people)|(?:a )?say in (?:decisions|their care)|children'?s voices?",
     "voice of the child views participation"),
    # "a judge", not the verb: Ofsted judges services ("how did Ofsted judge ...?")
    (r"courts?|(?:a|the) judges?|legal action", "court proceedings public law outline"),
    # the heading under which every ILACS report lists what must improve
    (r"areas? (?:for|of|needing|requiring) (?:improvement|development)|improvement areas|areas to (?:improve|develop)|"
     r"(?:needs?|needed|has|have|had) to work on|(?:still )?(?:left )?to work on",
     "what needs to improve"),
    # the facts on every Ofsted report's cover
    (r"(?:led|in charge of|headed) (?:[\w']+ ){0,3}?(?:inspection|visit)",
     "lead inspector"),
    (r"(?:which|what) days|how long (?:did|was) (?:the|this|that) (?:inspection|visit)", "inspection dates"),
]

_COMPILED = [(re.compile(rf"\b(?:{pattern})\b", re.I), terms) for pattern, terms in LAY_TERMS]


# -- the abbreviations the reports define ---------------------------------------------------------
# A report writes "personal advisers (PAs)" once and "PAs" from then on; a question says one or the other.
# The library's own definitions (found by the Schwartz and Hearst algorithm, "A simple algorithm for
# identifying abbreviation definitions in biomedical text", 2003) are added to a question as the glossary's
# terms are: "personal advisers (PA PAs)", "CAMHS (child and adolescent mental health services)".

# "... mental health services (CAMHS)": two to ten characters in brackets, at least two of them capitals
SHORT_FORM_RE = re.compile(r"\(([A-Za-z][\w&-]{1,9})\)")
DEFINITION_WORDS = 2  # a definition of fewer (stemmed) words than this is too loose to find in a question


def _long_form(short: str, before: str) -> str:
    """The words ending `before` that `short` abbreviates, or "": each of its letters, from the last, found in
    turn further left, the first at the start of a word (Schwartz and Hearst's test)."""
    words = before.split()[-min(len(short) + 5, 2 * len(short)):]
    text = " ".join(words)
    i = len(text) - 1
    for k in range(len(short) - 1, -1, -1):
        letter = short[k].lower()
        if not letter.isalnum():
            continue
        while i >= 0 and (text[i].lower() != letter or k == 0 and i > 0 and text[i - 1].isalnum()):
            i -= 1
        if i < 0:
            return ""
        i -= 1
    return text[text.rfind(" ", 0, i + 1) + 1:].strip(" ,;:")


def _any_of(words, plural: bool = False) -> re.Pattern:
    """One pattern matching any of the words, the longest first ("NEET" before "EET"); `plural`: an "s" after."""
    return re.compile(rf"\b({'|'.join(map(re.escape, sorted(words, key=len, reverse=True)))}){'s?' if plural else ''}\b")


def abbreviations_in(texts: list[str]) -> dict[str, dict]:
    """Each abbreviation the texts define ("PA", a plural's "s" dropped): its definitions, lower-cased, the most
    often written first, and whether the texts write it alone at least as often as they spell it out."""
    from collections import Counter

    found: dict[str, Counter] = {}
    for text in texts:
        for match in SHORT_FORM_RE.finditer(text):
            short = match.group(1)
            if sum(ch.isupper() for ch in short) < 2:
                continue
            definition = _long_form(short, text[:match.start()])
            if definition and len(content_stems(definition)) >= DEFINITION_WORDS:
                found.setdefault(short.removesuffix("s"), Counter())[definition.lower()] += 1
    if not found:
        return {}
    # in how many texts each is written short, and in how many spelled out
    short_re = _any_of(found, plural=True)
    long_of = {definition: short for short, counts in found.items() for definition in counts}
    long_re = _any_of(long_of)
    written_short, written_long = Counter(), Counter()
    for text in texts:
        written_short.update(set(short_re.findall(text)))
        written_long.update({long_of[d] for d in long_re.findall(text.lower())})
    return {short: {"definitions": [d for d, _ in counts.most_common()], "alone": written_short[short] >= written_long[short]}
            for short, counts in found.items()}


@lru_cache(maxsize=8192)  # the library's definitions, stemmed once rather than for every question
def content_stems(text: str) -> tuple[str, ...]:
    from ingest.index import tokenize

    return tuple(tokenize([text])[0])


def runs_on(terms: Sequence[str], within: Sequence[str]) -> bool:
    """Whether `terms` come one after another somewhere in `within` (both lists, or both tuples)."""
    return any(within[i:i + len(terms)] == terms for i in range(len(within) - len(terms) + 1))


class Abbreviations:
    """The library's abbreviations, ready to add to questions: each one a question uses is followed by its
    definition, and each definition a question spells out by its abbreviation, if the reports write that alone
    at least as often as they spell it out (they rarely write "CP" for "child protection", often "PAs" for
    "personal advisers")."""

    def __init__(self, found: dict[str, dict]):
        """`found`: what abbreviations_in gave."""
        self.definitions = {short: entry["definitions"] for short, entry in found.items()}
        self.short_re = _any_of(found, plural=True) if found else None
        self.spelled_out = [(content_stems(definition), short) for short, entry in found.items() if entry["alone"]
                            for definition in entry["definitions"]]

    def add_to(self, question: str) -> str:
        used = dict.fromkeys(self.short_re.findall(question) if self.short_re else [])
        added = [f"{short} ({self.definitions[short][0]})" for short in used]
        stems = content_stems(question)
        for wanted, short in self.spelled_out:
            if short not in used and runs_on(wanted, stems):
                used[short] = None
                added.append(f"{short} {short}s")
        return f"{question} {' '.join(added)}" if added else question

    def defined_stems(self, text: str) -> set[str]:
        """The stemmed words of what the abbreviations a text uses stand for: "a dedicated CAMHS outreach team"
        speaks of mental health services, as a question asking about them does."""
        used = set(self.short_re.findall(text)) if self.short_re else set()
        return {stem for short in used for stem in content_stems(self.definitions[short][0])}


def in_report_words(question: str, abbreviations: Abbreviations | None = None) -> str:
    """The question with the reports' terms added after each everyday phrase ("hotels (bed and breakfast)"), then
    the library's abbreviations and their definitions (`abbreviations`: `Index.abbreviations()`)."""
    for pattern, terms in _COMPILED:
        question = pattern.sub(lambda match, terms=terms: f"{match.group(0)} ({terms})", question)
    if abbreviations:
        question = abbreviations.add_to(question)
    return question
