"""Ingest benchmark: a script that prints figures, not a timed test.

  .venv/bin/python scripts/benchmark_ingest.py                    # full size: 5,000 paragraphs
  .venv/bin/python scripts/benchmark_ingest.py --paragraphs 1000  # a quicker run
  .venv/bin/python scripts/benchmark_ingest.py --folder DIR        # a folder of real reports instead

Prints, all measured in this one run, in fresh temporary directories (the project's data/ is not touched):
- the time to ingest the bundled corpus into an empty index;
- on a synthetic corpus of numbered report-like .txt files (the bundled corpus's sentences recombined):
  the time to read and number it, the pipeline's paragraphs per second (read, number, chunk, embed
  paragraphs and sentences, write Chroma, rebuild BM25), the bare model's own rate
  (`load_model().encode(texts)` on the same paragraph texts, timed before and after the pipeline;
  the faster run is the reference), and their ratio;
- the peak memory of the process (ru_maxrss), and the index's size on disk.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1024 / 1024


def disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1024 / 1024


def corpus_sentences() -> list[str]:
    """Whole sentences of the bundled corpus that can stand in a numbered paragraph."""
    from ingest.pipeline import read_document

    sentences = set()
    for path in sorted((PROJECT_ROOT / "corpus").glob("*.txt")):
        for paragraph in read_document(path)[1]:
            for sentence in paragraph.sentence_texts():
                if len(sentence.split()) >= 6 and sentence[0].isupper() and sentence.endswith((".", "!", "?")) \
                        and "\n" not in sentence and not re.match(r"^\d", sentence):
                    sentences.add(sentence)
    return sorted(sentences)


def write_synthetic_corpus(folder: Path, paragraphs: int, per_file: int, seed: int) -> int:
    """Numbered report-like .txt files: a title, a heading every ten paragraphs, "N. " paragraphs of 2-5 sentences."""
    rng = random.Random(seed)
    sentences = corpus_sentences()
    written, file_number = 0, 0
    while written < paragraphs:
        file_number += 1
        count = min(per_file, paragraphs - written)
        lines = [f"Synthetic inspection report {file_number}", ""]
        for n in range(1, count + 1):
            if n % 10 == 1:
                lines += [f"Findings part {n // 10 + 1}", ""]
            lines += [f"{n}. " + " ".join(rng.sample(sentences, rng.randint(2, 5))), ""]
        (folder / f"synthetic-{file_number:03d}.txt").write_text("\n".join(lines), encoding="utf-8")
        written += count
    return file_number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paragraphs", type=int, default=5000, help="size of the synthetic corpus (default 5000)")
    parser.add_argument("--per-file", type=int, default=100, help="paragraphs per synthetic file (default 100)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--folder", type=Path, help="ingest this folder of real documents (PDFs, say) instead of the corpora")
    args = parser.parse_args(argv)
    if args.folder:
        return benchmark_folder(args.folder)

    from ingest.embed import Embedder, load_model
    from ingest.index import Index
    from ingest.pipeline import ingest, read_document

    started = time.perf_counter()
    model = load_model()
    embedder = Embedder()
    model.encode(["warm up the model and its threads"] * 8)
    print(f"model load + warm-up: {time.perf_counter() - started:.1f} s; peak memory so far {peak_mb():.0f} MB")

    with tempfile.TemporaryDirectory(prefix="benchmark-ingest-") as tmp:
        tmp = Path(tmp)

        # 1. the bundled corpus into an empty index
        index = Index(tmp / "corpus-index")
        t = time.perf_counter()
        report = ingest([PROJECT_ROOT / "corpus"], index, embedder)
        seconds = time.perf_counter() - t
        assert not report.failed, report.failed
        print(f"bundled corpus: {len(report.added)} documents, {report.paragraphs} paragraphs ingested in {seconds:.1f} s "
              f"({report.paragraphs / seconds:.1f} paragraphs/s); index {disk_mb(tmp / 'corpus-index'):.1f} MB on disk")

        # 2. the synthetic corpus
        folder = tmp / "synthetic"
        folder.mkdir()
        files = write_synthetic_corpus(folder, args.paragraphs, args.per_file, args.seed)
        t = time.perf_counter()
        documents = [read_document(path) for path in sorted(folder.glob("*.txt"))]
        read_seconds = time.perf_counter() - t
        paragraphs = [p for _, ps in documents for p in ps]
        assert len(paragraphs) == args.paragraphs, f"numbering found {len(paragraphs)} paragraphs, wrote {args.paragraphs}"
        assert all(p.label.isdigit() for p in paragraphs)
        texts = [p.text for p in paragraphs]
        tokens = sum(len(model.tokenizer.tokenize(text)) for text in texts) / len(texts)
        print(f"synthetic corpus: {files} files, {len(paragraphs)} numbered paragraphs, {tokens:.0f} tokens per paragraph "
              f"on average, {sum(len(p.sentences) for p in paragraphs)} sentences")
        print(f"  read + number only: {read_seconds:.1f} s ({len(paragraphs) / read_seconds:.0f} paragraphs/s)")

        def bare_model() -> float:
            t = time.perf_counter()
            model.encode(texts, batch_size=embedder.batch_size)
            seconds = time.perf_counter() - t
            print(f"  bare model, encode(texts): {seconds:.1f} s = {len(texts) / seconds:.1f} paragraphs/s")
            return seconds

        # the bare model is timed before and after the pipeline, and the faster run is the reference,
        # so that a noisy machine does not flatter the pipeline
        model_runs = [bare_model()]
        index = Index(tmp / "synthetic-index")
        t = time.perf_counter()
        report = ingest([folder], index, embedder)
        pipeline_seconds = time.perf_counter() - t
        assert not report.failed and report.paragraphs == len(paragraphs), report.summary()
        pipeline_rate = report.paragraphs / pipeline_seconds
        print(f"  full ingest pipeline: {pipeline_seconds:.1f} s = {pipeline_rate:.1f} paragraphs/s")
        model_runs.append(bare_model())
        model_seconds = min(model_runs)
        model_rate = len(texts) / model_seconds
        print(f"  ratio: the pipeline takes {pipeline_seconds / model_seconds:.2f}x the bare model's best time "
              f"({pipeline_rate:.1f} vs {model_rate:.1f} paragraphs/s: {pipeline_rate / model_rate:.0%} of its rate)")
        counts = {name: index.collection(name).count() for name in ("paragraphs", "chunks", "sentences")}
        print(f"  records: {counts}; index {disk_mb(tmp / 'synthetic-index'):.1f} MB on disk")

    print(f"peak memory (ru_maxrss): {peak_mb():.0f} MB; resident now {rss_mb():.0f} MB")
    return 0


def benchmark_folder(folder: Path) -> int:
    """A folder of real documents into an empty index: read + number time, the whole ingest, and the
    bare model's rate on the same paragraph texts, all in this one run."""
    from ingest.embed import Embedder, load_model
    from ingest.index import Index
    from ingest.pipeline import find_files, ingest, read_document

    model = load_model()
    embedder = Embedder()
    model.encode(["warm up the model and its threads"] * 8)
    files = find_files([folder])[0]
    t = time.perf_counter()
    documents = []
    for path in files:
        try:
            documents.append(read_document(path))
        except Exception as exc:  # a file that cannot be read is reported, as ingest does
            print(f"  not read: {exc}")
    read_seconds = time.perf_counter() - t
    texts = [p.text for _, ps in documents for p in ps]
    print(f"{folder}: {len(documents)} of {len(files)} files read and numbered in {read_seconds:.1f} s "
          f"({read_seconds / max(1, len(documents)):.2f} s per file), {len(texts)} paragraphs")
    with tempfile.TemporaryDirectory(prefix="benchmark-ingest-") as tmp:
        t = time.perf_counter()
        model.encode(texts, batch_size=embedder.batch_size)
        model_seconds = time.perf_counter() - t
        index = Index(Path(tmp) / "index")
        t = time.perf_counter()
        report = ingest([folder], index, embedder)
        seconds = time.perf_counter() - t
        print(f"  full ingest: {report.summary()}")
        print(f"  {report.paragraphs / seconds:.1f} paragraphs/s through the pipeline (reading, numbering, embedding "
              f"paragraphs, chunks and sentences, Chroma, BM25); bare model on the same paragraphs "
              f"{len(texts) / model_seconds:.1f} paragraphs/s ({model_seconds:.1f} s); ratio {seconds / model_seconds:.2f}x")
        print(f"  index {disk_mb(Path(tmp) / 'index'):.1f} MB on disk; peak memory {peak_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
