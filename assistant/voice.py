"""Whose words a sentence carries: Ofsted's findings as a press item or council page reports them,
or the council's own reaction. Quotations run on across paragraphs, as newspapers write them."""

from __future__ import annotations

import re
from typing import NamedTuple

from assistant.query import NAME_RE, Intent, name_candidates
from assistant.records import Document, Paragraph

# Who speaks, in the words any newspaper or council page uses: the inspectorate ("Ofsted", "the
# watchdog", "HMI", "inspectors", "the report") or the council ("Councillor X", "a council
# spokesperson", "the local authority"); and the verbs that report speech or findings.
REPORTING = (r"(?:also |had |has |have )?(?:said|says|say|stated|states|found|finds|noted|notes|saw|highlight\w*|conclud\w*|"
             r"confirm\w*|outlin\w*|criticis\w*|praised|recognised|commented|described|warned|judged|rated|reported|"
             r"identified|added|told|explained)")
INSPECTORATE = (r"ofsted|ofsted.s|the watchdog|the inspectorate|hmi|his majesty.s inspectors?|inspectors|the inspectors|"
                r"(?:the|ofsted.s|inspection|latest|new) report")
COUNCIL = (r"councillor|cllr|director|cabinet member|leader of|chief executive|spokes(?:person|man|woman)|"
           r"the (?:local )?authority|the council|council bosses|the town hall")
OFSTED_VOICE_RE = re.compile(
    rf"\b({INSPECTORATE})\b\W+{REPORTING}\b|\b{REPORTING}\s+(?:by\s+)?({INSPECTORATE})\b|"
    rf"\baccording to (?:the )?({INSPECTORATE})\b", re.I)
COUNCIL_VOICE_RE = re.compile(
    rf"\b({COUNCIL})\b.*\b(said|says|added|stated|told|explained|responded|replied)\b|\b(she|he) (said|added)\b|"
    r"^\s*[\u201c\"](we|our|it.s|i)\b", re.I)
# "Councillor X, Leader of the Council, said: "..." - a speech verb before an opening quotation mark
SPEECH = r"\b(said|says|added|stated|commented|explained)\b\s*[:,]?\s*[\u201c\"]"
SPEECH_RE = re.compile(SPEECH, re.I)
PRONOUN_SPEECH_RE = re.compile(rf"\b(?:she|he|they)\s+{SPEECH}", re.I)  # "She said: "..."
CLAUSE_END_RE = re.compile(r"[.!?\u201c\u201d\"][^.!?\u201c\u201d\"]*$")  # the last sentence end or quotation mark before a point
OPENS_QUOTE_RE = re.compile(r"^\s*[\u201c\"]")
# an item of a bulleted list: a bullet character anywhere, a dash or star starting a line
BULLET_RE = re.compile(r"\s*[\u2022\u25aa\u25e6]|(?:^|\n)\s*[-*\u2013]\s")
# an attribution by a pronoun, and the capitalised names (a person, a title) a narration gives
PRONOUN_RE = re.compile(r"\s*(she|he|they)\b", re.I)


class Speaker(NamedTuple):
    words: str  # the attribution: "Councillor Erin Hill, Family Support: She said:"; "" when none
    named_in: Paragraph | None = None  # the earlier paragraph that names the speaker, which an answer naming them cites


def quote_speaker(paragraph: Paragraph, sentence: int, earlier: list[Paragraph]) -> Speaker:
    """Who speaks a sentence that stands inside a quotation: empty words when no one.

    A quotation opened after "X said:" earlier in the paragraph is X's until it closes; a
    paragraph that opens with a quotation mark goes on quoting the last speaker named before it
    (`earlier`: the paragraphs before this one, nearest first, as far back as the caller follows a
    quotation: `Weights.quote_run_on`)."""
    start = paragraph.sentences[sentence][0] if sentence < len(paragraph.sentences) else 0
    speaker = _open_attribution(paragraph.text[:start])
    if speaker or not OPENS_QUOTE_RE.match(paragraph.text):
        return _named(speaker, earlier)
    for j, before in enumerate(earlier):
        attribution = next(attributions(before.text), "")
        if attribution:
            named = _named(attribution, earlier[j + 1:])
            return named if named.named_in else Speaker(named.words, before)
        if not OPENS_QUOTE_RE.match(before.text):
            return Speaker("")
    return Speaker("")


def _named(attribution: str, earlier: list[Paragraph]) -> Speaker:
    """An attribution by a pronoun ("She said: "...") with the names of the narration before it
    ("Councillor Erin Hill, cabinet member for ..., acknowledged ..."), whom the pronoun stands for,
    as "Councillor Erin Hill, Family Support: She said: "". A narration that itself opens with a
    pronoun ("She added that the board ...") goes on about the same person, named further back."""
    if not PRONOUN_RE.match(attribution):
        return Speaker(attribution)
    narration = next((p for p in earlier if not OPENS_QUOTE_RE.match(p.text) and not PRONOUN_RE.match(p.text)), None)
    names = NAME_RE.findall(narration.text) if narration else []
    return Speaker(f"{', '.join(names)}: {attribution}", narration) if names else Speaker(attribution)


def speaker_shown(speaker: str) -> str:
    """What an answer writes before a sentence of a quotation whose attribution it does not quote: the
    attribution as the source has it ("Councillor Shabir Pandor, Leader of Kirklees Council, said:"), or
    for "She said:" the first name the narration gives ("Councillor Erin Hill said:"); "" for a list's
    lead-in or a pronoun no narration names. `speaker`: what quote_speaker or list_lead_in gave."""
    found = list(SPEECH_RE.finditer(speaker))
    if not found:
        return ""
    speech = found[-1]
    names, _, pronoun = speaker[:speech.start()].rpartition(": ")
    if not PRONOUN_RE.fullmatch(pronoun.strip()):
        return speaker[:speech.end(1)].strip() + ":"
    person = next(iter(name_candidates(names)), "")  # "In August" is not a name
    return f"{person} {speech.group(1)}:" if person else ""


def list_lead_in(paragraph: Paragraph, sentence: int) -> str:
    """For an item of a bulleted list, the words before the list ("Ofsted outlined a number of
    strengths. These included:"), which say whose the item is; else ""."""
    first_bullet = BULLET_RE.search(paragraph.text)
    start = paragraph.sentences[sentence][0] if sentence < len(paragraph.sentences) else 0
    if not first_bullet or start < first_bullet.start():
        return ""
    return paragraph.text[:first_bullet.start()].strip()


def list_item_lead(paragraph: Paragraph, sentence: int) -> str:
    """What an answer writes before an item of a bulleted list, to say what the items are: the words before
    the list ("Areas highlighted include:"), or the heading of a paragraph that is nothing but the list
    ("What needs to improve?"); "" for a sentence that is no list item."""
    first_bullet = BULLET_RE.search(paragraph.text)
    if not first_bullet or not 0 <= sentence < len(paragraph.sentences) or paragraph.sentences[sentence][0] < first_bullet.start():
        return ""  # no list, the list quoted whole, or a sentence before it
    # the line before the item's own list: a paragraph may hold several lists, each with its lead-in
    before = [line.strip() for line in paragraph.text[:paragraph.sentences[sentence][0]].split("\n")]
    lead_in = next((BULLET_RE.split(line)[0].strip() for line in reversed(before) if line and not BULLET_RE.match(line)), "")
    return lead_in or (f"{paragraph.section.strip()}:" if paragraph.section and not paragraph.section.strip().endswith(("?", ":")) else paragraph.section.strip())


def list_introduced(paragraph: Paragraph, sentence: int, max_chars: int) -> str:
    """The sentence and the bulleted list it introduces, as the paragraph has them ("Ofsted outlined
    a number of strengths. These included: • ..."): a lead-in quoted alone says nothing. "" when
    the sentence introduces no list, or one too long to quote whole."""
    first_item = BULLET_RE.search(paragraph.text)
    if not first_item or first_item.start() == 0 or not 0 <= sentence < len(paragraph.sentences):
        return ""
    start, end = paragraph.sentences[sentence]
    between = paragraph.text[end:first_item.start()]  # at most a short "These included:"
    if end > first_item.start() or len(between.split()) > 3 or len(paragraph.text) - start > max_chars:
        return ""
    return paragraph.text[start:].strip()


def _open_attribution(prefix: str) -> str:
    """The last attribution in `prefix` whose quotation is still open at its end."""
    found = list(SPEECH_RE.finditer(prefix))
    if not found:
        return ""
    last = found[-1]
    rest = prefix[last.end():]
    closed = "\u201d" in rest or rest.count('"') % 2 == 1
    return "" if closed else _clause(prefix, last)


def attributions(text: str):
    """Each "Councillor X, Leader of the Council, said: "": the words before a quotation that name its
    speaker, from the start of their clause to the opening quotation mark."""
    return (_clause(text, match) for match in SPEECH_RE.finditer(text))


def _clause(text: str, speech: re.Match) -> str:
    """The text from the start of the clause holding the speech verb to the end of the match: found
    backwards from the verb, so that a long text costs one pass, not one per position."""
    before = CLAUSE_END_RE.search(text, 0, speech.start())
    return text[before.start() + 1 if before else 0:speech.end()]


def voice_match(text: str, document: Document, intent: Intent, speaker: str = "") -> int:
    """+1 when a sentence speaks in the voice the question asks for, -1 when in the other one.

    Inside a press item or a council page, "the report said" and "inspectors found" carry
    Ofsted's findings, while "Councillor X said" carries the council's reaction: a question about
    what Ofsted found is answered from the first, a question about the council from the second.
    `speaker` is who the quotation holding the sentence belongs to (quote_speaker).
    """
    wants_ofsted = "inspection report" in intent.kinds
    wants_council = any("council" in kind for kind in intent.kinds)
    if document.kind == "inspection report" or wants_ofsted == wants_council:
        return 0
    said = f"{speaker} {text}".strip()
    ofsted, council = bool(OFSTED_VOICE_RE.search(said)), bool(COUNCIL_VOICE_RE.search(said))
    if ofsted == council:
        return 0
    return 1 if ofsted == wants_ofsted else -1
