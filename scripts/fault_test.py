"""Robustness under load and faults, with figures (a script, not a timed test):

1. questions answered while an ingest runs in another process;
2. the Chroma server stopped and restarted while questions are asked (server mode);
3. an ingest killed half way, then run again.

    .venv/bin/python scripts/fault_test.py --paragraphs 1000

Two writers at once, a Chroma server killed mid-ingest and bad input: scripts/writers_test.py.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "scripts"))

from benchmark_scale import QUESTIONS  # noqa: E402
from synth_corpus import generate  # noqa: E402

from assistant.answer import Assistant  # noqa: E402
from assistant.errors import AssistantError, StoreUnavailable  # noqa: E402
from ingest.embed import Embedder  # noqa: E402
from ingest.index import Index  # noqa: E402
from ingest.pipeline import ingest  # noqa: E402

CORPUS = PROJECT_ROOT / "corpus"


def chroma_run(path: Path, port: int | None = None) -> tuple[subprocess.Popen, int]:
    """`chroma run` on loopback (a free port unless given), once it answers."""
    import socket

    import httpx

    if port is None:
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


def ingest_process(data: Path, corpus: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ingest", str(corpus)], cwd=PROJECT_ROOT,
                            env={**os.environ, "ASSISTANT_DATA_DIR": str(data), **(env or {})},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ask_until(assistant: Assistant, stop: threading.Event | float) -> dict:
    """Ask questions in a loop until the event is set (or the deadline passes); count outcomes."""
    counts = {"answered": 0, "clear errors": 0, "other errors": 0, "latencies": []}
    n = 0
    while not (stop.is_set() if isinstance(stop, threading.Event) else time.monotonic() > stop):
        started = time.perf_counter()
        try:
            assistant.ask(QUESTIONS[n % len(QUESTIONS)])
            counts["answered"] += 1
            counts["latencies"].append(time.perf_counter() - started)
        except AssistantError:
            counts["clear errors"] += 1
            time.sleep(0.2)
        except Exception as exc:  # what the user must never see
            counts["other errors"] += 1
            print("   unexpected:", type(exc).__name__, exc)
        n += 1
    return counts


def summary(counts: dict) -> str:
    latencies = sorted(counts["latencies"]) or [0.0]
    return (f"{counts['answered']} answered (median {1000 * latencies[len(latencies) // 2]:.0f} ms, "
            f"max {1000 * latencies[-1]:.0f} ms), {counts['clear errors']} clear errors, "
            f"{counts['other errors']} other errors")


def counts_of(index: Index) -> dict[str, int]:
    return {doc_id: len(index.paragraphs(doc_id)) for doc_id in index.documents()}


def during_ingest(work: Path, synthetic: Path, embedder: Embedder) -> None:
    data = work / "during"
    index = Index(data, server=None)
    ingest([CORPUS], index, embedder)
    process = ingest_process(data, synthetic)
    done = threading.Event()
    threading.Thread(target=lambda: (process.wait(), done.set()), daemon=True).start()
    started = time.monotonic()
    counts = ask_until(Assistant(index, embedder), done)
    print(f"1. while an ingest of {synthetic.name} ran ({time.monotonic() - started:.0f} s, exit {process.returncode}): "
          f"{summary(counts)}; documents after: {len(index.documents())}")


def server_restart(work: Path, embedder: Embedder) -> None:
    server, port = chroma_run(work / "server-store")
    index = Index(work / "server-instance", server=("127.0.0.1", port))
    ingest([CORPUS], index, embedder)
    before = counts_of(index)
    assistant = Assistant(index, embedder)
    up = ask_until(assistant, time.monotonic() + 10)
    server.terminate()
    server.wait()
    down = ask_until(assistant, time.monotonic() + 10)
    message = ""
    try:
        assistant.ask(QUESTIONS[0])
    except StoreUnavailable as exc:
        message = str(exc)
    restarted = time.monotonic()
    server, _ = chroma_run(work / "server-store", port)
    again = ask_until(assistant, time.monotonic() + 15)
    time.sleep(1.1)
    after = counts_of(index)
    server.terminate()
    server.wait()
    print(f"2. server up 10 s: {summary(up)}\n   server stopped 10 s: {summary(down)}\n"
          f"   the message: {message}\n   restarted (15 s from {time.monotonic() - restarted:.0f} s ago): {summary(again)}\n"
          f"   paragraphs per document before and after: {'the same' if before == after else 'DIFFERENT'} "
          f"({sum(after.values())} paragraphs in {len(after)} documents)")


def killed_ingest(work: Path, synthetic: Path, embedder: Embedder) -> None:
    data = work / "killed"
    index = Index(data, server=None)
    ingest([CORPUS], index, embedder)
    before = counts_of(index)
    process = ingest_process(data, synthetic)
    time.sleep(12)
    process.send_signal(signal.SIGKILL)
    process.wait()
    fresh = Index(data, server=None)  # as a restarted app would open it
    answer = Assistant(fresh, embedder).ask(QUESTIONS[0])
    still_open = Assistant(index, embedder).ask(QUESTIONS[0])  # the index this process had open throughout
    print(f"3. ingest killed after 12 s: documents {len(fresh.documents())} (before: {len(before)}), "
          f"previous paragraphs {'intact' if {d: n for d, n in counts_of(fresh).items() if d in before} == before else 'CHANGED'}, "
          f"answers: {'yes' if answer.answered else 'no'} (an index open throughout: {'yes' if still_open.answered else 'no'})")
    started = time.perf_counter()
    report = ingest([synthetic], fresh, embedder)
    records = fresh.collection("paragraphs").count()
    expected = sum(counts_of(fresh).values())
    print(f"   rerun: {report.summary()} in {time.perf_counter() - started:.0f} s; paragraph records {records}, "
          f"registry paragraphs {expected}: {'no duplicates' if records == expected else 'DUPLICATES'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=1000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="faults-"))
    synthetic = generate(work / f"synthetic-{args.paragraphs}", args.paragraphs)
    embedder = Embedder()
    during_ingest(work, synthetic, embedder)
    server_restart(work, embedder)
    killed_ingest(work, synthetic, embedder)


if __name__ == "__main__":
    main()
