"""Load test: simultaneous users asking the web app questions over loopback for a while.

    .venv/bin/python scripts/load_test.py                 # starts app.py on a free port, 20 users, 60 s
    .venv/bin/python scripts/load_test.py --url http://127.0.0.1:7860/ --users 20 --seconds 60

Each user asks one question after another, without pause, through the same `ask` event the Ask
button runs, by Gradio's HTTP API (POST /gradio_api/call/ask, then read the event stream), in a
session of its own as a browser tab is, starting a new one (as a new visit or "New conversation"
does) every --conversation questions; --conversation 1 makes every question a new session, as an
API client sending no session does (Gradio then builds a session's state for each call). The
users are asyncio tasks sharing one httpx client, so that simulating them takes little of the CPU
the app needs (gradio_client spends about 0.1 s of its own per call). Prints answers per second,
median and 95th-percentile latency, and errors. Aim: no errors, p95 under 2 s on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "What did Ofsted say about care leaver accommodation?",
    "How effective is the front door?",
    "What did the 2016 inspection find?",
    "Are children in care living in stable homes?",
    "What did the council say about the 2019 inspection?",
    "How is the workforce doing, and are caseloads manageable?",
    "What progress did the scrutiny panel report in 2026?",
    "What did inspectors say about disabled children?",
    "What was the overall effectiveness judgement in 2024?",
    "What does Ofsted say about pathway plans?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(settings: dict | None = None) -> tuple[subprocess.Popen, str]:
    """app.py in its own process, on a free loopback port, over the index in the data directory
    (`settings`: more environment variables, e.g. {"ASSISTANT_DATA_DIR": ...})."""
    port = free_port()
    env = {**os.environ, "ASSISTANT_PORT": str(port), "ASSISTANT_HOST": "127.0.0.1", "GRADIO_ANALYTICS_ENABLED": "False",
           "HF_HUB_OFFLINE": "1", "ORT_DISABLE_TELEMETRY": "1", **(settings or {})}
    process = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"app.py exited with code {process.returncode}; run it on its own to see why")
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise SystemExit("app.py did not start within 300 s")


async def call(client, url: str, api_name: str, data: list, session: str | None = None) -> list:
    """One call of a Gradio event by its API name (POST /gradio_api/call/NAME, then its event stream),
    in the session given (None: a new one); returns the outputs of its last message."""
    body = {"data": data, **({"session_hash": session} if session else {})}
    response = await client.post(f"{url}gradio_api/call/{api_name}", json=body)
    response.raise_for_status()
    event_id = response.json()["event_id"]
    event = None
    async with client.stream("GET", f"{url}gradio_api/call/{api_name}/{event_id}") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                outputs = json.loads(line[5:]) if line[5:].strip() not in ("", "null") else None
                if event == "error" or not outputs:
                    raise RuntimeError(f"the app answered with an error event: {line[5:200]}")
                return outputs
    raise RuntimeError("the event stream ended without an answer")


async def ask(client, url: str, question: str, session: str | None = None) -> str:
    """One question through the app's `ask` event (no filters), in the session given; returns the answer's Markdown."""
    chat = (await call(client, url, "ask", [question, [], [], [], []], session))[0]
    text = " ".join(part.get("text", "") for part in chat[-1]["content"]) if chat else ""
    if not chat or chat[-1]["role"] != "assistant" or text.startswith("Sorry"):
        raise RuntimeError(f"no answer: {text[:200]}")
    return text


async def run(url: str, users: int, seconds: float, conversation: int = 10) -> tuple[list[float], list[str], float]:
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=4 * users, max_keepalive_connections=2 * users)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await ask(client, url, QUESTIONS[0])  # warm up: model and caches
        began = time.perf_counter()
        until = began + seconds

        async def user(number: int) -> None:
            asked = 0
            while time.perf_counter() < until:
                if asked % conversation == 0:
                    session = uuid.uuid4().hex[:11]
                question = QUESTIONS[(number + asked) % len(QUESTIONS)]
                asked += 1
                start = time.perf_counter()
                try:
                    await ask(client, url, question, session)
                    latencies.append(time.perf_counter() - start)
                except Exception as exc:
                    errors.append(f"user {number}: {type(exc).__name__}: {exc}")

        await asyncio.gather(*(user(n) for n in range(users)))
        return latencies, errors, time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running app, e.g. http://127.0.0.1:7860/; default: start app.py")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--conversation", type=int, default=10, help="questions per session (default 10)")
    args = parser.parse_args()

    process, url = (None, args.url.rstrip("/") + "/") if args.url else start_app()
    try:
        latencies, errors, elapsed = asyncio.run(run(url, args.users, args.seconds, args.conversation))
    finally:
        if process:
            process.terminate()
            process.wait(30)

    print(f"{args.users} users asking for {args.seconds:.0f} s at {url} ({os.cpu_count()} cores), "
          f"{args.conversation} questions a session")
    print(summary(latencies, errors, elapsed))
    return 1 if errors else 0


def summary(latencies: list[float], errors: list[str], elapsed: float) -> str:
    """Answers per second, median and 95th-percentile latency, and errors (the first ten), as lines."""
    lines = [f"answers: {len(latencies)} ({len(latencies) / elapsed:.1f} per second)"]
    if latencies:
        ordered = sorted(latencies)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        lines.append(f"latency: median {statistics.median(ordered):.2f} s, 95th percentile {p95:.2f} s, max {ordered[-1]:.2f} s")
    lines.append(f"errors: {len(errors)}")
    lines += [f"  {line}" for line in errors[:10]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
