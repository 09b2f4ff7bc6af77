"""Check a passage's citations: sentence by sentence, does each cited paragraph exist, and does it
say what the sentence says? For anyone checking a briefing note against the sources.

Citations are read in the forms people write: "para 55", "paras 55 and 56", "paragraph 4.3",
"(Ofsted 2024, 55)", "Ofsted 2024, para 55", and "[3]" with a reference list at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.errors import AssistantError
from assistant.records import Document, Paragraph
from ingest.index import tokenize

# A sentence is supported when one sentence of the paragraph means nearly the same (a quote, or a
# close paraphrase: on the bundled corpus these score 0.75-1.0 with all-MiniLM-L6-v2), or means
# something close and shares most of its subject words. A claim about something else that the
# paragraph merely touches scores 0.2-0.45 on its best sentence.
SAME_MEANING = 0.7
CLOSE_MEANING = 0.5
SHARED_WORDS = 0.5

LABEL = r"\d+(?:\.\d+)*"
LABELS = rf"{LABEL}(?:\s*(?:,|and|&|to|-|\u2013)\s*{LABEL})*"
WHO = r"(?P<who>Ofsted|[A-Z][\w'\u2019]*(?:\s+[A-Z][\w'\u2019]*)*)"
PARA_RE = re.compile(
    rf"(?:{WHO}\s*,?\s*(?P<year>(?:19|20)\d\d)\s*,?\s*)?(?:paras?\.?|paragraphs?|\u00b6)\s*(?P<labels>{LABELS})\.?", re.I)
SHORT_RE = re.compile(rf"\(\s*{WHO}\s*,?\s*(?P<year>(?:19|20)\d\d)\s*,\s*(?P<labels>{LABELS})\s*\)")
MARKER_RE = re.compile(r"\[(\d+)\]")
REFERENCE_LINE_RE = re.compile(r"^\s*\[?(\d+)[\].)]\s+(.+)$")
# similar meaning is not the same claim when one says "not": embeddings barely see negation
NEGATION_RE = re.compile(r"\b(not|never|no|none|nor|cannot|without)\b|n[\u2019']t\b", re.I)

# Nor is it the same claim when it says "most" where the paragraph says "a small number", "12" where it says "10",
# "inadequate" where it says "good", or "2019" where it says "2024": embeddings barely see these either. Each
# quantity word is read as the share it claims; the longest phrase is read first.
QUANTITIES = (
    ("a few", r"an? (?:small|tiny|limited|very small)(?: but (?:significant|important|notable))? "
              r"(?:number|minority|proportion|group)|a minority|a handful|a few|few|small numbers?"),
    ("most", r"the (?:vast |large )?majority|most|nearly all|almost all|the bulk"),
    ("all", r"all|every|each and every|without exception"),
    ("many", r"many|a (?:large|high|significant|considerable) (?:number|proportion)|lots of|numerous|widespread"),
    ("some", r"some|several|a number of"),
    ("none", r"none|no one|nobody|not any"),
)
QUANTITY_RE = re.compile(r"\b(?:" + "|".join(f"(?P<q{i}>{pattern})" for i, (_, pattern) in enumerate(QUANTITIES)) + r")\b", re.I)
GRADE_RE = re.compile(r"\b(outstanding|good|requires? improvement(?: to be good)?|inadequate)\b", re.I)
YEAR_RE = re.compile(r"\b(?:19|20)\d\d\b")
NUMBER_WORDS = {w: str(n) for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty".split())}
NUMBER_RE = re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:%|per ?cent)?|\b(" + "|".join(NUMBER_WORDS) + r")\b", re.I)


@dataclass(frozen=True)
class CitationCheck:
    reference: str  # the citation as written
    document: Document | None
    paragraph: Paragraph | None
    exists: bool
    supports: bool
    support: float  # best similarity of the sentence to a sentence of the paragraph, 0..1
    reason: str
    better: Paragraph | None = None  # when this paragraph does not support the sentence: one that does, if any


@dataclass(frozen=True)
class SentenceCheck:
    sentence: str
    citations: tuple[CitationCheck, ...]


def check_passage(text: str, index, embedder, default_document: str | None = None) -> list[SentenceCheck]:
    """Each sentence of the passage with a check of every paragraph it cites."""
    body, references = _split_references(text or "")
    if not body.strip():
        raise AssistantError("Paste a passage to check: it is empty.")
    documents = list(index.documents().values())
    results = []
    for sentence in _sentences(body):
        found = _citations(sentence, references)
        claim = _claim(sentence)
        checks = [_check(written, who, year, label, claim, documents, index, embedder, default_document)
                  for written, who, year, labels in found for label in labels]
        results.append(SentenceCheck(sentence, tuple(checks)))
    return results


def _split_references(text: str) -> tuple[str, dict[int, str]]:
    """The passage, and its reference list ("[3] Ofsted 2024, paragraph 55") if it ends with one."""
    lines = text.rstrip().splitlines()
    references: dict[int, str] = {}
    while lines:
        match = REFERENCE_LINE_RE.match(lines[-1])
        if match and (PARA_RE.search(match.group(2)) or SHORT_RE.search(f"({match.group(2)})")):
            references[int(match.group(1))] = match.group(2)
            lines.pop()
        elif not lines[-1].strip() or re.fullmatch(r"\s*#*\s*(references|sources)\s*:?\s*", lines[-1], re.I):
            lines.pop()
        else:
            break
    return "\n".join(lines), references


def _sentences(text: str) -> list[str]:
    import pysbd

    # "para. 55" and "(Ofsted 2024, 55)." must not end a sentence early: pysbd keeps them whole
    segmenter = pysbd.Segmenter(language="en", clean=False)
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        for sentence in (s.strip() for s in segmenter.segment(block)):
            if sentences and sentence and not re.search(r"\w", _claim(sentence)):
                sentences[-1] += " " + sentence  # "... accommodation. (para 55)" cites the sentence before it
            elif sentence:
                sentences.append(sentence)
    return sentences


def _citations(sentence: str, references: dict[int, str]) -> list[tuple[str, str, int | None, list[str]]]:
    """(as written, who, year, labels) for each citation in the sentence."""
    found = []
    for regex in (SHORT_RE, PARA_RE):
        for match in regex.finditer(sentence):
            if regex is PARA_RE and any(match.start() >= s and match.end() <= e for s, e, *_ in found):
                continue  # already read as "(Ofsted 2024, para 55)"
            year = int(match.group("year")) if match.group("year") else None
            who = match.group("who") if year else None
            found.append((match.start(), match.end(), match.group(0).strip(" ()."), who, year, _labels(match.group("labels"))))
    for match in MARKER_RE.finditer(sentence):
        entry = references.get(int(match.group(1)))
        if entry is None:
            found.append((match.start(), match.end(), match.group(0), None, None, [None]))
            continue
        inner = _citations(entry, {}) or _citations(f"({entry})", {})
        for _, who, year, labels in inner:
            found.append((match.start(), match.end(), f"{match.group(0)} {entry}", who, year, labels))
    found.sort(key=lambda f: f[0])
    return [(written, who, year, labels) for _, _, written, who, year, labels in found]


def _labels(text: str) -> list[str]:
    """'55 and 56' -> ['55', '56']; '4.1.' -> ['4.1']; '55-57' -> ['55', '56', '57']."""
    span = re.fullmatch(r"(\d+)\s*(?:to|-|\u2013)\s*(\d+)", text.strip())
    if span and int(span.group(1)) < int(span.group(2)) <= int(span.group(1)) + 20:
        return [str(n) for n in range(int(span.group(1)), int(span.group(2)) + 1)]
    return [label.rstrip(".") for label in re.findall(LABEL, text)]


def _claim(sentence: str) -> str:
    """The sentence without its citations, which would otherwise count as words it shares."""
    claim = SHORT_RE.sub("", sentence)
    claim = PARA_RE.sub("", claim)
    claim = MARKER_RE.sub("", claim)
    return re.sub(r"\(\s*\)|\s+(?=[.,;])", "", claim).strip()


def _matches(document: Document, who: str | None, year: int | None) -> bool:
    """Does the document fit the citation's "Ofsted 2024", "Kirklees Council 2026", "Dewsbury Reporter 2016"?"""
    if year and document.year != year:
        return False
    words = set(re.findall(r"[a-z]{3,}", (who or "").lower()))
    if not words:
        return True
    if "ofsted" in words:
        return document.kind == "inspection report" or "ofsted" in document.publisher.lower() and "council" not in document.kind
    named = set(re.findall(r"[a-z]{3,}", f"{document.publisher} {document.title}".lower()))
    return bool(words & named) or ("council" in words and "council" in document.kind) or (
        bool(words & {"press", "news", "newspaper"}) and document.kind == "press")


def _quantities(text: str) -> dict[str, str]:
    """{share: words} for each quantity the text claims: "a small but significant number" -> {"a few": ...}."""
    found = {}
    for match in QUANTITY_RE.finditer(text):
        share = next(QUANTITIES[i][0] for i in range(len(QUANTITIES)) if match.group(f"q{i}"))
        found.setdefault(share, match.group(0))
    return found


def _numbers(text: str) -> set[str]:
    text = YEAR_RE.sub(" ", text)
    return {m.group(1) or NUMBER_WORDS[m.group(2).lower()] for m in NUMBER_RE.finditer(text)}


def _grades(text: str) -> set[str]:
    return {re.sub(r"^requires? improvement.*", "requires improvement to be good", g.lower())
            for g in GRADE_RE.findall(text)}


def facts_differ(claim: str, paragraph: str, document_year: int | None = None, closest: str = "") -> str:
    """How the claim's quantities, numbers, grades or years differ from the paragraph's ("" when they do not);
    quantities are read from `closest`, the paragraph's sentence nearest the claim, when it has any."""
    said, claimed = _quantities(closest) or _quantities(paragraph), _quantities(claim)
    for share, words in claimed.items():
        if share in said:
            continue
        if said:
            return f"the sentence says \u201c{words}\u201d where the paragraph says \u201c{next(iter(said.values()))}\u201d"
        if share in {"all", "most", "many", "none"}:
            return f"the sentence says \u201c{words}\u201d; the paragraph does not say how many"
    numbers = _numbers(claim) - _numbers(paragraph)
    if numbers:
        given = sorted(_numbers(paragraph))
        where = f"; the paragraph gives {', '.join(given)}" if given else "; the paragraph gives no such number"
        return f"the sentence says {', '.join(sorted(numbers))}{where}"
    grades, graded = _grades(claim), _grades(paragraph)
    if grades - graded and (graded or grades & {"outstanding", "inadequate", "requires improvement to be good"}):
        where = f" where the paragraph says \u201c{', '.join(sorted(graded))}\u201d" if graded else "; the paragraph gives no such grade"
        return f"the sentence says \u201c{', '.join(sorted(grades - graded))}\u201d{where}"
    years = set(YEAR_RE.findall(claim)) - set(YEAR_RE.findall(paragraph)) - {str(document_year)}
    if years:
        given = sorted(set(YEAR_RE.findall(paragraph)) | ({str(document_year)} if document_year else set()))
        return f"the sentence says {', '.join(sorted(years))}; the paragraph is about {', '.join(given) or 'another time'}"
    return ""


def supporting_paragraph(claim: str, documents: list[Document], index, embedder, exclude=None,
                         candidates: int = 3) -> tuple[Document, Paragraph] | None:
    """A paragraph of these documents that does support the claim (for a citation to the wrong paragraph)."""
    if not claim or not documents:
        return None
    claim_vector = embedder.embed_queries([claim])[0]
    scored = []
    for document in documents:
        paragraphs = index.paragraphs(document.id)
        records = {index.record_id(p): p for p in paragraphs}
        for record, vectors in index.sentence_vectors([r for r in records if r]).items():
            if len(vectors) and records[record].key != getattr(exclude, "key", None):
                scored.append((float(np.max(np.asarray(vectors) @ claim_vector)), document, records[record]))
    for _, document, paragraph in sorted(scored, key=lambda x: -x[0])[:candidates]:
        _, supports, closest = judge(claim, paragraph, index, embedder)
        if supports and not facts_differ(claim, paragraph.text, document.year, closest):
            return document, paragraph
    return None


def _check(written, who, year, label, claim, documents, index, embedder, default_document) -> CitationCheck:
    def verdict(document=None, paragraph=None, exists=False, supports=False, support=0.0, reason=""):
        better = None
        if not supports and claim:
            # a true sentence cited to the wrong paragraph is told which one does support it
            found = supporting_paragraph(claim, [document] if document else scope, index, embedder, exclude=paragraph)
            if found:
                better = found[1]
                reason += f" Paragraph {found[1].label} of {found[0].describe()} does support it."
        return CitationCheck(written, document, paragraph, exists, supports, support, reason.strip(), better)

    scope: list[Document] = []

    if label is None and who is None:
        return verdict(reason=f"{written} has no entry in the reference list.")
    if who or year:
        scope = [d for d in documents if _matches(d, who, year)]
        if not scope:
            return verdict(reason=f"No source matches \u201c{written}\u201d.")
    elif default_document:
        scope = [d for d in documents if d.id == default_document]
    else:
        scope = documents
    having = [(d, p) for d in scope for p in index.paragraphs(d.id) if p.label.lower() == label.lower()]
    if not having:
        where = scope[0].describe() if len(scope) == 1 else "any of the sources"
        return verdict(scope[0] if len(scope) == 1 else None,
                       reason=f"Paragraph {label} does not exist in {where}.")
    if len(having) > 1:
        names = "; ".join(d.describe() for d, _ in having)
        return verdict(reason=f"Paragraph {label} exists in several sources ({names}): say which report.")
    document, paragraph = having[0]
    support, supports, closest = judge(claim, paragraph, index, embedder)
    reason = "Supported: the paragraph says this." if supports else "Not supported: the paragraph does not say this."
    if not supports and support >= CLOSE_MEANING and bool(NEGATION_RE.search(claim)) != bool(NEGATION_RE.search(closest)):
        reason = f"Not supported: the paragraph's closest sentence says otherwise: \u201c{closest}\u201d"
    differs = facts_differ(claim, paragraph.text, document.year, closest) if support >= CLOSE_MEANING else ""
    if differs:
        supports, reason = False, f"Not supported: {differs}."
    return verdict(document, paragraph, True, supports, round(support, 3), reason)


def judge(claim: str, paragraph: Paragraph, index, embedder) -> tuple[float, bool, str]:
    """(similarity, supported, the paragraph's closest sentence) for a claim citing the paragraph.

    Used for pasted passages here and for a language model's sentences in assistant/generate.py.
    """
    support, shared, closest = _support(claim, paragraph, index, embedder)
    supports = support >= SAME_MEANING or (support >= CLOSE_MEANING and shared >= SHARED_WORDS)
    if supports and bool(NEGATION_RE.search(claim)) != bool(NEGATION_RE.search(closest)):
        supports = False  # similar words, opposite claim
    return support, supports, closest


def _support(claim: str, paragraph: Paragraph, index, embedder) -> tuple[float, float, str]:
    """Best cosine of the claim to a sentence of the paragraph, the share of its words the
    paragraph uses, and that closest sentence."""
    if not claim:
        return 0.0, 0.0, ""
    record = index.record_id(paragraph)
    vectors = index.sentence_vectors([record]).get(record) if record else None
    if vectors is None or not len(vectors):
        vectors = embedder.embed_queries(paragraph.sentence_texts())
    claim_vector = embedder.embed_queries([claim])[0]
    similarities = np.asarray(vectors) @ claim_vector
    best = int(np.argmax(similarities))
    sentences = paragraph.sentence_texts()
    closest = sentences[best] if best < len(sentences) else paragraph.text
    claim_terms, paragraph_terms = set(tokenize([claim])[0]), set(tokenize([paragraph.text])[0])
    shared = len(claim_terms & paragraph_terms) / len(claim_terms) if claim_terms else 0.0
    return max(0.0, min(1.0, float(similarities[best]))), shared, closest
