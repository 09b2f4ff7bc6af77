"""A realistic synthetic corpus for scale tests: report-like documents with numbered paragraphs for
many councils and years, made from the bundled corpus's sentences recombined, with its names and
years varied. Writes .txt files and a manifest.json (the same fields as corpus/manifest.json) that
`python -m ingest` reads.

    .venv/bin/python scripts/synth_corpus.py --paragraphs 10000 --out /tmp/synth-10k

Each document has a title, an Ofsted-style or council-style section heading every 8-14 paragraphs,
and paragraphs "N. ..." of 2-4 sentences taken from the bundled corpus (sentences of the matching
theme where the source has one), with "Kirklees" and its towns replaced by the document's council and
years shifted to the document's year. The same --seed gives the same corpus.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from ingest.pipeline import load_manifest, read_document  # noqa: E402

PLACES = ["Northbridge", "Eastholme", "Westmarsh", "Southdale", "Ashby Vale", "Brackenfield", "Calderford", "Dunmore",
          "Elmstead", "Fernley", "Glenholt", "Harrowgate", "Ivybridge Moor", "Kestrel Bay", "Larkspur", "Millbrook",
          "Netherby", "Oakhurst", "Pennington", "Queensmere", "Rivenhall", "Stonebury", "Thornleigh", "Upperton",
          "Valeport", "Whitcombe", "Yarrowby", "Zennor Cross"]
KINDS = [("Ofsted", "inspection report", "Inspection of {place} local authority children's services"),
         ("Ofsted", "monitoring visit", "Monitoring visit to {place} local authority children's services"),
         ("{place} Council", "council report", "Progress of the Ofsted improvement plan (report to the Children's Scrutiny Panel)"),
         ("{place} Council", "council statement", "Our response to the {year} Ofsted inspection")]
THEMES = {  # heading -> words that put a source sentence under it
    "The experiences and progress of children who need help and protection": ("help", "protection", "harm", "neglect", "domestic", "referral", "assessment"),
    "The experiences and progress of children in care": ("children in care", "foster", "placement", "homes", "permanence"),
    "The experiences and progress of care leavers": ("care leaver", "pathway", "accommodation", "personal adviser", "young people"),
    "The impact of leaders on social work practice with children and families": ("leader", "manager", "workforce", "caseload", "social worker", "audit"),
    "What needs to improve?": ("improve", "should", "weak", "not yet", "inconsistent"),
    "Next steps": ("will", "plan", "next"),
}
MIN_PARAGRAPHS, MAX_PARAGRAPHS = 40, 80


def source_sentences() -> list[str]:
    """Whole sentences of the bundled corpus, as ingest reads them."""
    corpus = PROJECT_ROOT / "corpus"
    manifest = load_manifest(corpus)
    sentences = set()
    for path in sorted(corpus.glob("*.txt")):
        _, paragraphs = read_document(path, manifest.get(path.name))
        for paragraph in paragraphs:
            for sentence in paragraph.sentence_texts():
                if len(sentence.split()) >= 6 and sentence[0].isupper() and sentence.endswith((".", "!", "?")) \
                        and "\n" not in sentence and not re.match(r"^\d", sentence):
                    sentences.add(sentence)
    return sorted(sentences)


def themed(sentences: list[str]) -> dict[str, list[str]]:
    groups = {heading: [s for s in sentences if any(w in s.lower() for w in words)] for heading, words in THEMES.items()}
    return {heading: group for heading, group in groups.items() if len(group) >= 8}


def vary(sentence: str, place: str, year: int) -> str:
    """The sentence about another council and another time."""
    sentence = re.sub(r"\b(Kirklees|Huddersfield|Dewsbury|Batley)\b", place, sentence)
    return re.sub(r"\b20[12]\d\b", lambda m: str(year - (2024 - int(m.group(0)))), sentence)


def write_document(folder: Path, number: int, sentences: list[str], groups: dict[str, list[str]],
                   rng: random.Random, paragraphs: int) -> tuple[str, dict]:
    place = rng.choice(PLACES)
    year = rng.randint(2012, 2026)
    month = rng.randint(1, 12)
    publisher, kind, title = rng.choice(KINDS)
    publisher, title = publisher.format(place=place), title.format(place=place, year=year - 1)
    lines = [title, ""]
    headings = list(groups)
    pool, next_heading = sentences, 1
    for n in range(1, paragraphs + 1):
        if n == next_heading:
            heading = rng.choice(headings)
            lines += [heading, ""]
            pool = groups[heading] + rng.sample(sentences, 10)  # mostly on the theme, as a real section is
            next_heading = n + rng.randint(8, 14)
        text = " ".join(vary(s, place, year) for s in rng.sample(pool, rng.randint(2, 4)))
        lines += [f"{n}. {text}", ""]
    name = f"{year}-{place.lower().replace(' ', '-')}-{kind.replace(' ', '-')}-{number:05d}.txt"
    (folder / name).write_text("\n".join(lines), encoding="utf-8")
    return name, {"title": title, "publisher": publisher, "kind": kind, "date": f"{year}-{month:02d}",
                  "date_note": f"synthetic: {kind} published {month:02d}/{year}", "url": None}


def generate(out: Path, paragraphs: int, seed: int = 7) -> Path:
    """Write documents to `out` until they hold exactly `paragraphs` numbered paragraphs."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    sentences = source_sentences()
    groups = themed(sentences)
    manifest, written, number = {}, 0, 0
    while written < paragraphs:
        count = min(rng.randint(MIN_PARAGRAPHS, MAX_PARAGRAPHS), paragraphs - written)
        name, entry = write_document(out, number, sentences, groups, rng, count)
        manifest[name] = entry
        written += count
        number += 1
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=10_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.out, args.paragraphs, args.seed)
    print(f"{args.paragraphs} paragraphs in {len(list(args.out.glob('*.txt')))} documents in {args.out}")


if __name__ == "__main__":
    main()
