"""`python -m assistant ask`: one question, or a batch, answered as text or as the JSON contract."""

from __future__ import annotations

import json
import sys

from assistant import settings
from assistant.errors import AssistantError
from assistant.records import Answer
from assistant.retrieve import Filters


def open_assistant():
    """The assistant over the index in the data directory (loads the model); with ASSISTANT_LLM_URL
    set, one whose answers a language model writes and the sources verify."""
    from assistant.answer import Assistant
    from ingest.embed import Embedder
    from ingest.index import Index

    index = Index(settings.data_dir())
    index.require()
    assistant = Assistant(index, Embedder())
    if settings.get("LLM_URL"):
        from assistant.generate import Generator

        return Generator(assistant)  # generated answers, verified; extractive when the model fails
    return assistant


def answer_json(answer: Answer, qid=None) -> dict:
    """The machine-readable contract of DESIGN.md."""
    out = {"id": qid, "question": answer.question, "answer": answer.text, "answered": answer.answered,
           "mode": answer.mode, "citations": []}
    if qid is None:
        del out["id"]
    for c in answer.citations:
        out["citations"].append({
            "marker": c.marker, "source": c.document.id, "document": c.document.title, "publisher": c.document.publisher,
            "date": c.document.date, "paragraph": c.paragraph.label, "text": c.paragraph.text, "quote": c.quote,
        })
    return out


def answer_text(answer: Answer) -> str:
    """A readable answer with a reference list, for a terminal."""
    lines = [answer.text, ""]
    if answer.citations:
        lines.append("References:" if answer.answered else "Related passages:")
    for c in answer.citations:
        assigned = " (number assigned)" if c.paragraph.assigned else ""
        lines.append(f"[{c.marker}] {c.document.publisher}, \u201c{c.document.title}\u201d ({c.document.date or 'undated'}), "
                     f"paragraph {c.paragraph.label}{assigned} \u2014 {c.document.id}")
    return "\n".join(lines)


def cmd_ask(args) -> int:
    filters = Filters(tuple(args.document or ()), tuple(args.publisher or ()), tuple(args.year or ()))
    filters = filters if filters != Filters() else None
    if args.batch:
        try:
            lines = args.batch.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise AssistantError(f"{args.batch}: cannot be read ({exc.strerror})") from exc
        assistant = open_assistant()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                print(f"error: {args.batch} line {number}: not JSON ({exc.msg})", file=sys.stderr)
                continue
            answer = assistant.ask(item.get("question", ""), item.get("history") or [], filters)
            out = answer_json(answer, item.get("id"))
            print(json.dumps(out if args.json else {"id": out["id"], "text": answer_text(answer)}, ensure_ascii=False), flush=True)
        return 0
    if not args.question:
        raise AssistantError("Give a question, e.g. python -m assistant ask \"What did Ofsted say about care leavers?\"")
    answer = open_assistant().ask(args.question, [], filters)
    print(json.dumps(answer_json(answer), ensure_ascii=False) if args.json else answer_text(answer))
    return 0
