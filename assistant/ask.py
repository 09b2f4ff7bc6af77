"""`python -m assistant ask`: one question, or a batch, answered as text or as the JSON contract."""

from __future__ import annotations

import json

from assistant import settings
from assistant.errors import AssistantError
from assistant.present import uploaded
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
    """The machine-readable contract of docs/design.md."""
    out = {"id": qid, "question": answer.question, "answer": answer.text, "answered": answer.answered,
           "mode": answer.mode, "places": list(answer.places), "citations": []}
    if qid is None:
        del out["id"]
    for c in answer.citations:
        out["citations"].append({
            "marker": c.marker, "source": c.document.id, "document": c.document.title, "publisher": c.document.publisher,
            "place": c.document.place, "date": c.document.date, "paragraph": c.paragraph.label, "text": c.paragraph.text, "quote": c.quote,
        })
    return out


def answer_text(answer: Answer) -> str:
    """A readable answer with a reference list, for a terminal."""
    lines = [answer.text, ""]
    if answer.citations:
        lines.append("References:" if answer.answered else "Related passages:")
    for c in answer.citations:
        assigned = " (number assigned)" if c.paragraph.assigned else ""
        upload = f", {uploaded(c.document)}" if c.document.added_by else ""
        lines.append(f"[{c.marker}] {c.document.publisher}, \u201c{c.document.title}\u201d ({c.document.date or 'undated'}), "
                     f"paragraph {c.paragraph.label}{assigned} \u2014 {c.document.id}{upload}")
    return "\n".join(lines)


def json_kind(value) -> str:
    """What a JSON value is, in a user's words."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return json.dumps(value)
    if value == "":
        return "empty"
    return {str: "text", int: "a number", float: "a number", list: "a list", dict: "an object"}[type(value)]


def parse_json(line: str):
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise AssistantError(f"not JSON ({exc.msg}, column {exc.colno})") from exc


def batch_question(item) -> tuple[str, list[dict]]:
    """A --batch line's question and history, from its JSON; an AssistantError says what is wrong with it."""
    if not isinstance(item, dict):
        raise AssistantError(f'{json_kind(item)}, not an object like {{"id": "q1", "question": "..."}}')
    question, history = item.get("question"), item.get("history") or []
    if not isinstance(question, str) or not question.strip():
        raise AssistantError(f'"question" must be text; it is {json_kind(question)}')
    if not isinstance(history, list) or not all(
            isinstance(m, dict) and m.get("role") in ("user", "assistant") and isinstance(m.get("content"), (str, list))
            for m in history):
        raise AssistantError('"history" must be a list of {"role": "user" or "assistant", "content": "..."}, '
                             f"oldest first; it is {json_kind(history)}")
    return question, history


def cmd_batch(args, filters: Filters | None) -> int:
    """Answer each line of a JSONL file in order; a line that cannot be answered gets one line saying why, and
    the rest go on. Returns 1 when any line failed."""
    try:
        lines = args.batch.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise AssistantError(f"{args.batch}: cannot be read ({reason})") from exc
    assistant = open_assistant()
    failed = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        qid = None
        try:
            item = parse_json(line)
            qid = item.get("id") if isinstance(item, dict) else None
            question, history = batch_question(item)
            answer = assistant.ask(question, history, filters)
        except AssistantError as exc:
            failed += 1
            # one object in the output's place for this line, so that outputs still line up with inputs
            print(json.dumps({"id": qid, "error": f"{args.batch} line {number}: {exc}"}, ensure_ascii=False), flush=True)
            continue
        out = answer_json(answer, qid)
        print(json.dumps(out if args.json else {"id": qid, "text": answer_text(answer)}, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def cmd_ask(args) -> int:
    filters = Filters(tuple(args.document or ()), tuple(args.publisher or ()), tuple(args.year or ()), tuple(args.place or ()))
    filters = filters if filters != Filters() else None
    if args.batch:
        return cmd_batch(args, filters)
    if not args.question:
        raise AssistantError("Give a question, e.g. python -m assistant ask \"What did Ofsted say about care leavers?\"")
    assistant = open_assistant()
    if args.explain:
        answer, trace = getattr(assistant, "assistant", assistant).explain(args.question, [], filters)
        print(explain_text(trace), end="\n\n")
    else:
        answer = assistant.ask(args.question, [], filters)
    print(json.dumps(answer_json(answer), ensure_ascii=False) if args.json else answer_text(answer))
    return 0


SHOWN = 8  # paragraphs and sentences shown per stage


def explain_text(trace: list) -> str:
    """What each stage made of the question, as `ask --explain` prints it."""
    lines = []
    for stage, record in trace:
        if stage == "analyse":
            asks = {k: v for k, v in vars(record).items() if v and k != "retrieval_text"}
            lines += ["analyse: the question asks", f"  searched as: {record.retrieval_text}",
                      *(f"  {k}: {v}" for k, v in asks.items())]
        elif stage == "scope":
            lines.append(f"scope: {record.place or 'every document allowed'}{' (the home council)' if record.home else ''}")
        elif stage == "retrieve":
            lines.append(f"  retrieve: {len(record)} paragraphs; fused = dense and lexical weighted, plus who/when")
            lines += [f"    {c.hit.score:.3f} (dense {c.hit.dense:.3f}, lexical {c.hit.lexical:.3f}) "
                      f"{c.document.id} paragraph {c.hit.paragraph.label}" for c in record[:SHOWN]]
        elif stage == "score":
            lines.append(f"  score: {len(record)} sentences may answer; score = meaning, subject words, paragraph")
            lines += [f"    {c.score:.3f} (dense {c.dense:.3f}, words {c.overlap:.2f}) {c.candidate.hit.paragraph.label}: "
                      f"{c.text[:90]}" for c in record[:SHOWN]]
        elif stage == "absent":
            lines.append(f"  absent: no paragraph of this scope uses {', '.join(record)}, so none answers")
        elif stage == "select" and lines[-1].startswith("  absent:"):
            lines.append("  select: none")
        elif stage == "select":
            lines.append(f"  select: {len(record)} sentences" if record else "  select: none answers (below the floor)")
    return "\n".join(lines)
