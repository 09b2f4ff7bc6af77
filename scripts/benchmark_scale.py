"""Figures at scale, embedded and server modes: ingest rate next to the bare model's embedding rate
(measured in the same run), index size on disk, answer latency (median, 95th percentile), peak
memory, and the time to add one report to the full index.

    .venv/bin/python scripts/benchmark_scale.py --sizes 1000 10000 --modes embedded server

Each size's synthetic corpus comes from scripts/synth_corpus.py. Server mode starts its own
`chroma run` on loopback. Prints one Markdown table row per size and mode.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "scripts"))

import httpx  # noqa: E402
import psutil  # noqa: E402
from synth_corpus import generate, source_sentences, write_document  # noqa: E402

from assistant.answer import Assistant  # noqa: E402
from ingest.embed import Embedder  # noqa: E402
from ingest.index import Index  # noqa: E402
from ingest.pipeline import ingest  # noqa: E402

QUESTIONS = [
    "What did Ofsted say about care leaver accommodation?", "How effective is the front door?",
    "Are children in care living in stable homes?", "How is the workforce doing, and are caseloads manageable?",
    "What did inspectors say about disabled children?", "What does Ofsted say about pathway plans?",
    "How are unaccompanied asylum-seeking children supported?", "What did the council say about neglect?",
    "Are social workers' caseloads too high?", "What progress has been made since the inspection?",
]


def disk_mb(*paths: Path) -> float:
    return sum(f.stat().st_size for p in paths for f in p.rglob("*") if f.is_file()) / 1e6


def start_chroma(path: Path) -> tuple[subprocess.Popen, int]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--path", str(path), "--host",
                                "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                return process, port
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError("chroma run did not start")


def bare_rate(embedder: Embedder, corpus: Path, n: int = 400) -> float:
    texts = [line.split(". ", 1)[1] for f in sorted(corpus.glob("*.txt")) for line in f.read_text().splitlines()
             if line[:1].isdigit()][:n]
    embedder.embed_queries(texts[:16])
    started = time.perf_counter()
    embedder.embed_queries(texts)
    return len(texts) / (time.perf_counter() - started)


def run(size: int, mode: str, corpus: Path, embedder: Embedder, work: Path) -> dict:
    data, store = work / f"{mode}-{size}-data", work / f"{mode}-{size}-chroma"
    server = None
    if mode == "server":
        server, port = start_chroma(store)
        index = Index(data, server=("127.0.0.1", port))
    else:
        index = Index(data, server=None)
    try:
        rate = bare_rate(embedder, corpus)
        started = time.perf_counter()
        report = ingest([corpus], index, embedder)
        seconds = time.perf_counter() - started
        assistant = Assistant(index, embedder)
        for question in QUESTIONS[:3]:
            assistant.ask(question)  # warm-up: BM25 loaded, caches filled
        latencies = []
        for _ in range(3):
            for question in QUESTIONS:
                t = time.perf_counter()
                assistant.ask(question)
                latencies.append((time.perf_counter() - t) * 1000)
        latencies.sort()
        extra = work / f"extra-{mode}-{size}"
        extra.mkdir()
        name, meta = write_document(extra, 99999, source_sentences(), __import__("random").Random(1), 60)
        t = time.perf_counter()
        ingest([extra / name], index, embedder, metadata=meta)
        add_one = time.perf_counter() - t
        server_rss = psutil.Process(server.pid).memory_info().rss / 1e6 if server else 0.0
        return {
            "size": size, "mode": mode, "paragraphs": report.paragraphs, "ingest_rate": report.paragraphs / seconds,
            "bare_rate": rate, "disk_mb": disk_mb(data, store) if store.exists() else disk_mb(data),
            "median_ms": statistics.median(latencies), "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
            "add_one_s": add_one, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3,
            "server_rss_mb": server_rss,
        }
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--modes", nargs="+", default=["embedded", "server"], choices=["embedded", "server"])
    args = parser.parse_args()
    embedder = Embedder()
    work = Path(tempfile.mkdtemp(prefix="scale-"))
    print("| paragraphs | mode | ingest par/s | bare model par/s | ratio | disk MB | answer median ms | answer p95 ms "
          "| add one report (60 par.) s | peak RSS MB (this process) | server RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    try:
        for size in args.sizes:
            corpus = generate(work / f"corpus-{size}", size)
            for mode in args.modes:
                r = run(size, mode, corpus, embedder, work)
                print(f"| {r['paragraphs']:,} | {mode} | {r['ingest_rate']:.1f} | {r['bare_rate']:.1f} | "
                      f"{r['ingest_rate'] / r['bare_rate']:.2f} | {r['disk_mb']:.0f} | {r['median_ms']:.0f} | "
                      f"{r['p95_ms']:.0f} | {r['add_one_s']:.1f} | {r['peak_rss_mb']:.0f} | "
                      f"{r['server_rss_mb']:.0f} |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
