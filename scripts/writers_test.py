"""Writers that meet and inputs that must get one line, run for real, with what held (issue 13, ingest side):

1. two `python -m ingest` processes on one index, the second started 0, 2, 5 and 10 s after the first,
   in embedded and server (`chroma run`) modes: exit codes, whether the second waited, and afterwards
   every registered paragraph searched for by its own vector, the store checked against the registry,
   and a question about each folder answered from it;
2. an in-process ingest (as the web app's upload runs it) during a CLI ingest;
3. for comparison, two writers with the lock taken away (what happened before it), then what the next
   ingest's check of the store found and repaired;
4. a Chroma server killed mid-ingest: the line the ingest printed, and the rerun;
5. bad input: each case and the line it got.

    .venv/bin/python scripts/writers_test.py                    # about 20 minutes on 2 cores
    .venv/bin/python scripts/writers_test.py --offsets 0 5 --unlocked-paragraphs 0   # quicker
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "scripts"))

from fault_test import chroma_run  # noqa: E402
from synth_corpus import generate  # noqa: E402

from assistant.answer import Assistant  # noqa: E402
from assistant.errors import AssistantError  # noqa: E402
from ingest.embed import Embedder  # noqa: E402
from ingest.index import Index  # noqa: E402
from ingest.pipeline import ingest  # noqa: E402

CORPUS = PROJECT_ROOT / "corpus"
FIXTURES = PROJECT_ROOT / "tests" / "data"
QUESTIONS = {"corpus": "What did Ofsted say about care leavers living in bed and breakfast accommodation?",
             "fixtures": "Who agreed a joint protocol on homes for care leavers?"}
WAITING = "another ingest is running"
# the same ingest with the writer lock taken away: how two writers met before there was one
UNLOCKED = ("import contextlib, sys; from ingest import __main__ as cli, index; "
            "index.Index.writer_lock = lambda self: type('NoLock', (), {'held': lambda s, *a: contextlib.nullcontext()})(); "
            "sys.exit(cli.main(sys.argv[1:]))")


def run_ingest(folder: Path, env: dict, unlocked: bool = False) -> subprocess.Popen:
    command = [sys.executable, "-c", UNLOCKED] if unlocked else [sys.executable, "-m", "ingest"]
    return subprocess.Popen([*command, "--quiet", str(folder)], cwd=PROJECT_ROOT, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip() and "Loading weights" not in line]
    return lines[-1] if lines else "(nothing)"


def unfindable(index: Index) -> int:
    """Registered paragraphs that a search for their own vector (their first chunk's) does not return."""
    missing = 0
    for entry in index.entries().values():
        pids = [f"{entry['version']}#{n}" for n in range(entry["paragraphs"])]
        got = index.collection("chunks").get(ids=[f"{pid}.c0" for pid in pids], include=["embeddings"])
        vectors = dict(zip(got["ids"], got["embeddings"]))
        missing += sum(f"{pid}.c0" not in vectors or pid not in index.dense_search(vectors[f"{pid}.c0"], k=10)
                       for pid in pids)
    return missing


def what_users_see(index: Index, embedder: Embedder, folders: tuple[str, ...] = ("corpus", "fixtures")) -> str:
    """Documents and paragraphs registered, how many a search for their own vector misses, the store's
    check against the registry, and whether each folder ingested answers its question."""
    try:
        entries = index.entries()
        answered = []
        for folder in folders:
            question = QUESTIONS[folder]
            answer = Assistant(index, embedder).ask(question)
            answered.append(f"{folder} {'yes' if any(c.document.id.startswith(folder + '/') for c in answer.citations) else 'NO'}")
        damaged = index.verify()
        return (f"{len(entries)} documents, {sum(e['paragraphs'] for e in entries.values())} paragraphs; "
                f"not found by their own vector: {unfindable(index)}; store check: "
                f"{'whole' if not damaged else f'{len(damaged)} damaged'}; answers from {', '.join(answered)}")
    except Exception as exc:  # what a damaged index shows its users
        return f"the index fails: {type(exc).__name__}: {str(exc)[:120]}"


def two_writers(work: Path, embedder: Embedder, offsets: list[float], server: bool) -> None:
    mode = "server" if server else "embedded"
    for offset in offsets:
        run = work / f"{mode}-{offset:g}"
        corpus, fixtures = run / "corpus", run / "fixtures"
        shutil.copytree(CORPUS, corpus)
        shutil.copytree(FIXTURES, fixtures)
        env = {"ASSISTANT_DATA_DIR": str(run / "data")}
        chroma = None
        if server:
            chroma, port = chroma_run(run / "store")
            env |= {"ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": str(port)}
        started = time.monotonic()
        first = run_ingest(corpus, env)
        time.sleep(offset)
        second = run_ingest(fixtures, env)
        (_, err1), (out2, err2) = first.communicate(), second.communicate()
        elapsed = time.monotonic() - started
        index = Index(run / "data", server=("127.0.0.1", port) if server else None)
        waits = [f"the {which} (pid {p.pid}) waited: {line}" for which, p, err in
                 (("first", first, err1), ("second", second, err2)) for line in err.splitlines() if WAITING in line]
        print(f"  {mode}, second started {offset:g} s after the first: exits {first.returncode}/{second.returncode}, "
              f"{elapsed:.0f} s; {'; '.join(waits) or 'NEITHER WAITED'}; "
              f"second: {last_line(out2)}\n    after: {what_users_see(index, embedder)}")
        if chroma:
            chroma.terminate()
            chroma.wait()


def upload_during_cli(work: Path, embedder: Embedder) -> None:
    run = work / "upload"
    shutil.copytree(CORPUS, run / "corpus")
    shutil.copytree(FIXTURES, run / "fixtures")
    cli = run_ingest(run / "corpus", {"ASSISTANT_DATA_DIR": str(run / "data")})
    lock = run / "data" / "ingest.lock"
    while not (lock.exists() and lock.read_text().strip()) and cli.poll() is None:
        time.sleep(0.1)
    notices: list[str] = []
    index = Index(run / "data", server=None)
    report = ingest([run / "fixtures" / "blog-post.md"], index, embedder, notice=notices.append)
    cli.communicate()
    print(f"  upload (in-process ingest) during a CLI ingest: upload {report.summary()}; notice: "
          f"{notices[0] if notices else '(none)'}; CLI exit {cli.returncode}\n    after: {what_users_see(index, embedder)}")


def unlocked_writers(work: Path, embedder: Embedder, paragraphs: int) -> None:
    run = work / "unlocked"
    data = run / "data"
    subprocess.run([sys.executable, "-m", "ingest", "--quiet", str(CORPUS)], cwd=PROJECT_ROOT,
                   env={**os.environ, "ASSISTANT_DATA_DIR": str(data)}, capture_output=True)
    first, second = generate(run / "a", paragraphs, seed=3), generate(run / "b", paragraphs, seed=4)
    processes = [run_ingest(first, {"ASSISTANT_DATA_DIR": str(data)}, unlocked=True)]
    time.sleep(8)
    processes.append(run_ingest(second, {"ASSISTANT_DATA_DIR": str(data)}, unlocked=True))
    exits = [p.wait() for p in processes]
    print(f"  two {paragraphs}-paragraph ingests without the lock (second 8 s after the first), exits {exits}:\n"
          f"    after: {what_users_see(Index(data, server=None), embedder, ('corpus',))}")
    report = subprocess.run([sys.executable, "-m", "ingest", "--quiet", str(CORPUS)], cwd=PROJECT_ROOT,
                            env={**os.environ, "ASSISTANT_DATA_DIR": str(data)}, capture_output=True, text=True)
    fixed = Index(data, server=None)
    print(f"    the next `python -m ingest corpus`: {last_line(report.stdout)}"
          + "".join(f"\n      {line[:200]}" for line in report.stderr.splitlines() if line.startswith("failed:"))
          + f"\n    after it (in this process, which had the damaged store open): {what_users_see(fixed, embedder, ('corpus',))}")


def server_killed(work: Path, embedder: Embedder) -> None:
    run = work / "killed-server"
    chroma, port = chroma_run(run / "store")
    env = {"ASSISTANT_DATA_DIR": str(run / "data"), "ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": str(port)}
    watcher = Index(run / "watcher", server=("127.0.0.1", port))
    process = run_ingest(CORPUS, env)
    registry = watcher.client.get_or_create_collection("documents", embedding_function=None)
    while registry.count() < 2 and process.poll() is None:
        time.sleep(0.2)
    chroma.send_signal(signal.SIGKILL)
    chroma.wait()
    _, err = process.communicate()
    print(f"  Chroma server killed after 2 documents were registered: exit {process.returncode}\n    {last_line(err)}")
    chroma, _ = chroma_run(run / "store", port)
    index = Index(run / "data", server=("127.0.0.1", port))
    notices: list[str] = []
    report = ingest([CORPUS], index, embedder, notice=notices.append)
    print(f"    server restarted, the same ingest again: {report.summary()} (waited: {notices or 'no'})\n"
          f"    after: {what_users_see(index, embedder, ('corpus',))}")
    chroma.terminate()
    chroma.wait()


def bad_inputs(work: Path) -> None:
    run = work / "bad"
    folder = run / "incoming"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "press-article.txt", folder / "press-article.txt")
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "etc").symlink_to("/etc", target_is_directory=True)
    huge = run / "huge" / "huge.txt"
    huge.parent.mkdir()
    with open(huge, "wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse
    data = run / "data"
    subprocess.run([sys.executable, "-m", "ingest", "--quiet", str(FIXTURES / "blog-post.md")], cwd=PROJECT_ROOT,
                   env={**os.environ, "ASSISTANT_DATA_DIR": str(data)}, capture_output=True)
    broken = run / "broken-data"
    shutil.copytree(data, broken)
    registry = broken / "registry.json"
    registry.write_text(registry.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    damaged = registry.read_bytes()
    cases = [
        ("a folder with a link to /etc/passwd and a link to /etc", ["ingest", folder], {}),
        ("a 2 GB file, limit 50 MB", ["ingest", huge], {}),
        ("ASSISTANT_MAX_FILE_MB=abc", ["ingest", folder / "press-article.txt"], {"ASSISTANT_MAX_FILE_MB": "abc"}),
        ("ASSISTANT_CHROMA_PORT=abc", ["ingest", folder / "press-article.txt"],
         {"ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": "abc"}),
        ("registry.json cut short: ingest", ["ingest", FIXTURES], {"ASSISTANT_DATA_DIR": str(broken)}),
        ("registry.json cut short: ask", ["assistant", "ask", "Who agreed a joint protocol?"], {"ASSISTANT_DATA_DIR": str(broken)}),
    ]
    for name, (module, *args), env in cases:
        started = time.perf_counter()
        result, peak = run_measured([sys.executable, "-m", module, *(["--quiet"] if module == "ingest" else []),
                                     *map(str, args)], {"ASSISTANT_DATA_DIR": str(data), **env})
        seconds = time.perf_counter() - started
        lines = [line for line in result.stderr.splitlines() if line.startswith(("failed:", "error:"))]
        traceback = "TRACEBACK" if "Traceback" in result.stderr else "no traceback"
        print(f"  {name}: exit {result.returncode}, {traceback}, {seconds:.1f} s, peak {peak:.0f} MB"
              + "".join(f"\n    {line[:240]}" for line in lines or [last_line(result.stderr)]))
    print(f"  the damaged registry afterwards: {'unchanged' if registry.read_bytes() == damaged else 'CHANGED'}; "
          f"the good index still answers: {answers_from(data)}")


def run_measured(command: list[str], env: dict) -> tuple[subprocess.CompletedProcess, float]:
    """Run a command to its end; its result and its peak resident memory in MB (sampled every 50 ms)."""
    import psutil

    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    peak, watched = 0, psutil.Process(process.pid)
    reader = {}
    collect = threading.Thread(target=lambda: reader.update(out=process.communicate()))
    collect.start()
    while collect.is_alive():
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.Error:
            pass
        collect.join(0.05)
    out, err = reader["out"]
    return subprocess.CompletedProcess(command, process.returncode, out, err), peak / 1024**2


def answers_from(data: Path) -> str:
    try:
        index = Index(data, server=None)
        return f"yes ({len(index.entries())} documents)" if index.entries() else "no documents"
    except AssistantError as exc:
        return f"no: {exc}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offsets", type=float, nargs="+", default=[0, 2, 5, 10])
    parser.add_argument("--unlocked-paragraphs", type=int, default=400, help="0 to leave the lock-free comparison out")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="writers-"))
    embedder = Embedder()
    print("1. two ingests at once (corpus/ and tests/data/, copied)")
    two_writers(work, embedder, args.offsets, server=False)
    two_writers(work, embedder, args.offsets, server=True)
    print("2. an upload during a CLI ingest")
    upload_during_cli(work, embedder)
    if args.unlocked_paragraphs:
        print("3. for comparison: two writers with the lock taken away, then the next ingest")
        unlocked_writers(work, embedder, args.unlocked_paragraphs)
    print("4. a Chroma server killed mid-ingest")
    server_killed(work, embedder)
    print("5. bad input")
    bad_inputs(work)


if __name__ == "__main__":
    main()
