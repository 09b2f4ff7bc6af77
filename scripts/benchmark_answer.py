"""Answer latency: time from process start to the first answer, then per-question latency after
warm-up (median and 95th percentile) over the index in ASSISTANT_DATA_DIR (build it first with
`python -m ingest`). A script that prints figures, not a timed test."""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import statistics  # noqa: E402

QUESTIONS = [
    "What did Ofsted say about care leaver accommodation?",
    "How are disabled children supported?",
    "What has the council done about foster carer recruitment since the inspection?",
    "What did the press report in 2016?",
    "How effective is the out-of-hours service?",
    "What did the monitoring visit say about case notes?",
    "What are the sufficiency challenges?",
    "How has the judgement changed since 2019?",
    "What does the council say about neglect?",
    "What is the average caseload of a social worker?",
]


def main(rounds: int = 5) -> None:
    from assistant.ask import open_assistant

    assistant = open_assistant()
    assistant.ask(QUESTIONS[0])
    first = time.perf_counter() - STARTED
    latencies = []
    for _ in range(rounds):
        for question in QUESTIONS:
            t = time.perf_counter()
            assistant.ask(question)
            latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()
    p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)]
    print(f"process start to first answer: {first:.2f} s")
    print(f"questions: {len(latencies)} after warm-up; median {statistics.median(latencies):.1f} ms; "
          f"95th percentile {p95:.1f} ms; max {latencies[-1]:.1f} ms")


if __name__ == "__main__":
    main()
