"""What a document says about itself: title, publisher, kind, place, dates, lead inspector.

Read from the text, so that a report ingested with no flags and no manifest still knows what it
is. An Ofsted report prints its own description on its cover ("Inspection of Halton local
authority children's services", "Inspection dates: 13 to 24 May 2024", "Lead inspector: ...")
and names Ofsted; other documents get what can honestly be read (a council named in the title or
publisher, a date line near the top) and nothing otherwise. A manifest entry or a flag overrides
any of it (ingest/pipeline.py).
"""

from __future__ import annotations

import re
from datetime import date

from ingest.read import Line
from ingest.structure import Structure

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
DAY_MONTH_YEAR_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH})\.?,?\s+(\d{{4}})\b", re.IGNORECASE)
NUMERIC_DATE_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")  # "25/06/2015": day first, as British reports write it
# "Label: value" lines of a report's cover and its "inspection team" list
INSPECTION_DATES_RE = re.compile(r"^(?:inspection dates?|dates? of inspection)\s*:\s*(.+)$", re.IGNORECASE)
LEAD_INSPECTOR_RE = re.compile(r"^lead inspector\s*:\s*(.+)$", re.IGNORECASE)
PUBLISHED_RE = re.compile(r"^(?:report )?published\s*:?\s*(.+)$", re.IGNORECASE)
DATE_LINE_RE = re.compile(rf"^(?:(?:date|published|updated|posted)\s*:?\s*)?(?:[a-z]+day,?\s+)?(\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}\.?,?\s+\d{{4}})\b",
                          re.IGNORECASE)
# The place an Ofsted report is about, as its title names it
TITLE_PLACE_RE = re.compile(r"^inspection of (?:the )?(.+?)(?:'s|\u2019s)?\s+(?:local authority\s+)?children.s services", re.IGNORECASE)
INSPECTION_OF_RE = re.compile(r"^inspection of (?:the )?(.+)$", re.IGNORECASE)  # "Inspection of Bradford Children and Families Trust"
SERVICES_IN_RE = re.compile(r"children.s services in (?:the )?(.+?) (?:are|is|requires?)\b", re.IGNORECASE)
COUNCIL_RE = re.compile(r"\b((?:[A-Z][a-z]+[ -])*[A-Z][a-z]+) (?:Metropolitan )?(?:Borough |District |City |County )?Council\b")
OFSTED_RE = re.compile(r"\bOfsted\b|Office for Standards in Education|Majesty.s Inspector")


def describe(lines: list[Line], structure: Structure) -> dict[str, str]:
    """The fields a document's own text gives; a field it does not give is left out."""
    texts = [" ".join(line.text.split()) for line in lines if line.text.strip()]
    cover = _cover_headings(lines)
    title = structure.title
    place = ""
    # a single-framework report's cover prints the council first, then the title:
    # "Kirklees" / "Inspection of services for children in need of help and protection, ..."
    if len(cover) >= 2 and len(cover[0].split()) <= 6 and cover[1].lower().startswith(("inspection", "review")):
        place, title = cover[0], cover[1]
    found: dict[str, str] = {"title": title} if title else {}
    inspection_dates = _first(INSPECTION_DATES_RE, texts)
    lead = _first(LEAD_INSPECTOR_RE, texts)
    # Ofsted named, or its judgement table printed (a report whose back page, naming Ofsted, is missing), on a
    # document that describes an inspection
    is_ofsted = bool(OFSTED_RE.search("\n".join(texts)) or structure.judgements) and bool(
        inspection_dates or lead or title.lower().startswith("inspection of"))
    if is_ofsted:
        found.update(publisher="Ofsted", kind="inspection report")
    if not place:
        place = _place(title, structure, found.get("publisher", ""))
    if place := canonical_place(place):
        found["place"] = place
    if inspection_dates:
        found["inspection_dates"] = inspection_dates
    if lead:
        found["lead_inspector"] = re.split(r",|\s+\(", lead)[0].strip()
    published = _first(PUBLISHED_RE, texts[:40])
    when = _iso(inspection_dates) if inspection_dates else None
    if when:
        found["date"] = when
        found["date_note"] = f"inspection {inspection_dates}" + (f"; published {published}" if published else "")
    elif published and _iso(published):
        found["date"], found["date_note"] = _iso(published), f"published {published}"
    else:
        line = next((m.group(1) for t in texts[:15] if (m := DATE_LINE_RE.match(t))), None)
        if line and _iso(line):
            found["date"], found["date_note"] = _iso(line), line
    return found


def canonical_place(name: str) -> str:
    """A council's name as its reports share it, so that one council's reports of every year are one
    place: "St. Helens Metropolitan Borough Council" and "St Helens" are both "St Helens", "the London
    Borough of Hackney" is "Hackney". Only the designations of English local government are dropped."""
    name = " ".join(name.split())
    name = re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)
    name = re.sub(r"^(?:London|Royal) Borough of\s+", "", name)
    name = re.sub(r"\s+(?:Metropolitan\s+)?(?:Borough\s+|District\s+|County\s+|City\s+)?Council$", "", name)
    return re.sub(r"\b(St|Mt)\.(?=\s)", r"\1", name).strip()


def _cover_headings(lines: list[Line]) -> list[str]:
    """The headings a document opens with, before its first body text."""
    headings = []
    for line in lines:
        if not line.text.strip():
            continue
        if line.hint not in ("heading", "subheading"):
            break
        headings.append(" ".join(line.text.split()))
    return headings


def _first(pattern: re.Pattern, texts: list[str]) -> str:
    return next((m.group(1).strip() for t in texts if (m := pattern.match(t))), "")


def _place(title: str, structure: Structure, publisher: str) -> str:
    if match := TITLE_PLACE_RE.match(title) or publisher == "Ofsted" and INSPECTION_OF_RE.match(title):
        return match.group(1).strip()
    for area, _ in structure.judgements:
        if match := SERVICES_IN_RE.search(area):
            return match.group(1).strip()
    for text in (title, publisher):
        if match := COUNCIL_RE.search(text):
            return match.group(1).strip()
    return ""


def _iso(text: str) -> str | None:
    """The last full date in a phrase ("8 to 19 July 2024" -> "2024-07-19"; "18 Feb 2014 – 12 March
    2014" -> "2014-03-12"; "1/06/2015 – 25/06/2015" -> "2015-06-25"); a day with no month of its own takes
    the next one's."""
    found = DAY_MONTH_YEAR_RE.findall(text)
    if found:
        day, month, year = found[-1]
        number = month_number(month)
    elif numeric := NUMERIC_DATE_RE.findall(text):
        day, number, year = map(int, numeric[-1])
    else:
        return None
    try:
        return date(int(year), number, int(day)).isoformat() if number else None
    except ValueError:
        return None


def month_number(name: str) -> int | None:
    """1 to 12 for a month's name or its abbreviation ("Sept" -> 9); None for anything else."""
    return next((i for i, month in enumerate(MONTHS, start=1) if month.startswith(name.lower()[:3])), None)


def written_date_to_iso(text: str) -> str | None:
    """The ISO form of a date written out ("May 2024" -> "2024-05", "19 July 2024" -> "2024-07-19")."""
    if full := _iso(text):
        return full
    match = re.fullmatch(r"\s*([A-Za-z]+)\.?,?\s+(\d{4})\s*", text)
    month = month_number(match.group(1)) if match else None
    return f"{match.group(2)}-{month:02d}" if month else None
