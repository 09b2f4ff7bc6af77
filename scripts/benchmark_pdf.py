"""PDF readers compared on a folder of real reports: a script that prints figures, not a test.

  .venv/bin/python scripts/benchmark_pdf.py FOLDER

For each PDF, in this one run: the seconds pypdf takes (plain and layout extraction) and the seconds
this project's reader takes (pdfplumber words with positions, ingest/pdf.py), and how many words each
splits in two ("the ir", "safeg uard"): a pair of neighbouring tokens that are not words of the
document's plain extraction but are one when joined.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORD_RE = re.compile(r"[A-Za-z\u2019']+")


def split_words(text: str, vocabulary: set[str]) -> int:
    tokens = WORD_RE.findall(text)
    return sum(1 for a, b in zip(tokens, tokens[1:])
               if (a.lower() not in vocabulary or b.lower() not in vocabulary) and (a + b).lower() in vocabulary)


def main() -> int:
    from pypdf import PdfReader

    from ingest.pdf import read_pdf

    folder = Path(sys.argv[1])
    totals = {"pypdf plain": [0.0, 0], "pypdf layout": [0.0, 0], "pdfplumber (ingest/pdf.py)": [0.0, 0]}
    files = sorted(folder.glob("*.pdf"))
    for path in files:
        try:
            t = time.perf_counter()
            reader = PdfReader(path)
            plain = "\n".join(page.extract_text() or "" for page in reader.pages)
            plain_s = time.perf_counter() - t
            t = time.perf_counter()
            layout = "\n".join(page.extract_text(extraction_mode="layout") or "" for page in PdfReader(path).pages)
            layout_s = time.perf_counter() - t
            t = time.perf_counter()
            ours = "\n".join(line.text for line in read_pdf(path))
            ours_s = time.perf_counter() - t
        except Exception as exc:  # a file that is not a PDF: say so and go on
            print(f"{path.name}: not read ({type(exc).__name__}: {str(exc)[:80]})")
            continue
        vocabulary = {w.lower() for w in WORD_RE.findall(plain)}
        row = {"pypdf plain": (plain_s, 0), "pypdf layout": (layout_s, split_words(layout, vocabulary)),
               "pdfplumber (ingest/pdf.py)": (ours_s, split_words(ours, vocabulary))}
        for name, (seconds, split) in row.items():
            totals[name][0] += seconds
            totals[name][1] += split
        print(f"{path.name}: " + "; ".join(f"{name} {s:.2f} s, {n} split" for name, (s, n) in row.items()))
    for name, (seconds, split) in totals.items():
        print(f"total {name}: {seconds:.1f} s for {len(files)} files ({seconds / max(1, len(files)):.2f} s each), {split} split words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
