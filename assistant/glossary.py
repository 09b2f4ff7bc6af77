"""Everyday words for what the reports name in their own terms.

Councillors and residents ask "are youngsters leaving care taught to run a home?"; Ofsted writes
"care leavers ... preparation for independence". The embedding model is too small to bridge such
gaps on its own, so a question's everyday phrases are followed by the reports' terms in what is
searched and matched; the user's own words stay (a report may use them too). The terms only widen the search: every answer is still quoted from a paragraph, and a
question the sources do not answer is still refused.
"""

from __future__ import annotations

import re

# (everyday phrasing, the reports' terms for it). Patterns are matched case-insensitively on word
# boundaries. Only phrasing the reports do not use themselves (or a term they renamed over the years): a common report word ("school",
# "budget") added as a term would let a question about something else ("school buses") find an answer.
# Keep each list of terms short and specific, since every term counts as a question word.
LAY_TERMS: list[tuple[str, str]] = [
    (r"town hall|local council", "council"),
    (r"kids|youngsters?|teenagers?|teens", "children young people"),
    (r"grow(?:ing|n)? up (?:away from|without) (?:your |their |his |her )?(?:mum|dad|parents?|family|home)"
     r"(?: (?:and|or) (?:mum|dad))?|brought up in care|raised (?:in care|by the (?:state|council))|been in care|"
     r"background in care", "care experience children in care looked after"),
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
    (r"after hours|at night|(?:at|over) (?:the )?weekends?|out of office hours", "out-of-hours emergency duty"),
    (r"run(?:s|ning)? away|runaways?", "missing"),
    (r"care homes?|kids'? homes?", "children's homes residential"),
    (r"hotels?|b ?& ?bs?", "bed and breakfast"),
    (r"(?:abuse|violence) at home|domestic violence|violent (?:parents?|partners?)", "domestic abuse"),
    (r"gangs?|county lines|grooming|drug running", "exploitation"),
    (r"feeling down|anxiety|depress\w*", "emotional wellbeing mental health"),
    (r"check-?ups?|health checks?", "health assessments"),
    (r"grandparents?|aunts?|uncles?|relatives|family and friends", "kinship connected carers special guardianship"),
    (r"special needs", "SEND disabled children"),
    (r"paperwork|case notes|written down|write-?ups?", "written records recording"),
    (r"plan b|fallback|fall-back", "contingency plans"),
    (r"staff (?:turnover|leaving|shortages?)|agency staff|temporary staff|hiring", "recruitment retention agency workforce"),
    (r"first contact|reporting (?:a )?concerns?", "front door referrals contacts"),
    (r"family meetings?", "family group conferences"),
    (r"sofa[- ]surfing|nowhere to live|somewhere to live", "homeless accommodation"),
    (r"listen(?:s|ed|ing)? to (?:children|kids|young people)|(?:a )?say in (?:decisions|their care)|children'?s voices?",
     "voice of the child views participation"),
    # "a judge", not the verb: Ofsted judges services ("how did Ofsted judge ...?")
    (r"courts?|(?:a|the) judges?|legal action", "court proceedings public law outline"),
    # the facts on every Ofsted report's cover
    (r"(?:led|in charge of|headed) (?:[\w']+ ){0,3}?(?:inspection|visit)",
     "lead inspector"),
    (r"(?:which|what) days|how long (?:did|was) (?:the|this|that) (?:inspection|visit)", "inspection dates"),
]

_COMPILED = [(re.compile(rf"\b(?:{pattern})\b", re.I), terms) for pattern, terms in LAY_TERMS]


def in_report_words(question: str) -> str:
    """The question with the reports' terms added after each everyday phrase ("hotels (bed and breakfast)")."""
    for pattern, terms in _COMPILED:
        question = pattern.sub(lambda match, terms=terms: f"{match.group(0)} ({terms})", question)
    return question
