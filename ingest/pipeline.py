"""Ingest files into the index: read -> number -> embed -> index, one file at a time.

A file that cannot be read is reported (one line: which file and why) and skipped; the others
are still ingested. An unchanged file is skipped; a changed one replaces its paragraphs; a file
gone from a scanned folder has its paragraphs removed.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.errors import AssistantError, ReadError
from assistant.records import KINDS, Document, Paragraph
from assistant.settings import relative_source
from ingest.read import READABLE_SUFFIXES, read_lines
from ingest.structure import parse

MANIFEST = "manifest.json"
# Bump when reading or numbering changes, so that re-ingest rebuilds documents it would number differently.
PIPELINE_VERSION = "5"


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


# The fields a manifest entry, a flag or an uploader may give; given ones override what the text says.
GIVEN_FIELDS = ("title", "publisher", "kind", "date", "date_note", "url", "place", "inspection_dates", "lead_inspector")
ISO_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def check_metadata(meta: dict, where: str) -> None:
    """Raise AssistantError naming `where` for a kind outside KINDS or a date that is not ISO."""
    kind = meta.get("kind")
    if kind and kind not in KINDS:
        raise AssistantError(f"{where}: kind {kind!r} is not one of: {', '.join(KINDS)}")
    when = meta.get("date")
    if when:
        when = str(when)
        hint = describe_date(when)
        if not ISO_DATE_RE.match(when) or not _real_date(when):
            raise AssistantError(f"{where}: date {when!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)"
                                 + (f"; did you mean {hint}?" if hint else ""))


def _real_date(when: str) -> bool:
    parts = [int(x) for x in when.split("-")] + [1, 1]
    try:
        datetime.date(*parts[:3])
    except ValueError:
        return False
    return True


def describe_date(text: str) -> str | None:
    """The ISO form of a date written out ("May 2024" -> "2024-05", "19 July 2024" -> "2024-07-19")."""
    from ingest.describe import MONTHS, _iso

    if full := _iso(text):
        return full
    match = re.fullmatch(r"\s*([A-Za-z]+)\.?,?\s+(\d{4})\s*", text)
    if match:
        month = next((i for i, name in enumerate(MONTHS, 1) if name.startswith(match.group(1).lower()[:3])), None)
        return f"{match.group(2)}-{month:02d}" if month else None
    return None


def read_document(path: Path, metadata: dict | None = None) -> tuple[Document, list[Paragraph]]:
    """Read and number one file: its Document and Paragraphs.

    Each field comes from what the text says about itself (ingest/describe.py), overridden by the
    file's manifest entry and then by `metadata` (flags, an upload form); `given` lists the fields
    that were given rather than read.
    """
    from ingest.describe import describe

    path = Path(path)
    meta = {**load_manifest(path.parent).get(path.name, {}), **(metadata or {})}
    check_metadata(meta, str(path))
    lines = read_lines(path)
    structure = parse(lines)
    if not structure.paragraphs:
        raise ReadError(f"{path}: no paragraphs found")
    doc_id = relative_source(path)
    given = {k: v for k, v in meta.items() if k in GIVEN_FIELDS and v}
    fields = {**describe(lines, structure), **given}
    document = Document(
        id=doc_id,
        title=fields.get("title") or path.stem,
        publisher=fields.get("publisher") or "Unknown publisher",
        kind=fields.get("kind") or "unknown",
        date=fields.get("date") or None,
        date_note=fields.get("date_note", ""),
        url=fields.get("url"),
        judgements=structure.judgements,
        place=fields.get("place", ""),
        inspection_dates=fields.get("inspection_dates", ""),
        lead_inspector=fields.get("lead_inspector", ""),
        given=tuple(sorted(given)),
        added_by=str(meta.get("added_by") or ""),
        added_at=str(meta.get("added_at") or ""),
    )
    return document, [replace(p, doc_id=doc_id) for p in structure.paragraphs]


def kept_metadata(entry: dict | None, path: Path) -> dict | None:
    """What a registered document was given by a flag or an uploader (not its manifest, which is read
    again), so that ingesting it again without flags keeps it."""
    if not entry:
        return None
    manifest = load_manifest(Path(path).parent).get(Path(path).name, {})
    kept = {k: entry[k] for k in entry.get("given", ()) if k not in manifest and entry.get(k)}
    kept.update({k: entry[k] for k in ("added_by", "added_at") if entry.get(k)})
    return kept or None


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
            given = metadata if metadata is not None else kept_metadata(entries.get(doc_id), path)
            version, sha = file_version(path, given)
            if doc_id in entries and entries[doc_id]["version"] == version:
                report.unchanged.append(doc_id)
                continue
            document, paragraphs = read_document(path, given)
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
        prefix = relative_source(folder / "_").rsplit("/", 1)[0] + "/"  # as its files are named
        for doc_id in list(index.entries()):
            if doc_id.startswith(prefix) and doc_id not in seen:
                index.remove(doc_id)
                report.removed.append(doc_id)
    if report.added or report.replaced or report.removed or not (index.data_dir / "lexical" / "meta.json").exists():
        index.rebuild_lexical()
    report.seconds = time.perf_counter() - started
    return report
