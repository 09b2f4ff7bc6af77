"""Ingest files into the index: read -> number -> embed -> index, one file at a time.

A file that cannot be read is reported (one line: which file and why) and skipped; the others
are still ingested. An unchanged file is skipped; a changed one replaces its paragraphs; a file
gone from a scanned folder has its paragraphs removed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.errors import AssistantError, ReadError
from assistant.records import Document, Paragraph
from assistant.settings import relative_source
from ingest.read import READABLE_SUFFIXES, read_lines
from ingest.structure import parse

MANIFEST = "manifest.json"
# Bump when reading or numbering changes, so that re-ingest rebuilds documents it would number differently.
PIPELINE_VERSION = "4"


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one message per file
    paragraphs: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        docs = len(self.added) + len(self.replaced)
        return (f"{docs} document(s) ingested ({len(self.added)} new, {len(self.replaced)} replaced), "
                f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, {len(self.failed)} failed; "
                f"{self.paragraphs} paragraphs in {self.seconds:.1f} s")


def load_manifest(folder: Path) -> dict[str, dict]:
    """A folder's manifest.json (title, publisher, kind, date per file name); {} when it has none."""
    path = folder / MANIFEST
    if not path.exists():
        return {}
    stat = path.stat()
    return _parse_manifest(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _parse_manifest(path: str, mtime_ns: int, size: int) -> dict[str, dict]:
    # parsed once per change, not once per file: a folder of 1,661 reports has a 480 KB manifest
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AssistantError(f"{path}: not valid JSON ({exc}); fix it and ingest again") from exc


def find_files(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """The files to ingest, and the folders that were scanned (whose vanished files are removed)."""
    files, folders = [], []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            folders.append(path)
            # everything in the folder is meant to be a document: an unknown type gets its own error line
            files += sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
                            and p.name != MANIFEST and p.name.lower() != "readme.md")
        else:
            files.append(path)
    return files, folders


def read_document(path: Path, metadata: dict | None = None) -> tuple[Document, list[Paragraph]]:
    """Read and number one file: its Document (manifest, given metadata, or what the text says) and Paragraphs."""
    path = Path(path)
    structure = parse(read_lines(path))
    if not structure.paragraphs:
        raise ReadError(f"{path}: no paragraphs found")
    doc_id = relative_source(path)
    meta = {**load_manifest(path.parent).get(path.name, {}), **(metadata or {})}
    document = Document(
        id=doc_id,
        title=meta.get("title") or structure.title or path.stem,
        publisher=meta.get("publisher") or "Unknown publisher",
        kind=meta.get("kind") or "unknown",
        date=meta.get("date") or None,
        date_note=meta.get("date_note", ""),
        url=meta.get("url"),
        judgements=structure.judgements,
    )
    return document, [replace(p, doc_id=doc_id) for p in structure.paragraphs]


def file_version(path: Path, metadata: dict | None) -> tuple[str, str]:
    """(version, sha256): the version changes with the file, its metadata, or the pipeline."""
    sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    meta = {**load_manifest(Path(path).parent).get(Path(path).name, {}), **(metadata or {})}
    key = json.dumps([relative_source(path), sha, meta, PIPELINE_VERSION], sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:16], sha


def ingest(paths: list[Path], index, embedder, *, metadata: dict | None = None, progress=None) -> IngestReport:
    """Ingest files and folders into `index`.

    Args:
        paths: files and folders (folders are scanned; their vanished files are removed).
        index: the `Index` to write to.
        embedder: the `Embedder` (model loaded on first use).
        metadata: title/publisher/kind/date for a single uploaded file, over its manifest entry.
        progress: called as progress(done, total, path) after each file (a progress bar, say).
    """
    started = time.perf_counter()
    report = IngestReport()
    files, folders = find_files(paths)
    try:
        index.remove_orphans()
    except Exception:  # a fresh store may not have its collections yet
        pass
    entries = index.entries()
    seen = set()
    for done, path in enumerate(files, start=1):
        try:
            if path.suffix.lower() not in READABLE_SUFFIXES:
                raise ReadError(f"{path}: unknown file type {path.suffix or '(none)'}; use one of {', '.join(READABLE_SUFFIXES)}")
            if not path.is_file():
                raise ReadError(f"{path}: no such file")
            doc_id = relative_source(path)
            seen.add(doc_id)
            version, sha = file_version(path, metadata)
            if doc_id in entries and entries[doc_id]["version"] == version:
                report.unchanged.append(doc_id)
                continue
            document, paragraphs = read_document(path, metadata)
            vectors = embedder.embed_paragraphs(paragraphs)
            index.replace(document, paragraphs, vectors, version, sha)
            (report.replaced if doc_id in entries else report.added).append(doc_id)
            report.paragraphs += len(paragraphs)
        except AssistantError as exc:
            report.failed.append(str(exc))
        except OSError as exc:
            report.failed.append(f"{path}: cannot be read ({exc.strerror or exc})")
        finally:
            if progress:
                progress(done, len(files), path)
    for folder in folders:
        prefix = relative_source(folder).rstrip("/") + "/"
        for doc_id in list(index.entries()):
            if doc_id.startswith(prefix) and doc_id not in seen:
                index.remove(doc_id)
                report.removed.append(doc_id)
    if report.added or report.replaced or report.removed or not (index.data_dir / "lexical" / "meta.json").exists():
        index.rebuild_lexical()
    report.seconds = time.perf_counter() - started
    return report
