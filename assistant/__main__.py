"""python -m assistant: ask questions, list a document's paragraphs, show one paragraph.

  python -m assistant ask "What did Ofsted say about care leaver accommodation?"
  python -m assistant ask --json "..."            one JSON object (the contract in DESIGN.md)
  python -m assistant ask --json --batch Q.jsonl  one JSON object per input line
  python -m assistant paragraphs corpus/FILE [--json]
  python -m assistant show corpus/FILE 55
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.errors import AssistantError


def _document_paragraphs(path: Path):
    from ingest.pipeline import read_document

    return read_document(path)


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

    paragraphs = sub.add_parser("paragraphs", help="a document's paragraphs with their labels, in order")
    paragraphs.add_argument("file", type=Path)
    paragraphs.add_argument("--json", action="store_true", help="one JSON object per paragraph")

    show = sub.add_parser("show", help="one paragraph, by its label")
    show.add_argument("file", type=Path)
    show.add_argument("label")
    show.add_argument("--json", action="store_true")

    args = parser.parse_args(argv)
    try:
        if args.command == "paragraphs":
            return cmd_paragraphs(args)
        if args.command == "show":
            return cmd_show(args)
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
