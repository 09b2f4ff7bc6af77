"""Paragraph numbering: lines -> blocks -> labelled `Paragraph`s, as docs/design.md's rules say.

- A paragraph the source numbers keeps that number exactly ("55", "4.3"; "4.1." reads "4.1").
- In a numbered document, text before the first number gets a findable section label
  ("details", "judgements", "summary 1", or the heading's words).
- A document that prints no numbers gets numbers assigned in reading order (marked assigned).
- Headings become section names, never paragraphs; boilerplate is dropped; a paragraph split by
  a page break is joined; bullets under a numbered paragraph stay inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.records import Paragraph
from ingest.read import Line

LIST_MARKER = r"[-\u2022\u2013\u2014*\u25cf\u25aa]"
NUMBER_RE = re.compile(rf"^(?:{LIST_MARKER}\s+)?(\d{{1,3}}(?:\.\d{{1,3}})*)(\.?)\s+(\S.*)$")
ITEM_RE = re.compile(rf"^{LIST_MARKER}\s+\S")
TERMINAL = tuple(".!?:;,\"\u201d\u2019)")
POSTCODE_RE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
BOILERPLATE_LINE_RES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^sign up to our .*newsletter",
        r"subscribe to our .*newsletter",
        r"^tags:[\s,]*$",
        r"^by the newsroom$",
        r"^by [A-Z][\w'-]+( [A-Z][\w'-]+){0,2}$",
        r"^(updated )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday),? \d{1,2}(st|nd|rd|th)? \w+ \d{4}",
        r"^(not applicable|n/?a)\.?$",
        r"^\u00a9|^crown copyright",
        r"^(t|e|w|tel|email|web|textphone):\s",
        r"^the office for standards in education, children.s services and skills \(ofsted\) regulates",
        r"in a different format, such as large print or braille",
        r"under the terms of the open government licence",
        r"^this report is available at",
        # web page furniture: sharing, following, cookies, breadcrumbs, picture credits
        r"^share (this|on|via)\b|^(share|tweet|print|email|copy link|share this page)$",
        r"^follow .{1,60} on (twitter|x|facebook|instagram|linkedin|youtube|tiktok)\b",
        r"^(published|updated|last updated|posted)\s*:?\s*(on\s+)?\d{1,2}(st|nd|rd|th)? \w+ \d{4}([ ,]+\d{1,2}[:.]\d{2}\s*(am|pm)?)?\.?$",
        r"^(this (site|website) uses cookies|we use cookies|accept (all )?cookies|reject (all )?cookies|cookie (settings|policy|preferences))",
        r"^(home|news)( ?[>\u203a/|] ?[^>\u203a/|]+)+$",
        r"^(image (source|caption)|getty images|pa media)\b",
        r"^(related (topics|stories|articles|internet links)|more on this story|top stories|skip to (main )?content)$",
        # the back page of an Ofsted report
        r"^any complaints about the inspection",
        r"^you may (copy all or parts of this document|reuse this information)",
        r"^to receive regular email alerts",
        r"^interested in our work\?",
    )
]


@dataclass
class _Block:
    lines: list[Line]

    @property
    def first(self) -> str:
        return self.lines[0].text

    @property
    def single(self) -> bool:
        return len(self.lines) == 1


@dataclass
class _Draft:
    lines: list[str]
    section: str
    page: int | None
    label: str = ""  # printed number, or "" until assigned
    table: list[tuple[str, str]] = field(default_factory=list)
    kind: str = "text"  # text, details, judgements
    end_page: int | None = None  # the page its last line is on

    def __post_init__(self):
        self.end_page = self.end_page or self.page

    @property
    def last(self) -> str:
        return self.lines[-1]

    def ends_open(self) -> bool:
        """True when the last line stops mid-sentence, as at a page break."""
        return not is_item(self.last) and not self.last.rstrip().endswith(TERMINAL)


@dataclass(frozen=True)
class Structure:
    paragraphs: list[Paragraph]
    title: str
    judgements: tuple[tuple[str, str], ...]


def is_item(text: str) -> bool:
    return bool(ITEM_RE.match(text.strip()))


def is_boilerplate(block: _Block) -> bool:
    texts = [line.text.strip() for line in block.lines]
    if all(any(rx.search(text) for rx in BOILERPLATE_LINE_RES) for text in texts):
        return True
    # a postal address: short lines without sentence punctuation, one a postcode
    return (
        len(texts) >= 2
        and any(POSTCODE_RE.search(text) for text in texts)
        and all(len(text.split()) <= 5 and not text.endswith(TERMINAL) for text in texts)
    )


def split_blocks(lines: list[Line], starts_paragraph) -> list[_Block]:
    """Blank lines separate blocks; so do headings, the edges of a table, and a line that starts a
    numbered paragraph (outside a table: a row "2.1 Adoption performance" is not paragraph 2.1)."""
    blocks: list[_Block] = []
    current: list[Line] = []
    for line in lines:
        text = line.text.strip()
        if not text:
            if current:
                blocks.append(_Block(current))
            current = []
            continue
        line = Line(text, line.page, line.hint)
        if current and (line.hint != "row" and starts_paragraph(text) or is_heading_hint(line.hint)
                        or is_heading_hint(current[-1].hint) or (line.hint == "row") != (current[-1].hint == "row")):
            blocks.append(_Block(current))
            current = []
        current.append(line)
    if current:
        blocks.append(_Block(current))
    return blocks


def is_heading_hint(hint: str) -> bool:
    return hint in ("heading", "subheading")


def numbering_scheme(lines: list[Line]) -> str:
    """'dotted' (1.1, 4.3: single numbers are sections), 'plain' (1., 2., ...) or 'none'. Table rows
    and headings ("2.1 Adoption performance" in a judgement table) do not count."""
    dotted = plain = 0
    for line in lines:
        if line.hint == "row" or is_heading_hint(line.hint):
            continue
        match = NUMBER_RE.match(line.text.strip())
        if match and not is_item(line.text.strip()) or match and "." in match.group(1):
            if "." in match.group(1):
                dotted += 1
            elif match.group(2):
                plain += 1
    if dotted >= 3 and dotted >= plain:
        return "dotted"
    return "plain" if plain >= 3 else "none"


def looks_like_heading(text: str, *, max_words: int = 12) -> bool:
    text = text.strip()
    return (
        0 < len(text.split()) <= max_words
        and not is_item(text)
        and not text.endswith(TERMINAL[:-1])  # a heading may end with ")": "... exploitation (CSE)"
        and (text[0].isupper() or text[0].isdigit())
    )


def parse(lines: list[Line]) -> Structure:
    """Turn a document's lines into its labelled paragraphs, title and judgement table."""
    scheme = numbering_scheme(lines)

    def number_of(text: str) -> str | None:
        """The paragraph number a line starts with, under this document's scheme."""
        match = NUMBER_RE.match(text)
        if not match or scheme == "none":
            return None
        label = match.group(1)
        if (scheme == "dotted") != ("." in label) or (scheme == "plain" and not match.group(2)):
            return None
        return label

    def section_heading(block: _Block) -> str | None:
        """The heading a numbered-but-heading line stands for ("6. Information required", "7.1 Council Plan")."""
        match = NUMBER_RE.match(block.first)
        if not match or not block.single or is_item(block.first) and "." not in match.group(1) or block.lines[0].hint == "row":
            return None
        label, rest = match.group(1), match.group(3).strip()
        if scheme == "dotted" and "." not in label:
            return rest
        if number_of(block.first) and looks_like_heading(rest, max_words=10):
            return rest
        return None

    starts_block = (lambda t: NUMBER_RE.match(t) is not None) if scheme != "none" else (lambda t: False)
    blocks = []
    for block in split_blocks(lines, starts_block):
        # "8. Risk ..." followed on the next line by its text: the heading and the text are two blocks
        if not block.single and section_heading(_Block(block.lines[:1])) is not None:
            blocks += [_Block(block.lines[:1]), _Block(block.lines[1:])]
        else:
            blocks.append(block)
    blocks = [b for b in blocks if not is_boilerplate(b)]
    title = ""
    if blocks and blocks[0].single and looks_like_heading(blocks[0].first, max_words=25):
        title = re.sub(r"^report title:\s*", "", blocks.pop(0).first, flags=re.IGNORECASE)

    drafts: list[_Draft] = []
    section = ""
    subsection = ""
    numbered_started = False
    list_mode = False
    section_from_number = False
    overall_stated: tuple[str, str] | None = None
    last_number = 0  # the last printed paragraph number, in a plainly numbered document
    section_is_larger = False  # the section's heading was printed larger than the body (its sub-headings are not)
    judgements: tuple[tuple[str, str], ...] = ()

    def current_section() -> str:
        return f"{section}: {subsection}" if section and subsection else section or subsection

    for i, block in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        next_is_numbered = (nxt is not None and nxt.lines[0].hint != "row" and number_of(nxt.first) is not None
                            and section_heading(nxt) is None)
        current = drafts[-1] if drafts and drafts[-1].kind == "text" else None
        texts = [line.text for line in block.lines]
        page = block.lines[0].page

        # a numbered line followed by text that begins in lower case is a paragraph's first line, not a heading
        heading = section_heading(block) if scheme != "none" and not (nxt and nxt.first[:1].islower()) else None
        if block.lines[0].hint == "subheading" and section and section_is_larger:
            subsection = block.first.rstrip(".")  # printed at body size, under a larger heading: a sub-heading
            drafts.append(_Draft([], "", None, kind="break"))
            list_mode = False
            continue
        if not numbered_started and (overall := OVERALL_RE.match(block.first)):
            overall_stated = ("Overall effectiveness", grade_name(overall.group(1)))  # a cover's sentence, not a table row
        if heading is not None or is_heading_hint(block.lines[0].hint):
            section, subsection = heading if heading is not None else block.first, ""
            section_from_number = heading is not None
            section_is_larger = block.lines[0].hint == "heading"
            drafts.append(_Draft([], "", None, kind="break"))
            list_mode = False
            continue

        label = number_of(block.first) if block.lines[0].hint != "row" else None
        if (label is not None and scheme == "plain" and current is not None and current.lines
                and current.ends_open() and int(label) != last_number + 1):
            # "... personal advisers at the age of" / "16. This affords them ...": a wrapped line that
            # begins with a number out of sequence, after a paragraph cut mid-sentence, continues it
            label = None
            current.lines[-1] = f"{current.lines[-1].rstrip()} {texts[0]}"
            current.lines.extend(texts[1:])
            continue
        if label is not None:
            numbered_started = True
            last_number = int(label) if scheme == "plain" else last_number
            rest = NUMBER_RE.match(block.first).group(3)
            drafts.append(_Draft([rest, *texts[1:]], current_section(), page, label=label))
            list_mode = rest.rstrip().endswith(":") or any(is_item(t) for t in texts[1:])
            continue

        # a table: rows the format marks, or most lines holding tab-separated cells
        if block.lines[0].hint == "row" or sum("\t" in t for t in texts) * 2 >= len(texts) and any("\t" in t for t in texts):
            rows = [tuple(cell.strip() for cell in t.split("\t") if cell.strip()) for t in texts]
            graded = judgement_rows(rows)
            if graded and not judgements:
                judgements = tuple(graded)
                lines_out = [" ".join(r) if len(r) != 2 else ": ".join(r) for r in rows if r]
                drafts.append(_Draft(lines_out, "judgements", page, kind="judgements", table=list(judgements)))
            else:
                lines_out = [" ".join(r) if len(r) != 2 or r[0].endswith(":") else ": ".join(r) for r in rows if r]
                _add_details(drafts, lines_out, page)
            continue

        # an unnumbered web page ends its standfirst without a full stop: there, only a lowercase
        # start marks text cut by a page break
        if current is not None and current.lines and (block.first[0].islower() or scheme != "none" and current.ends_open()):
            # a paragraph split by a page break: join the halves
            current.lines[-1] = f"{current.lines[-1].rstrip()} {texts[0]}"
            current.lines.extend(texts[1:])
            current.end_page = page or current.end_page
            continue
        if (current is not None and current.label and page and current.end_page and page > current.end_page
                and not is_item(block.first)):
            # a numbered paragraph broken at a sentence's end by a page break: where every paragraph is
            # numbered, unnumbered text opening the next page, with no heading between, is its rest
            current.lines[-1] = f"{current.lines[-1].rstrip()} {texts[0]}"
            current.lines.extend(texts[1:])
            current.end_page = page
            continue

        if scheme != "none" and not numbered_started and block.single and re.match(r"^[A-Z][^:]{1,60}:\s+\S", block.first) and len(block.first.split()) <= 15:
            _add_details(drafts, texts, page)
            continue

        if block.single and not is_item(block.first) and (
            looks_like_heading(block.first)
            or scheme != "none" and next_is_numbered and len(block.first.split()) <= 30
            or block.first.endswith("?") and len(block.first.split()) <= 8 and nxt is not None and is_item(nxt.first)
        ):
            # under a numbered section ("2. ..."), an unnumbered heading is a sub-heading
            if section_from_number:
                subsection = block.first.rstrip(".")
            else:
                section, subsection = block.first.rstrip("."), ""
            drafts.append(_Draft([], "", None, kind="break"))
            list_mode = False
            continue

        if current is not None and (is_item(block.first) and (list_mode or current.last.endswith(":")) or list_mode and scheme != "none"):
            current.lines.extend(texts)
            list_mode = True
            continue

        sect = current_section()
        if not sect and scheme != "none":
            # unnumbered text in a numbered document, under no heading: named by where it stands
            last = next((d.label for d in reversed(drafts) if d.label), "")
            sect = f"after {last}" if numbered_started and last else "summary"
        drafts.append(_Draft(texts, sect, page))
        list_mode = is_item(texts[-1]) or texts[-1].endswith(":")

    if overall_stated and judgements and not any(area == overall_stated[0] for area, _ in judgements):
        judgements = (overall_stated, *judgements)
    paragraphs = _label(drafts, assigned=scheme == "none")
    return Structure(paragraphs, title, judgements)


GRADE = r"outstanding|good|requires? improvement(?: to be good)?|inadequate"
GRADE_RE = re.compile(rf"^({GRADE})$", re.IGNORECASE)
# A judgement stated in words on a cover, as the single inspection framework printed its overall one:
# "The overall judgement is that children's services require improvement", "Children's services in
# Kirklees are inadequate".
OVERALL_RE = re.compile(rf"^(?:the overall judgement is|children.s services in .+?)\b.*?\b({GRADE})\b", re.IGNORECASE)


def grade_name(grade: str) -> str:
    """A grade as a judgement table prints it: 'Requires improvement to be good', 'Good'."""
    grade = " ".join(grade.split()).lower()
    grade = re.sub(r"^require improvement", "requires improvement", grade)
    return grade[:1].upper() + grade[1:]


def judgement_rows(rows: list[tuple[str, ...]]) -> list[tuple[str, str]]:
    """(area, grade) for each row of a table that grades something: the last cell a grade, or one
    cell stating the overall judgement. An area's own number ("2.1 Adoption performance") is left out."""
    graded = []
    for cells in rows:
        if len(cells) >= 2 and GRADE_RE.match(" ".join(cells[-1].split())):
            area = re.sub(r"^\d+(\.\d+)*\.?\s+", "", " ".join(cells[:-1]))
            graded.append((area, grade_name(cells[-1])))
        elif len(cells) == 1 and (overall := OVERALL_RE.match(cells[0])):
            graded.append(("Overall effectiveness", grade_name(overall.group(1))))
    return graded


def _add_details(drafts: list[_Draft], lines_out: list[str], page: int | None) -> None:
    """Cover-sheet facts (dates, inspector, meeting) gather in one 'details' paragraph."""
    for draft in drafts:
        if draft.kind == "details":
            draft.lines.extend(lines_out)
            return
    drafts.append(_Draft(list(lines_out), "details", page, kind="details"))


def _label(drafts: list[_Draft], *, assigned: bool) -> list[Paragraph]:
    drafts = [d for d in drafts if d.kind != "break" and d.lines]
    by_section: dict[str, int] = {}
    for d in drafts:
        if not d.label and not assigned:
            by_section[d.section or d.kind] = by_section.get(d.section or d.kind, 0) + 1
    seen: dict[str, int] = {}
    paragraphs = []
    counter = 0
    for order, d in enumerate(drafts):
        is_assigned = False
        if d.label:
            label = d.label
        elif assigned:
            counter += 1
            label, is_assigned = str(counter), True
        else:
            name = d.section or d.kind
            name = {"details": "details", "judgements": "judgements"}.get(d.kind, name)
            seen[name] = seen.get(name, 0) + 1
            label = f"{name} {seen[name]}" if by_section.get(d.section or d.kind, 1) > 1 else name
        text = "\n".join(line.strip() for line in d.lines)
        section = d.section if d.kind == "text" else d.kind
        paragraphs.append(
            Paragraph(doc_id="", label=label, text=text, section=section, page=d.page, order=order,
                      assigned=is_assigned, sentences=sentence_spans(text))
        )
    return paragraphs


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Sentence boundaries, found once at ingest: each line is segmented, list markers left out."""
    spans = []
    offset = 0
    for line in text.split("\n"):
        marker = re.match(rf"^{LIST_MARKER}\s+", line)
        start = marker.end() if marker else 0
        body = line[start:]
        for span in _segmenter().segment(body) if body.strip() else []:
            a = offset + start + span.start
            b = offset + start + span.end
            while b > a and text[b - 1].isspace():
                b -= 1
            if b > a:
                spans.append((a, b))
        offset += len(line) + 1
    return tuple(spans)
