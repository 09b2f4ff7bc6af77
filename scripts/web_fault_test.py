"""Fault test of the web app and the batch CLI: what held, against a real app.py on loopback.

    .venv/bin/python scripts/web_fault_test.py                 # about 9 minutes on 2 cores
    .venv/bin/python scripts/web_fault_test.py --rounds 1 --seconds 20   # a quick look

Over a copy of the index in the data directory (or one built from corpus/ in a temporary folder),
through the raw HTTP API any local client can use (POST /gradio_api/upload, /gradio_api/call/...):

- uploads with no login: a second file of the same name, the same file again;
- uploads with a login and ASSISTANT_UPLOADERS: no login, a user not named, a named user;
- four 10-million-character questions at once while a normal one is timed;
- 200 wrong passwords, then the right one, then the right one after the lock;
- odd --batch lines, and app.py on a port already in use;
- the app's memory before and after rounds of 20 users asking (scripts/load_test.py), then 50 users.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_test  # noqa: E402

sys.path.insert(0, str(load_test.PROJECT_ROOT))
from app import LOCKOUT_SECONDS, SESSIONS  # noqa: E402

PROJECT_ROOT = load_test.PROJECT_ROOT
ENV = {"HF_HUB_OFFLINE": "1", "ORT_DISABLE_TELEMETRY": "1", "GRADIO_ANALYTICS_ENABLED": "False"}


def held(ok: bool, what: str) -> bool:
    print(f"  [{'held' if ok else 'FAILED'}] {what}", flush=True)
    return ok


def plain(html_text) -> str:
    return re.sub(r"<[^>]+>", "", str(html_text or "")).replace("&#x27;", "'").replace("&quot;", '"')


def rss_mb(process: subprocess.Popen) -> float:
    return psutil.Process(process.pid).memory_info().rss / 1e6


async def add_report(client, url: str, path: Path, title: str, publisher: str = "Ofsted") -> str:
    """Upload a file and add it as a report, as the issue's reproduction did; returns the status (or the HTTP refusal)."""
    response = await client.post(f"{url}gradio_api/upload", files={"files": (path.name, path.read_bytes())})
    if response.status_code != 200:
        return f"upload refused: HTTP {response.status_code}"
    file_data = {"path": response.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}
    try:
        outputs = await load_test.call(client, url, "add_report", [file_data, title, publisher, "2025-05", "inspection report"])
    except httpx.HTTPStatusError as exc:
        return f"call refused: HTTP {exc.response.status_code}"
    return plain(outputs[0])


async def log_in(client, url: str, user: str, password: str) -> int:
    return (await client.post(f"{url}login", data={"username": user, "password": password})).status_code


def registry(data: Path) -> dict:
    return json.loads((data / "registry.json").read_text(encoding="utf-8"))["documents"]


# -- the cases --------------------------------------------------------------------------------------


async def anonymous_uploads(url: str, data: Path, work: Path) -> list[bool]:
    print("Uploads with no login (default settings):")
    (work / "a").mkdir()
    (work / "b").mkdir()
    first, second = work / "a" / "same-name.txt", work / "b" / "same-name.txt"
    first.write_text("Testshire news\n\nThe first report says the library is open.\n", encoding="utf-8")
    second.write_text("Testshire news\n\nThe second report says Ofsted rated everything outstanding.\n", encoding="utf-8")
    async with httpx.AsyncClient(timeout=120) as client:
        one = await add_report(client, url, first, "First upload")
        two = await add_report(client, url, second, "Second upload, same name")
        again = await add_report(client, url, first, "The first again")
    print(f"    first: {one}\n    second: {two}\n    same file again: {again}")
    entries = registry(data)
    first_entry = next((e for e in entries.values() if e["title"] == "First upload"), {})
    return [
        held("as same-name-2.txt" in two,
             "a second file of the same name is saved under a new name, not over the first"),
        held("library is open" in (data / "uploads" / "same-name.txt").read_text(encoding="utf-8"),
             "the first file is untouched"),
        held("already in the library" in again and not any(e["title"] == "The first again" for e in entries.values()),
             "the same file again is refused"),
        held(first_entry.get("added_by") == "anonymous" and bool(first_entry.get("added_at")),
             f"who and when are recorded: added_by={first_entry.get('added_by')!r}, added_at={first_entry.get('added_at')!r}"),
    ]


async def login_uploads(url: str, data: Path, work: Path) -> list[bool]:
    print("Uploads with ASSISTANT_AUTH=editor:...,reader:... and ASSISTANT_UPLOADERS=editor:")
    report = work / "login-report.txt"
    report.write_text("Testshire news\n\nA report added by a named user.\n", encoding="utf-8")
    before = len(registry(data))
    results = []
    async with httpx.AsyncClient(timeout=120) as anonymous:
        status = await add_report(anonymous, url, report, "No login")
        results.append(held(status.startswith("upload refused: HTTP 401") and len(registry(data)) == before,
                            f"no login: {status}"))
        call = await anonymous.post(f"{url}gradio_api/call/add_report", json={"data": [None, "t", "Ofsted", "", "press"]})
        results.append(held(call.status_code == 401, f"no login, calling add_report directly: HTTP {call.status_code}"))
    for user, password, may in (("reader", "rd-pass", False), ("editor", "ed-pass", True)):
        async with httpx.AsyncClient(timeout=120) as client:
            await log_in(client, url, user, password)
            status = await add_report(client, url, report, f"Added by {user}")
        entry = next((e for e in registry(data).values() if e["title"] == f"Added by {user}"), None)
        ok = (entry is not None and entry.get("added_by") == user) if may else (entry is None and "may not add" in status)
        results.append(held(ok, f"{user}: {status}"))
    return results


async def oversize_questions(url: str, process: subprocess.Popen) -> list[bool]:
    print("Four 10-million-character questions at once, a normal question timed meanwhile:")
    async with httpx.AsyncClient(timeout=300) as client:
        began = time.perf_counter()
        await load_test.ask(client, url, load_test.QUESTIONS[0])
        idle = time.perf_counter() - began
        huge = "care leavers " * 800_000

        async def timed_normal() -> float:
            await asyncio.sleep(0.2)  # once the big ones are in
            began = time.perf_counter()
            await load_test.ask(client, url, load_test.QUESTIONS[0])
            return time.perf_counter() - began

        *refusals, during = await asyncio.gather(
            *(client.post(f"{url}gradio_api/call/ask", json={"data": [huge, [], [], [], []]}) for _ in range(4)), timed_normal())
        # the ask event's outputs, less its states: chat, question box, sources, selected, status, source panel
        long_one = plain((await load_test.call(client, url, "ask", ["care leavers " * 2_000, [], [], [], []]))[-2])
    print(f"    idle: {idle:.2f} s; during: {during:.2f} s; the big ones were told: HTTP {refusals[0].status_code} "
          f"{refusals[0].text}")
    print(f"    a 26,000-character question was told: {long_one}")
    print(f"    app memory afterwards: {rss_mb(process):.0f} MB")
    return [held(all(r.status_code == 413 for r in refusals), "each 10-million-character request is refused unread"),
            held("limited to 1,000 characters" in long_one, "a question over 1,000 characters is refused with a message"),
            held(during < 2.0, f"the normal question is answered in {during:.2f} s (under 2 s)")]


async def login_loop(url: str, lockout: float) -> list[bool]:
    print("200 wrong passwords, then the right one (ASSISTANT_AUTH set):")
    async with httpx.AsyncClient(timeout=120) as client:
        began = time.perf_counter()
        codes = await asyncio.gather(*(log_in(client, url, "editor", f"guess-{n}") for n in range(200)))
        took = time.perf_counter() - began
        right_at_once = await log_in(client, url, "editor", "ed-pass")
        print(f"    200 wrong in {took:.1f} s: {codes.count(400)} refused; the right one at once: HTTP {right_at_once}")
        await asyncio.sleep(lockout + 1)
        right_later = await log_in(client, url, "editor", "ed-pass")
        print(f"    the right one after {lockout:.0f} s: HTTP {right_later}")
    return [held(codes.count(400) == 200 and right_at_once == 400, "all wrong ones refused, and the right one while locked"),
            held(took >= 1.0, f"each wrong password waits: 200 took {took:.1f} s, not 2.2 s"),
            held(right_later == 200, "the right password works once the lock is over")]


def before_login(url: str, data: Path) -> list[bool]:
    print("The login page, before login:")
    page = httpx.get(url).text
    names = [(doc_id, entry["title"]) for doc_id, entry in registry(data).items()]
    leaked = [n for doc_id, title in names for n in (doc_id, title, Path(doc_id).name) if n in page]
    leaked += [str(data)] if str(data) in page else []
    return [held(not leaked, f"names no document, file or server path ({len(page):,} characters; found: {leaked[:3]})")]


def batch_lines(data: Path, work: Path) -> list[bool]:
    print("Odd --batch lines (one output line each, the batch goes on):")
    lines = ['{"id": "q1", "question": 5}', '{"id": "q2", "question": "care leavers?", "history": "text"}',
             '["a", "list"]', '"a string"', '{"id": "q5", "question": ', '{"id": "good", "question": "What did Ofsted say about pathway plans?"}']
    batch = work / "odd.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "assistant", "ask", "--json", "--batch", str(batch)], cwd=PROJECT_ROOT,
                            env={**os.environ, **ENV, "ASSISTANT_DATA_DIR": str(data)}, capture_output=True, text=True, timeout=300)
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    for out in outputs:
        print(f"    {out.get('error') or ('answered ' + str(out.get('id')) if out.get('answered') else out)}")
    return [held(len(outputs) == len(lines) and all("error" in o for o in outputs[:-1]) and outputs[-1].get("answered")
                 and "Traceback" not in result.stderr, "each odd line got one line, and the good line after them its answer")]


def port_in_use(data: Path) -> list[bool]:
    print("app.py on a port already in use:")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "app.py"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                                env={**os.environ, **ENV, "ASSISTANT_DATA_DIR": str(data), "ASSISTANT_PORT": str(port)})
    print(f"    {result.stderr.strip()}")
    return [held(len(result.stderr.strip().splitlines()) == 1 and "already in use" in result.stderr, "one clear line")]


def memory_rounds(url: str, process: subprocess.Popen, rounds: int, seconds: float) -> list[bool]:
    print(f"Memory: {rounds} rounds of 20 users asking for {seconds:.0f} s, then 50 users:")
    cold = rss_mb(process)
    # warm up first, so that "before" counts what load keeps, not the caches and arenas the first answers
    # fill: a new session for every question until Gradio's store of sessions is full (app.SESSIONS, the
    # least recently used dropped beyond it), as it is on any server that has been up a while
    warm, _, _ = asyncio.run(load_test.run(url, 20, 2 * SESSIONS / 10, conversation=1))
    start = rss_mb(process)
    print(f"    before: {cold:.0f} MB; after {len(warm)} sessions of one question each, warming up "
          f"(the app keeps {SESSIONS}): {start:.0f} MB", flush=True)
    p95_ok, errors_ok, peak = True, True, start
    for n in range(1, rounds + 1):
        latencies, errors, elapsed = asyncio.run(load_test.run(url, 20, seconds))
        peak = max(peak, rss_mb(process))
        print(f"    round {n}: {rss_mb(process):.0f} MB; " + load_test.summary(latencies, errors, elapsed).replace("\n", "; "), flush=True)
        ordered = sorted(latencies)
        p95_ok &= bool(ordered) and ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] < 2.0
        errors_ok &= not errors
    time.sleep(20)
    idle = rss_mb(process)
    print(f"    20 s idle after: {idle:.0f} MB")
    latencies, errors, elapsed = asyncio.run(load_test.run(url, 50, seconds))
    print(f"    50 users: {rss_mb(process):.0f} MB; " + load_test.summary(latencies, errors, elapsed).replace("\n", "; "))
    print(f"    from before the warm-up: {cold:.0f} -> at most {peak:.0f} MB ({100 * (peak / cold - 1):+.1f}%)")
    return [held(peak <= 1.10 * start, f"memory within 10% after the warm-up: {start:.0f} -> at most {peak:.0f} MB "
                                       f"({100 * (peak / start - 1):+.1f}%)"),
            held(errors_ok and not errors, "no errors (20 and 50 users)"),
            held(p95_ok, "20 users' 95th percentile under 2 s in every round")]


# -- running ------------------------------------------------------------------------------------------


def index_copy(work: Path, source: Path | None) -> Path:
    """A copy of an index to change, or a fresh one built from corpus/."""
    data = work / "data"
    if source and (source / "registry.json").exists():
        shutil.copytree(source, data)
        return data
    print("Building an index of corpus/ to test against...", flush=True)
    subprocess.run([sys.executable, "-m", "ingest"], cwd=PROJECT_ROOT, check=True, capture_output=True,
                   env={**os.environ, **ENV, "ASSISTANT_DATA_DIR": str(data)})
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("ASSISTANT_DATA_DIR", PROJECT_ROOT / "data")),
                        help="an index to copy (default: the data directory); built from corpus/ when it has none")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()

    results: list[bool] = []
    with tempfile.TemporaryDirectory(prefix="web-fault-") as tmp:
        work = Path(tmp)
        data = index_copy(work, args.data)
        results += batch_lines(data, work)
        results += port_in_use(data)

        process, url = load_test.start_app({**ENV, "ASSISTANT_DATA_DIR": str(data)})
        try:
            results += asyncio.run(anonymous_uploads(url, data, work))
            results += asyncio.run(oversize_questions(url, process))
            results += memory_rounds(url, process, args.rounds, args.seconds)
        finally:
            process.terminate()
            process.wait(30)

        login_data = work / "login-data"
        shutil.copytree(data, login_data)
        settings = {**ENV, "ASSISTANT_DATA_DIR": str(login_data), "ASSISTANT_AUTH": "editor:ed-pass,reader:rd-pass",
                    "ASSISTANT_UPLOADERS": "editor"}
        process, url = load_test.start_app(settings)
        try:
            results += before_login(url, login_data)
            results += asyncio.run(login_uploads(url, login_data, work))
            results += asyncio.run(login_loop(url, lockout=LOCKOUT_SECONDS))
        finally:
            process.terminate()
            process.wait(30)
    print(f"\n{results.count(True)} of {len(results)} held")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
