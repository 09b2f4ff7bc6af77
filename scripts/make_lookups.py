"""The evaluation set's generated lookups, its split, and its checker.

    python scripts/make_lookups.py INSPECTIONS_CSV --reports DIR            # write the g-* rows of eval/questions.jsonl
    python scripts/make_lookups.py --verify eval/questions.jsonl --reports DIR
    python scripts/make_lookups.py --fill-reports INSPECTIONS_CSV --reports DIR   # council, place, url, date of eval/reports.csv

Generating: for each report listed in eval/reports.csv, the row of INSPECTIONS_CSV (Ofsted's history, as
scraped: mostly, not always, right) gives the lead inspector, the inspection dates and each judgement's grade,
and each becomes a question ("g-barnet-2024-lead", "-dates", "-overall", "-leaders", "-help", "-care",
"-leavers") whose gold is the line of the report that says it, as the project reads the report (`python -m
assistant paragraphs FILE --json`): "Lead inspector: Naintara Khosla" in the "details" paragraph, "The
experiences and progress of children in care: Outstanding" in the "judgements" paragraph. A row whose CSV value
the report does not print (a wrong or missing value in the CSV, a judgement the report's format has not) is left
out and listed. The hand-written rows of the file (any id not starting "g-") are kept as they are, and the
splits are set (below), so the command can be run again at any time.

The split: a row that has one keeps it (drawing again over more rows would move held-out questions into
training; a hand-written row kept on the other side from its council's reports is listed). A row with none
yet: a question about a real report (a gold source, or a council, of eval/reports.csv) takes its council's
split from eval/reports.csv; every other question (the bundled corpus's, and refusals naming a council with
no report) is split by a seeded random choice stratified by category: within each category, the ids sorted,
shuffled with random.Random(SEED + category), the first half (rounded up) train.

Verifying: every row's fields are checked, and every gold phrase must stand in the paragraph it names (its
"para" label; with para null, in some paragraph of the file) of the file named by "source" (found in corpus/
or the --reports folder), folded as the scorer folds (case, white space, curly quotes, en and em dashes), in a
paragraph of at most 1,500 characters (the scorer never matches a longer citation), and be short: 3 to 10 words
(a generated judgement's phrase is the whole printed line, up to 17). Exit status 1 if anything is wrong.

Paragraphs are read by running the project (`python -m assistant paragraphs`), about five seconds a PDF; they
are kept in --cache DIR (default /tmp/eval-paragraphs) under the file's name, size and modification time.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "eval"
CORPUS = ROOT / "corpus"
SEED = 2024
MAX_CITATION_CHARS = 1500
CATEGORIES = ("lookup", "synthesis", "source", "temporal", "unanswerable", "followup", "paraphrase", "council", "compare")
FIELDS = ("id", "split", "category", "question", "history", "place", "gold", "need", "note")
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})
MONTHS = ("January February March April May June July August September October November December").split()

# the judgement columns of the inspections CSV, the id suffix, the area as ILACS reports print it
AREAS = (
    ("overall_effectiveness_grade", "overall", "Overall effectiveness"),
    ("impact_of_leaders_grade", "leaders", "The impact of leaders on social work practice with children and families"),
    ("help_and_protection_grade", "help", "The experiences and progress of children who need help and protection"),
    ("in_care_grade", "care", "The experiences and progress of children in care"),
    ("care_leavers_grade", "leavers", "The experiences and progress of care leavers"),
)
# other ways reports print an area's name ("children care leavers" in some 2026 reports)
AREA_ALIASES = {"The experiences and progress of care leavers": ("The experiences and progress of children care leavers",)}
GRADES = {"outstanding": "Outstanding", "good": "Good", "requires improvement": "Requires improvement",
          "inadequate": "Inadequate"}

TEMPLATES = {
    "lead": ["Who led Ofsted's {year} inspection of {council}'s children's services?",
             "Who was the lead inspector when Ofsted inspected {council} children's services in {year}?",
             "Which inspector led the {year} Ofsted inspection of children's social care in {council}?",
             "Name the lead inspector on Ofsted's {month} {year} visit to {council}."],
    "dates": ["When did Ofsted inspect {council}'s children's services in {year}?",
              "What were the dates of the {year} Ofsted inspection of {council}?",
              "Over which days were {council}'s children's services inspected in {year}?",
              "When exactly were the inspectors in {council} for the {year} inspection?"],
    "overall": ["What overall effectiveness grade did {council} get from Ofsted in {year}?",
                "How did Ofsted rate {council}'s children's services overall in {year}?",
                "Overall, were {council}'s children's services judged good in the {year} inspection?",
                "What was the overall verdict of Ofsted's {year} inspection of {council}?"],
    "leaders": ["How did Ofsted grade the impact of leaders in {council} in {year}?",
                "What judgement did {council}'s leadership of social work practice get in {year}?",
                "In the {year} inspection, how were {council}'s leaders rated for their impact on practice?",
                "What grade did Ofsted give {council} for leadership in {year}?"],
    "help": ["What grade did {council} get for children who need help and protection in {year}?",
             "How did Ofsted judge help and protection for children in {council} in {year}?",
             "In {year}, how were {council}'s services for children needing help and protection rated?",
             "What was the child protection judgement in {council}'s {year} Ofsted report?"],
    "care": ["How were {council}'s services for children in care graded in {year}?",
             "What judgement did Ofsted give children in care in {council} in {year}?",
             "In the {year} inspection, how did {council} do for looked-after children?",
             "What grade did the experiences of children in care in {council} get in {year}?"],
    "leavers": ["What was {council}'s care leavers judgement in {year}?",
                "How did Ofsted rate {council}'s support for care leavers in {year}?",
                "In {year}, what grade did {council} get for young people leaving care?",
                "How did care leavers in {council} fare in Ofsted's {year} judgements?"],
}
# names as people write them, where the CSV's lower-case council is not enough
COUNCIL_NAMES = {"telford & wrekin": "Telford and Wrekin", "london corporation": "the City of London",
                 "st helens": "St Helens", "stoke-on-trent": "Stoke-on-Trent", "isle of wight": "the Isle of Wight",
                 "hammersmith and fulham": "Hammersmith and Fulham", "redcar and cleveland": "Redcar and Cleveland"}


def norm(text: str | None) -> str:
    """Folded as the scorer folds: curly quotes and en/em dashes straight, white space one space, lower case."""
    return re.sub(r"\s+", " ", (text or "").translate(QUOTES)).strip().lower()


def council_name(council: str) -> str:
    return COUNCIL_NAMES.get(council.lower(), council.title())


# -- reading documents as the project reads them ------------------------------------------------------------------

class Library:
    """The files a question set names: corpus/ and a folder of reports, each file's paragraphs read once."""

    def __init__(self, reports: Path | None, cache: Path):
        self.reports, self.cache = reports, cache
        cache.mkdir(parents=True, exist_ok=True)
        self._paragraphs: dict[str, list[dict] | None] = {}

    def path(self, source: str) -> Path | None:
        for folder in (CORPUS, self.reports):
            if folder and (folder / source).is_file():
                return folder / source
        return None

    def _run(self, command: str, path: Path, suffix: str) -> str:
        stat = path.stat()
        key = hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:12]
        cached = self.cache / f"{path.name}.{key}.{suffix}"
        if cached.is_file():
            return cached.read_text(encoding="utf-8")
        out = subprocess.run([sys.executable, "-m", "assistant", command, str(path), "--json"], cwd=ROOT,
                             capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(f"{command} {path}: {out.stderr.strip()[-300:]}")
        cached.write_text(out.stdout, encoding="utf-8")
        return out.stdout

    def paragraphs(self, source: str) -> list[dict] | None:
        if source not in self._paragraphs:
            path = self.path(source)
            self._paragraphs[source] = None if path is None else [
                json.loads(line) for line in self._run("paragraphs", path, "paragraphs.jsonl").splitlines() if line.strip()]
        return self._paragraphs[source]

    def document(self, source: str) -> dict:
        path = self.path(source)
        if path is None:
            raise FileNotFoundError(source)
        return json.loads(self._run("document", path, "document.json"))

    def paragraph(self, source: str, label: str) -> dict | None:
        return next((p for p in self.paragraphs(source) or [] if p["paragraph"] == label), None)


# -- the question file -------------------------------------------------------------------------------------------

def read_rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_rows(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps({k: row.get(k) for k in FIELDS}, ensure_ascii=False) + "\n" for row in rows),
                    encoding="utf-8")


def read_reports(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def read_inspections(path: Path) -> dict[str, dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return {row["file"]: row for row in csv.DictReader(f)}


def assign_splits(rows: list[dict], reports: list[dict]) -> list[str]:
    """Each row's split: its council's for a question about a real report, else seeded and stratified; a row
    that has one keeps it (drawing again over more rows would move held-out questions into training). The rows
    kept on another side than their council's, as lines to print."""
    by_file = {r["file"]: r["split"] for r in reports}
    by_place = {r["place"].lower(): r["split"] for r in reports}
    rest = defaultdict(list)
    crossed = []
    for row in rows:
        places = row["place"] if isinstance(row.get("place"), list) else [row.get("place")]
        splits = {by_file[g["source"]] for g in row.get("gold") or [] if g["source"] in by_file}
        splits |= {by_place[p.lower()] for p in places if isinstance(p, str) and p.lower() in by_place}
        if len(splits) > 1:
            raise SystemExit(f"{row['id']}: names councils of both splits ({sorted(splits)})")
        if row.get("split") in ("train", "heldout"):
            if splits and row["split"] not in splits:
                crossed.append(f"{row['id']}: {row['split']}, though its council's reports are {splits.pop()}")
        elif splits:
            row["split"] = splits.pop()
        else:
            rest[row["category"]].append(row)
    for category, group in rest.items():
        group.sort(key=lambda r: r["id"])
        random.Random(f"{SEED}-{category}").shuffle(group)
        half = (len(group) + 1) // 2
        for i, row in enumerate(group):
            row["split"] = "train" if i < half else "heldout"
    return crossed


# -- generating lookups ------------------------------------------------------------------------------------------

def day(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        return None


def date_phrases(start: dt.date, end: dt.date) -> list[str]:
    """The ways a report prints its inspection dates ("10 to 14 June 2024", "30 October to 10 November 2023")."""
    s, e = f"{start.day} {MONTHS[start.month - 1]}", f"{end.day} {MONTHS[end.month - 1]}"
    out = []
    if start.year == end.year:
        if start.month == end.month:
            out.append(f"{start.day} to {e} {end.year}")
        out.append(f"{s} to {e} {end.year}")
    out.append(f"{s} {start.year} to {e} {end.year}")
    return [f"Inspection dates: {text}" for text in out]


def pick(kind: str, file: str, **names) -> str:
    """One of the kind's templates, chosen by the file's name, so that the wording varies and stays put."""
    options = TEMPLATES[kind]
    index = int(hashlib.sha1(f"{file}|{kind}".encode()).hexdigest(), 16) % len(options)
    return re.sub(r"\s+", " ", options[index].format(**names))  # an empty {month} leaves no double space


def judgement_lines(library: Library, file: str) -> dict[str, str]:
    """area (folded) -> the judgements paragraph's line for it, as printed."""
    para = library.paragraph(file, "judgements")
    lines = {}
    for line in (para or {}).get("text", "").splitlines():
        area, sep, grade = line.rpartition(":")
        if sep and grade.strip():
            lines[norm(area)] = line.strip()
    return lines


def lookups(report: dict, inspection: dict, library: Library) -> tuple[list[dict], list[str]]:
    """The generated questions for one report, and a line for each that was left out."""
    file = report["file"]
    council = council_name(inspection["council"])
    start, end = day(inspection["inspection_start_date"]), day(inspection["inspection_end_date"])
    details = library.paragraph(file, "details")
    # the year the inspection ended, as the report prints it (Devon's ran on into January 2025; the CSV stops in 2024)
    dates_line = re.search(r"Inspection dates?:[^\n]*", (details or {}).get("text", ""))
    printed_years = re.findall(r"\b20\d\d\b", dates_line.group(0)) if dates_line else []
    year = int(printed_years[-1]) if printed_years else end.year if end else int(file.split("-")[-3])
    month = MONTHS[end.month - 1] if end and end.year == year else ""
    names = {"council": council, "year": year, "month": month}
    slug = file.removesuffix(".pdf")
    slug = slug[: slug.rindex("-", 0, slug.rindex("-"))]  # barnet-2024-07-23 -> barnet-2024
    if not any(inspection.get(column, "").strip().lower() in GRADES for column, _, _ in AREAS) and not (
            inspection["inspector_name"].strip() or start or end):
        return [], [f"{slug}: the CSV has no lead inspector, dates or grades for it (a single inspection framework report)"]
    base = {"split": report["split"], "category": "lookup", "history": [], "place": report["place"], "need": "any"}
    rows, dropped = [], []

    lead = inspection["inspector_name"].strip()
    phrase = f"Lead inspector: {lead}"
    if not lead:
        dropped.append(f"{slug}-lead: the CSV names no lead inspector")
    elif details is None or norm(phrase) not in norm(details["text"]):
        printed = re.search(r"Lead inspector:[^,\n]*", (details or {}).get("text", ""))
        dropped.append(f"{slug}-lead: the CSV's {lead!r} is not what the report prints"
                       f" ({printed.group(0) if printed else 'no lead inspector line'!r})")
    else:
        rows.append({**base, "id": f"g-{slug}-lead", "question": pick("lead", file, **names),
                     "gold": [{"source": file, "para": "details", "phrase": phrase}],
                     "note": f"{lead} led the inspection ({council}, {year})."})

    if not (start and end):
        dropped.append(f"{slug}-dates: the CSV gives no inspection dates")
    else:
        found = [p for p in date_phrases(start, end) if details and norm(p) in norm(details["text"])]
        printed = re.search(r"Inspection dates?:[^\n]*", (details or {}).get("text", ""))
        if not found:
            dropped.append(f"{slug}-dates: the CSV's {start:%d/%m/%Y} to {end:%d/%m/%Y} is not what the report prints"
                           f" ({printed.group(0) if printed else 'no inspection dates line'!r})")
        else:
            rows.append({**base, "id": f"g-{slug}-dates", "question": pick("dates", file, **names),
                         "gold": [{"source": file, "para": "details", "phrase": found[0]}],
                         "note": f"{printed.group(0).split(':', 1)[1].strip()} ({council})."})

    lines = judgement_lines(library, file)
    for column, suffix, area in AREAS:
        value = inspection.get(column, "").strip().lower()
        if value not in GRADES:
            dropped.append(f"{slug}-{suffix}: the CSV has no grade ({value or 'empty'})")
            continue
        line = next((lines[norm(a)] for a in (area, *AREA_ALIASES.get(area, ())) if norm(a) in lines), None)
        if line is None:
            dropped.append(f"{slug}-{suffix}: the report has no '{area}' judgement (the CSV says {value})")
            continue
        printed = line.rpartition(":")[2].strip()
        if not norm(printed).startswith(norm(GRADES[value])):
            dropped.append(f"{slug}-{suffix}: the CSV says {value}, the report prints {printed!r}")
            continue
        rows.append({**base, "id": f"g-{slug}-{suffix}", "question": pick(suffix, file, **names),
                     "gold": [{"source": file, "para": "judgements", "phrase": line}],
                     "note": f"{area}: {printed} ({council}, {year} inspection)."})
    return rows, dropped


def generate(args) -> int:
    library = Library(args.reports, args.cache)
    reports = read_reports(args.eval_dir / "reports.csv")
    inspections = read_inspections(args.inspections)
    path = args.eval_dir / "questions.jsonl"
    hand = [r for r in read_rows(path) if not r["id"].startswith("g-")]
    generated, dropped = [], []
    for report in reports:
        inspection = inspections.get(report["file"])
        if inspection is None:
            dropped.append(f"{report['file']}: not in {args.inspections}")
            continue
        rows, left_out = lookups(report, inspection, library)
        generated += rows
        dropped += left_out
    rows = generated + hand
    crossed = assign_splits(rows, reports)
    write_rows(path, rows)
    print(f"{len(generated)} generated lookups and {len(hand)} hand-written questions written to {path}")
    if crossed:
        print(f"kept on the other side from their council's reports ({len(crossed)}):")
        for line in crossed:
            print(f"  {line}")
    if dropped:
        print(f"left out ({len(dropped)}):")
        for line in dropped:
            print(f"  {line}")
    return 0


def fill_reports(args) -> int:
    """eval/reports.csv completed from its `file` and `split` columns: council and url from the inspections CSV,
    place as the project reads it, publication date as ISO."""
    library = Library(args.reports, args.cache)
    path = args.eval_dir / "reports.csv"
    inspections = read_inspections(args.fill_reports)
    rows = []
    for report in read_reports(path):
        inspection = inspections[report["file"]]
        published = dt.datetime.strptime(inspection["publication_date"], "%d/%m/%y").date()
        rows.append({"file": report["file"], "council": council_name(inspection["council"]),
                     "place": library.document(report["file"])["place"], "split": report["split"],
                     "url": inspection["inspection_link"], "publication_date": published.isoformat()})
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} reports written to {path}")
    return 0


# -- verifying ---------------------------------------------------------------------------------------------------

def row_problems(row: dict, library: Library) -> list[str]:
    problems = []
    missing = [k for k in FIELDS if k not in row]
    if missing:
        return [f"missing fields {missing}"]
    if row["split"] not in ("train", "heldout"):
        problems.append(f"split {row['split']!r}")
    if row["category"] not in CATEGORIES:
        problems.append(f"category {row['category']!r}")
    if row["need"] not in ("any", "all"):
        problems.append(f"need {row['need']!r}")
    if not isinstance(row["question"], str) or not row["question"].strip():
        problems.append("no question")
    if not isinstance(row["history"], list) or any(
            not isinstance(t, dict) or t.get("role") not in ("user", "assistant") or not str(t.get("content", "")).strip()
            for t in row["history"]):
        problems.append("history must be a list of {role: user|assistant, content}")
    elif (row["category"] == "followup") != bool(row["history"]):
        problems.append("a followup has a history, and only a followup")
    place = row["place"]
    if row["category"] == "compare":
        if not (isinstance(place, list) and len(place) >= 2 and all(isinstance(p, str) for p in place)):
            problems.append("a compare question's place is a list of councils")
        if row["need"] != "all":
            problems.append("a compare question needs all its gold items")
    elif place is not None and not isinstance(place, str):
        problems.append(f"place {place!r}")
    if not isinstance(row["gold"], list):
        return problems + ["gold is not a list"]
    if not row["gold"] and row["category"] not in ("unanswerable", "council"):
        problems.append("no gold (a refusal) in a category that is not unanswerable or council")
    for gold in row["gold"]:
        source, para, phrase = gold.get("source"), gold.get("para"), gold.get("phrase") or ""
        longest = 17 if row["id"].startswith("g-") else 10  # a generated judgement is its whole printed line
        if not 3 <= len(phrase.split()) <= longest:
            problems.append(f"{source} {para}: phrase of {len(phrase.split())} words: {phrase!r}")
        paragraphs = library.paragraphs(source) if source else None
        if paragraphs is None:
            problems.append(f"{source}: no such file in corpus/ or the reports folder")
            continue
        if para is not None:
            found = [p for p in paragraphs if p["paragraph"] == para]
            if not found:
                problems.append(f"{source}: no paragraph labelled {para!r}")
                continue
        else:
            found = paragraphs
        hits = [p for p in found if norm(phrase) in norm(p["text"])]
        if not hits:
            problems.append(f"{source} {para or '(any paragraph)'}: phrase not found: {phrase!r}")
        elif all(len(p["text"]) > MAX_CITATION_CHARS for p in hits):
            problems.append(f"{source} {hits[0]['paragraph']}: paragraph of {len(hits[0]['text'])} characters, "
                            f"longer than the scorer matches ({MAX_CITATION_CHARS})")
        elif para is not None and hits[0].get("assigned"):
            problems.append(f"{source} {para}: the project assigned this label (the document prints none): give para null")
        elif para is None and not any(p.get("assigned") for p in hits):
            problems.append(f"{source}: para null but the phrase stands in printed paragraph "
                            f"{hits[0]['paragraph']!r}: give the label")
    return problems


def verify(args) -> int:
    library = Library(args.reports, args.cache)
    rows = read_rows(args.verify)
    bad = 0
    ids = Counter(r.get("id") for r in rows)
    for row_id, n in ids.items():
        if n > 1:
            print(f"{row_id}: id used {n} times")
            bad += 1
    for row in rows:
        for problem in row_problems(row, library):
            print(f"{row.get('id')}: {problem}")
            bad += 1
    counts = Counter((r.get("category"), r.get("split")) for r in rows)
    print(f"{len(rows)} questions, {sum(len(r.get('gold') or []) for r in rows)} gold items; problems: {bad}")
    for category in CATEGORIES:
        print(f"  {category:13} train {counts[(category, 'train')]:4}  heldout {counts[(category, 'heldout')]:4}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inspections", nargs="?", type=Path, help="the inspections CSV (generate the lookups)")
    parser.add_argument("--verify", type=Path, metavar="QUESTIONS", help="check a question set against the documents")
    parser.add_argument("--fill-reports", type=Path, metavar="INSPECTIONS_CSV",
                        help="complete eval/reports.csv from its file and split columns")
    parser.add_argument("--reports", type=Path, help="the folder of report PDFs that the set's sources name")
    parser.add_argument("--eval-dir", type=Path, default=EVAL, help="where questions.jsonl and reports.csv are")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/eval-paragraphs"), help="paragraphs read before")
    args = parser.parse_args(argv)
    if args.verify:
        return verify(args)
    if args.fill_reports:
        return fill_reports(args)
    if args.inspections:
        return generate(args)
    parser.error("give INSPECTIONS_CSV, --verify QUESTIONS or --fill-reports INSPECTIONS_CSV")
    return 2


if __name__ == "__main__":
    sys.exit(main())
