"""python -m ingest [PATH ...]: build or update the index (default: the bundled corpus)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant import settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: ASSISTANT_CORPUS_DIR)")
    parser.add_argument("--title", help="title of the document (single file)")
    parser.add_argument("--publisher", help="publisher (single file), e.g. Ofsted")
    parser.add_argument("--kind", help="inspection report, council report, council statement or press")
    parser.add_argument("--date", help="ISO date, e.g. 2024-07")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    # Heavy imports (torch, chromadb) here, so --help stays quick.
    from tqdm import tqdm

    from assistant.errors import AssistantError
    from ingest.embed import Embedder
    from ingest.index import Index
    from ingest.pipeline import ingest

    paths = args.paths or [settings.corpus_dir()]
    metadata = {k: v for k in ("title", "publisher", "kind", "date") if (v := getattr(args, k))}
    if metadata and (len(paths) != 1 or paths[0].is_dir()):
        parser.error("--title/--publisher/--kind/--date describe one file: give exactly one file")
    bar = tqdm(total=None, unit="file", disable=args.quiet, file=sys.stderr)

    def progress(done: int, total: int, path: Path) -> None:
        bar.total = total
        bar.set_postfix_str(path.name[-40:])
        bar.update(1)

    try:
        report = ingest(paths, Index(settings.data_dir()), Embedder(), metadata=metadata or None, progress=progress)
    except AssistantError as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar.close()
    for message in report.failed:
        print(f"failed: {message}", file=sys.stderr)
    print(report.summary())
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
