"""python -m assistant: ask questions, list a document's paragraphs, show one paragraph.

  python -m assistant ask "What did Ofsted say about care leaver accommodation?"
  python -m assistant ask --json "..."            one JSON object (the contract in docs/design.md)
  python -m assistant ask --json --batch Q.jsonl  one JSON object per input line
  python -m assistant paragraphs corpus/FILE [--json]
  python -m assistant show corpus/FILE 55
  python -m assistant document FILE [--json]     the document as the assistant knows it
  python -m assistant ask --explain "..."         each stage's scores for the question
  python -m assistant weights                     the numbers that decide answers, with their reasons
  python -m assistant eval QUESTIONS.jsonl [--split train] [--compare EARLIER.json] [--out RESULT.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant import settings
from assistant.errors import AssistantError


def _document_paragraphs(path: Path):
    """The file read and numbered, with the metadata it was registered under when it has been ingested
    (flags and manifest given then), else what the file itself says."""
    from ingest.pipeline import read_document

    document, paragraphs = read_document(path)
    registered = _registered(document.id)
    return (registered or document), paragraphs


def _registered(doc_id: str):
    from ingest.index import Index

    try:
        return Index(settings.data_dir()).document(doc_id)
    except (AssistantError, OSError, ValueError):  # no index yet, or it cannot be read: the file's own account
        return None


def document_json(document) -> dict:
    """A Document as `document --json` prints it; `given` names the fields given rather than read."""
    return {
        "source": document.id, "title": document.title, "publisher": document.publisher, "kind": document.kind,
        "place": document.place, "date": document.date, "date_note": document.date_note,
        "inspection_dates": document.inspection_dates, "lead_inspector": document.lead_inspector,
        "judgements": [{"area": area, "grade": grade} for area, grade in document.judgements],
        "url": document.url, "given": list(document.given),
        "read": [k for k in ("title", "publisher", "kind", "place", "date", "inspection_dates", "lead_inspector")
                 if getattr(document, k) and k not in document.given],
        "added_by": document.added_by, "added_at": document.added_at,
    }


def cmd_document(args) -> int:
    document, paragraphs = _document_paragraphs(args.file)
    record = {**document_json(document), "paragraphs": len(paragraphs)}
    if args.json:
        print(json.dumps(record, ensure_ascii=False))
        return 0
    for key, value in record.items():
        if key == "judgements":
            value = "; ".join(f"{j['area']}: {j['grade']}" for j in value)
        elif isinstance(value, list):
            value = ", ".join(value)
        if value not in ("", None):
            print(f"{key}: {value}")
    return 0


def cmd_paragraphs(args) -> int:
    document, paragraphs = _document_paragraphs(args.file)
    if args.json:
        for p in paragraphs:
            print(json.dumps({"paragraph": p.label, "section": p.section, "page": p.page, "text": p.text,
                              "assigned": p.assigned}, ensure_ascii=False))
    else:
        print(f"{document.describe()}\n")
        for p in paragraphs:
            mark = " (assigned)" if p.assigned else ""
            print(f"[{p.label}]{mark} {p.text}\n")
    return 0


def cmd_show(args) -> int:
    document, paragraphs = _document_paragraphs(args.file)
    wanted = args.label.strip().rstrip(".")
    for p in paragraphs:
        if p.label.lower() == wanted.lower():
            if args.json:
                print(json.dumps({"source": document.id, "document": document.title, "publisher": document.publisher,
                                  "date": document.date, "paragraph": p.label, "section": p.section,
                                  "page": p.page, "text": p.text}, ensure_ascii=False))
            else:
                where = f", page {p.page}" if p.page else ""
                print(f"{document.describe()}\nparagraph {p.label}{' (number assigned)' if p.assigned else ''}"
                      f" — {p.section or 'no section'}{where}\n\n{p.text}")
            return 0
    labels = ", ".join(p.label for p in paragraphs[:8])
    raise AssistantError(f"{args.file} has no paragraph {args.label!r} (its labels begin: {labels} ...)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer a question with cited paragraphs")
    ask.add_argument("question", nargs="?", help="the question (or use --batch)")
    ask.add_argument("--json", action="store_true", help="print the JSON contract")
    ask.add_argument("--batch", type=Path, help="JSONL file of {id, question, history?}; one answer per line")
    ask.add_argument("--document", action="append", help="only this document (source path); repeatable")
    ask.add_argument("--publisher", action="append", help="only this publisher, e.g. Ofsted; repeatable")
    ask.add_argument("--year", action="append", type=int, help="only this year; repeatable")
    ask.add_argument("--place", action="append", help="only documents about this council or area, e.g. Kirklees; repeatable")
    ask.add_argument("--explain", action="store_true", help="show what each stage made of the question, with its scores")

    sub.add_parser("weights", help="the numbers that decide answers, each with its reason (fitted ones marked)")

    paragraphs = sub.add_parser("paragraphs", help="a document's paragraphs with their labels, in order")
    paragraphs.add_argument("file", type=Path)
    paragraphs.add_argument("--json", action="store_true", help="one JSON object per paragraph")

    show = sub.add_parser("show", help="one paragraph, by its label")
    show.add_argument("file", type=Path)
    show.add_argument("label")
    show.add_argument("--json", action="store_true")

    document = sub.add_parser("document", help="what the assistant knows of a document: title, publisher, place, dates, judgements")
    document.add_argument("file", type=Path)
    document.add_argument("--json", action="store_true", help="one JSON object")

    evaluate = sub.add_parser("eval", help="score answers to a JSONL question set with gold citations")
    evaluate.add_argument("questions", type=Path, help="JSONL of {id, split, category, question, history, place, gold, need}")
    evaluate.add_argument("--split", choices=("train", "heldout"), help="only the questions of this split")
    evaluate.add_argument("--compare", type=Path, help="an earlier --out file: show what changed")
    evaluate.add_argument("--out", type=Path, help="write the full result, per question, as JSON")

    args = parser.parse_args(argv)
    try:
        if args.command == "document":
            return cmd_document(args)
        if args.command == "paragraphs":
            return cmd_paragraphs(args)
        if args.command == "show":
            return cmd_show(args)
        if args.command == "weights":
            from assistant.weights import load

            for stage, name, value, reason, fitted in load().table():
                print(f"{stage:<8} {name:<18} {value!s:<6} {'fitted ' if fitted else 'default'}  {reason}")
            return 0
        if args.command == "eval":
            from assistant.evaluate import cmd_eval  # loads the model: imported only when evaluating

            return cmd_eval(args)
        from assistant.ask import cmd_ask  # loads the model: imported only when asking

        return cmd_ask(args)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head`, say: stop quietly
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
