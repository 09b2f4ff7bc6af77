"""Scale benchmark: embedded and server (Chroma `chroma run`) modes at 1,000, 10,000 or 100,000 paragraphs.
A script that prints figures, not a timed test. Run it with `nice`:

  nice .venv/bin/python scripts/benchmark_scale.py                          # 1,000 and 10,000 paragraphs
  nice .venv/bin/python scripts/benchmark_scale.py --sizes 1000 --rounds 3  # a quick run
  nice .venv/bin/python scripts/benchmark_scale.py --sizes 100000 --keep /tmp/scale-keep   # embeds once (~45 min) ...
  nice .venv/bin/python scripts/benchmark_scale.py --sizes 100000 --keep /tmp/scale-keep --modes server-cached  # ... reused

For each size it writes a synthetic corpus (scripts/synth_corpus.py) to a temporary directory and
runs, each in a fresh process (so that each has its own peak memory):

1. embedded, live: the bare model's rate (`load_model().encode` on the paragraph texts, at most
   --model-sample of them) and then the full ingest (read, number, chunk, embed paragraphs, chunks and
   sentences, write Chroma, build BM25) into an empty embedded index. The vectors it computes are
   cached (pickled per document) for the runs below, so the 10,000-paragraph corpus is embedded once.
2. embedded, cached vectors: the same ingest with the cached vectors: what the store itself costs.
3. server, cached vectors: the same into a `chroma run` on loopback (a fresh --path).

and in each: the index size on disk (embedded: the data directory; server: the server's --path plus the
instance's local data directory, its BM25 copy), answer latency after one warm-up question (median and
95th percentile over --rounds x 10 questions), the time for a second instance (a new local data
directory) to build its BM25 from the server and answer its first question (server mode), the time to
add one more report (live embedding) to the full index through `ingest` (the folder is rescanned,
unchanged files skipped by their hash, BM25 rebuilt), and the peak memory (ru_maxrss) of that process
and, in server mode, of the Chroma server (VmHWM).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import resource
import shutil
import socket
import statistics
import subprocess
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
sys.path.insert(0, str(PROJECT_ROOT / "scripts"))

MODES = ("embedded-live", "embedded-cached", "server-cached")

QUESTIONS = [
    "What did Ofsted say about care leaver accommodation?",
    "How are disabled children supported?",
    "What has the council done about foster carer recruitment since the inspection?",
    "How effective is the out-of-hours service?",
    "What did Ofsted say about care leavers in Northbridge?",
    "What are the sufficiency challenges in Stonebury?",
    "How has the judgement changed since 2019?",
    "What does the council say about neglect?",
    "What is the average caseload of a social worker?",
    "What needs to improve in Calderford in 2020?",
]


def disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file()) / 1024 / 1024


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- one measured run (a child process) ----------------------------------------------------------------------

class CachingEmbedder:
    """The real Embedder, with each document's vectors pickled in `cache` (key: its paragraphs' texts)."""

    def __init__(self, embedder, cache: Path, live: bool):
        self.embedder, self.cache, self.live = embedder, cache, live
        self.cache.mkdir(parents=True, exist_ok=True)

    def __getattr__(self, name):
        return getattr(self.embedder, name)

    def embed_paragraphs(self, paragraphs):
        key = hashlib.sha256("\x00".join(p.text for p in paragraphs).encode()).hexdigest()
        path = self.cache / f"{key}.pkl"
        if not self.live and path.exists():
            return pickle.loads(path.read_bytes())
        vectors = self.embedder.embed_paragraphs(paragraphs)
        path.write_bytes(pickle.dumps(vectors))
        return vectors


def run(args) -> dict:
    from assistant.answer import Assistant
    from ingest.embed import Embedder, load_model
    from ingest.index import Index
    from ingest.pipeline import ingest, read_document

    result: dict = {"size": args.size, "mode": args.mode, "load_before": os.getloadavg()[0]}
    embedder = Embedder()
    model = load_model()
    model.encode(["warm up the model and its threads"] * 8)
    corpus, extra = Path(args.corpus), Path(args.extra)
    server = ("127.0.0.1", args.port) if args.mode.startswith("server") else None
    data_dir = Path(args.work) / "instance-1"

    if args.mode == "embedded-live":
        texts = [p.text for path in sorted(corpus.glob("*.txt")) for p in read_document(path)[1]]
        sample = texts[: args.model_sample]
        t = time.perf_counter()
        model.encode(sample, batch_size=embedder.batch_size)
        result["model_rate"] = len(sample) / (time.perf_counter() - t)
        result["model_sample"] = len(sample)

    index = Index(data_dir, server=server)
    cached = CachingEmbedder(embedder, Path(args.cache), live=args.mode == "embedded-live")
    t = time.perf_counter()
    report = ingest([corpus], index, cached)
    seconds = time.perf_counter() - t
    assert not report.failed and report.paragraphs == args.size, report.summary()
    result.update(documents=len(report.added), ingest_s=seconds, ingest_rate=report.paragraphs / seconds)

    assistant = Assistant(index, embedder)
    assistant.ask(QUESTIONS[0])  # warm-up
    latencies = []
    for _ in range(args.rounds):
        for question in QUESTIONS:
            t = time.perf_counter()
            answer = assistant.ask(question)
            latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()
    result.update(answered=sum(1 for q in QUESTIONS if assistant.ask(q).answered), questions=len(latencies),
                  median_ms=statistics.median(latencies),
                  p95_ms=latencies[max(0, int(round(0.95 * len(latencies))) - 1)])
    del answer

    if server:
        second = Index(Path(args.work) / "instance-2", server=server)
        t = time.perf_counter()
        Assistant(second, embedder).ask(QUESTIONS[0])
        result["second_instance_first_answer_s"] = time.perf_counter() - t

    # one more report into the full index, embedded live
    shutil.copy(extra, corpus / extra.name)
    manifest = json.loads((corpus / "manifest.json").read_text())
    manifest[extra.name] = json.loads((extra.parent / "manifest.json").read_text())[extra.name]
    (corpus / "manifest.json").write_text(json.dumps(manifest, indent=1))
    try:
        t = time.perf_counter()
        report = ingest([corpus], index, embedder)
        result["add_one_s"] = time.perf_counter() - t
        result["add_one_paragraphs"] = report.paragraphs
        assert len(report.added) == 1 and not report.failed, report.summary()
        # changed manifest entry replaces nothing else: the other documents are unchanged
        assert len(report.unchanged) == result["documents"], report.summary()
    finally:
        (corpus / extra.name).unlink()
        del manifest[extra.name]
        (corpus / "manifest.json").write_text(json.dumps(manifest, indent=1))

    result["disk_mb"] = disk_mb(data_dir)
    result["peak_mb"] = peak_mb()
    result["load_after"] = os.getloadavg()[0]  # 1-minute load average: 2 cores, so above ~2 means contention
    return result


# -- the orchestrator ---------------------------------------------------------------------------------------

def start_server(path: Path, port: int) -> subprocess.Popen:
    import httpx

    chroma = Path(sys.executable).parent / "chroma"
    process = subprocess.Popen(["nice", str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError("chroma run did not start within 60 s")


def vm_hwm_mb(pid: int) -> float:
    """Peak resident memory of a process and its children (chroma run is `nice` -> chroma)."""
    import psutil

    total = 0.0
    for proc in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


def child(size: int, mode: str, corpus: Path, extra: Path, cache: Path, work: Path, args, port: int = 0) -> dict:
    command = [sys.executable, __file__, "--run", mode, "--size", str(size), "--corpus", str(corpus), "--extra", str(extra),
               "--cache", str(cache), "--work", str(work), "--port", str(port), "--rounds", str(args.rounds),
               "--model-sample", str(args.model_sample)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} at {size} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(folder: Path, size: int, seed: int) -> tuple[Path, Path]:
    """The synthetic corpus of `size` paragraphs (reused when `folder` already holds it) and one more
    report to add to it: the largest document of a small second corpus, renamed so it cannot clash."""
    from synth_corpus import generate

    corpus = folder / f"corpus-{size}"
    if not (corpus / "manifest.json").exists():
        generate(corpus, size, seed=seed)
    extra_dir = folder / f"extra-{size}"
    shutil.rmtree(extra_dir, ignore_errors=True)
    generate(extra_dir, 60, seed=seed + 1000 + size)
    # the generator may end a corpus with a one-paragraph document; a report is the largest one
    extra = max(extra_dir.glob("*.txt"), key=lambda path: path.stat().st_size)
    renamed = extra.with_name("added-" + extra.name)
    extra.rename(renamed)
    manifest = json.loads((extra_dir / "manifest.json").read_text())
    manifest = {renamed.name: manifest[extra.name]}
    (extra_dir / "manifest.json").write_text(json.dumps(manifest))
    return corpus, renamed


def orchestrate(args, folder: Path) -> list[dict]:
    results = []
    for size in args.sizes:
        corpus, extra = prepare(folder, size, args.seed)
        cache = folder / f"vectors-{size}"
        for mode in [m for m in ("embedded-live", "embedded-cached") if m in args.modes]:
            work = folder / f"{mode}-{size}"
            shutil.rmtree(work, ignore_errors=True)
            results.append(child(size, mode, corpus, extra, cache, work, args))
            print(json.dumps(results[-1]), flush=True)
            shutil.rmtree(work, ignore_errors=True)
        if "server-cached" in args.modes:
            store, work, port = folder / f"server-{size}", folder / f"server-cached-{size}", free_port()
            for stale in (store, work):
                shutil.rmtree(stale, ignore_errors=True)
            server = start_server(store, port)
            try:
                result = child(size, "server-cached", corpus, extra, cache, work, args, port)
                result["server_peak_mb"] = vm_hwm_mb(server.pid)
                result["local_disk_mb"] = result["disk_mb"]
                result["disk_mb"] = disk_mb(store) + result["local_disk_mb"]
                results.append(result)
                print(json.dumps(result), flush=True)
            finally:
                server.terminate()
                server.wait(timeout=30)
            shutil.rmtree(store, ignore_errors=True)
            shutil.rmtree(work, ignore_errors=True)
    return results


def table(results: list[dict]) -> str:
    rows = ["| paragraphs | mode | docs | ingest s | ingest para/s | bare model para/s | disk MB | answer median ms | "
            "answer p95 ms | answered /10 | peak MB (app) | peak MB (server) | add one report s | 2nd instance first answer s |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        def f(key, fmt="{:.1f}", r=r):
            return fmt.format(r[key]) if key in r else "–"
        rows.append(f"| {r['size']:,} | {r['mode']} | {r['documents']} | {f('ingest_s')} | {f('ingest_rate')} | "
                    f"{f('model_rate')} | {f('disk_mb')} | {f('median_ms', '{:.0f}')} | {f('p95_ms', '{:.0f}')} | "
                    f"{r['answered']} | {f('peak_mb', '{:.0f}')} | {f('server_peak_mb', '{:.0f}')} | {f('add_one_s')} | "
                    f"{f('second_instance_first_answer_s')} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the 10 questions (default 5)")
    parser.add_argument("--model-sample", type=int, default=2000, help="paragraphs the bare model is timed on")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--keep", type=Path, help="work in this folder and keep its corpora and cached vectors, so a "
                        "later run (e.g. --modes server-cached) reuses them; default: a temporary folder")
    # a child run
    parser.add_argument("--run", help=argparse.SUPPRESS)
    for name in ("--size", "--port"):
        parser.add_argument(name, type=int, help=argparse.SUPPRESS)
    for name in ("--corpus", "--extra", "--cache", "--work"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        args.mode = args.run
        print(json.dumps(run(args)))
        return 0
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        results = orchestrate(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="benchmark-scale-") as tmp:
            results = orchestrate(args, Path(tmp))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
