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
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant import settings
from assistant.errors import AssistantError, IngestStopped, ReadError, StoreUnavailable
from assistant.records import KINDS, Document, Paragraph
from assistant.settings import PROJECT_ROOT, relative_source
from ingest.describe import describe, written_date_to_iso
from ingest.index import Damage
from ingest.read import READABLE_SUFFIXES, read_lines
from ingest.structure import parse

MANIFEST = "manifest.json"
# Bump when reading or numbering changes, so that re-ingest rebuilds documents it would number differently.
PIPELINE_VERSION = "6"
LOCK_WAIT = 600.0  # seconds an ingest waits for another one writing to the same index before it gives up


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one message per file
    repaired: list[str] = field(default_factory=list)  # documents whose records were damaged, written again
    paragraphs: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        docs = len(self.added) + len(self.replaced)
        return (f"{docs} document(s) ingested ({len(self.added)} new, {len(self.replaced)} replaced), "
                f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, {len(self.failed)} failed"
                + (f", {len(self.repaired)} repaired" if self.repaired else "")
                + f"; {self.paragraphs} paragraphs in {self.seconds:.1f} s")


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


def find_files(paths: list[Path]) -> tuple[list[Path], list[Path], list[str]]:
    """The files to ingest, the folders that were scanned (whose vanished files are removed), and one
    line for each file refused: a symbolic link, or a file that resolves outside the folder given, is
    never read (a link to /etc/passwd in a corpus folder must not become a quotable document)."""
    files, folders, refused = [], [], []
    for path in map(Path, paths):
        if path.is_symlink() and not path.is_dir():
            refused.append(_link_refused(path))
        elif path.is_dir():
            folders.append(path)  # a folder given may itself be a link: the person named it
            root = path.resolve()
            # everything in the folder is meant to be a document: an unknown type gets its own error line
            for entry in sorted(path.rglob("*")):  # does not descend into linked folders (Python 3.11)
                if entry.name.startswith(".") or entry.name == MANIFEST or entry.name.lower() == "readme.md":
                    continue
                if entry.is_symlink() or not entry.resolve().is_relative_to(root):
                    refused.append(_link_refused(entry))
                elif entry.is_file():
                    files.append(entry)
        else:
            files.append(path)
    return files, folders, refused


def _link_refused(path: Path) -> str:
    return (f"{path}: a symbolic link (to {path.resolve()}), not read: links are not followed at ingest; "
            "copy the file itself into the folder")


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
        if not ISO_DATE_RE.match(when) or not _real_date(when):
            hint = written_date_to_iso(when)
            raise AssistantError(f"{where}: date {when!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)"
                                 + (f"; did you mean {hint}?" if hint else ""))


def _real_date(when: str) -> bool:
    parts = [int(x) for x in when.split("-")] + [1, 1]
    try:
        datetime.date(*parts[:3])
    except ValueError:
        return False
    return True


def read_document(path: Path, metadata: dict | None = None) -> tuple[Document, list[Paragraph]]:
    """Read and number one file: its Document and Paragraphs.

    Each field comes from what the text says about itself (ingest/describe.py), overridden by the
    file's manifest entry and then by `metadata` (flags, an upload form); `given` lists the fields
    that were given rather than read.
    """
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
    size, limit_mb = Path(path).stat().st_size, settings.number("MAX_FILE_MB")
    if size > limit_mb * 1024 * 1024:  # before a byte is read: a 2 GB file must cost nothing to refuse
        raise ReadError(f"{path}: {size / 1024 / 1024:.1f} MB is over the {limit_mb:g} MB limit (setting ASSISTANT_MAX_FILE_MB)")
    with open(path, "rb") as handle:
        sha = hashlib.file_digest(handle, "sha256").hexdigest()
    meta = {**load_manifest(Path(path).parent).get(Path(path).name, {}), **(metadata or {})}
    key = json.dumps([relative_source(path), sha, meta, PIPELINE_VERSION], sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:16], sha


def ingest(paths: list[Path], index, embedder, *, metadata: dict | None = None, progress=None,
           wait: float = LOCK_WAIT, notice=None) -> IngestReport:
    """Ingest files and folders into `index`, holding its writer lock throughout; first check the store
    against the registry and write again any document whose records do not match.

    Args:
        paths: files and folders (folders are scanned; their vanished files are removed).
        index: the `Index` to write to.
        embedder: the `Embedder` (model loaded on first use).
        metadata: title/publisher/kind/date for a single uploaded file, over its manifest entry.
        progress: called as progress(done, total, path) after each file (a progress bar, say).
        wait: seconds to wait for another ingest writing to the same index, before raising IndexBusy.
        notice: called with one line when this ingest has to wait (default: printed to stderr).
    """
    started = time.perf_counter()
    settings.number("MAX_FILE_MB")  # a bad value: one line now, before anything is done
    report = IngestReport()
    files, folders, refused = find_files(paths)
    report.failed += refused
    with index.writer_lock().held(wait, notice or _print_notice):
        try:
            index.remove_orphans()
        except AssistantError:  # a server away, a damaged registry: its own clear line
            raise
        except Exception:  # a fresh store may not have its collections yet
            pass
        entries = index.entries()
        damaged = index.verify() if entries else {}
        work, seen = [(path, metadata) for path in files], set()
        try:
            work += _repairs(index, damaged, files, report)
            for done, (path, given) in enumerate(work, start=1):
                try:
                    _ingest_file(path, given, index, embedder, entries, damaged, seen, report)
                except AssistantError as exc:
                    if isinstance(exc, StoreUnavailable):
                        raise
                    report.failed.append(str(exc))
                except OSError as exc:
                    report.failed.append(f"{path}: cannot be read ({exc.strerror or exc})")
                finally:
                    if progress:
                        progress(done, len(work), path)
            for folder in folders:
                prefix = relative_source(folder / "_").rsplit("/", 1)[0] + "/"  # as its files are named
                for doc_id in list(index.entries()):
                    if doc_id.startswith(prefix) and doc_id not in seen:
                        index.remove(doc_id)
                        report.removed.append(doc_id)
            changed = report.added or report.replaced or report.removed or report.repaired
            if changed or not (index.data_dir / "lexical" / "meta.json").exists():
                index.rebuild_lexical()
        except StoreUnavailable as exc:
            raise IngestStopped(_stopped(exc, report, [path for path, _ in work])) from exc
    report.seconds = time.perf_counter() - started
    return report


def _ingest_file(path: Path, given: dict | None, index, embedder, entries: dict, damaged: dict[str, Damage],
                 seen: set[str], report: IngestReport) -> None:
    """Ingest one file, or skip it when its registered version is the same and its records are whole."""
    if path.suffix.lower() not in READABLE_SUFFIXES:
        raise ReadError(f"{path}: unknown file type {path.suffix or '(none)'}; use one of {', '.join(READABLE_SUFFIXES)}")
    if not path.is_file():
        raise ReadError(f"{path}: no such file")
    doc_id = relative_source(path)
    seen.add(doc_id)
    given = given if given is not None else kept_metadata(entries.get(doc_id), path)
    version, sha = file_version(path, given)
    if doc_id in entries and entries[doc_id]["version"] == version and doc_id not in damaged:
        report.unchanged.append(doc_id)
        return
    document, paragraphs = read_document(path, given)
    vectors = embedder.embed_paragraphs(paragraphs)
    index.replace(document, paragraphs, vectors, version, sha)
    if doc_id in damaged and entries[doc_id]["version"] == version:
        report.repaired.append(doc_id)
    else:
        (report.replaced if doc_id in entries else report.added).append(doc_id)
    report.paragraphs += len(paragraphs)


def _repairs(index, damaged: dict[str, Damage], files: list[Path], report: IngestReport) -> list[tuple[Path, None]]:
    """Drop the damaged documents' records and return the files to read them again from: those not already
    being ingested, with the metadata they were given. A damaged document whose file is not found is kept as it
    is, with a line saying so (missing records only make it answer less), unless some of its records lost their
    vectors: those fail every search of their collection, so it is removed."""
    asked = {relative_source(path) for path in files}
    again = []
    for doc_id, wrong in sorted(damaged.items()):
        source = PROJECT_ROOT / doc_id  # a file outside the project is named by its folder only: not found here
        found = doc_id in asked or source.is_file() and not source.is_symlink() and relative_source(source) == doc_id
        if not found and not wrong.unreadable:
            report.failed.append(f"{doc_id}: its records in the index look damaged ({wrong}) and its file is not "
                                 "among those ingested now, so it was left as it is; ingest that file again to repair it")
            continue
        index.drop_records(doc_id)
        if doc_id in asked:
            continue
        if found:
            again.append((source, None))
        else:
            index.remove(doc_id)
            report.removed.append(doc_id)
            report.failed.append(f"{doc_id}: some of its records in the index lost their vectors ({wrong}) and its "
                                 "file is not among those ingested now, so it was taken out of the index; ingest "
                                 "that file again to answer from it")
    return again


def _stopped(exc: StoreUnavailable, report: IngestReport, planned: list[Path]) -> str:
    """What an ingest cut off by its Chroma server did and did not do, in one line."""
    done = {*report.added, *report.replaced, *report.repaired, *report.unchanged}
    pending = [path for path in planned if relative_source(path) not in done]
    did = [f"{len(items)} {what} ({', '.join(items[:3])}{', ...' if len(items) > 3 else ''})"
           for what, items in (("added", report.added), ("replaced", report.replaced), ("repaired", report.repaired),
                               ("removed", report.removed)) if items]
    return (f"{str(exc).split('; ')[0]}; the ingest stopped part way. Done: {', '.join(did) or 'nothing changed'}"
            f"{f', {len(report.unchanged)} unchanged' if report.unchanged else ''}. Not done: {len(pending)} file(s)"
            f"{f' from {pending[0]}' if pending else ''} (none of them is registered, so answers use the documents "
            f"as they were{_maybe_registered(exc)}); run the same ingest again when the server is back: what was done "
            "is skipped.")


def _maybe_registered(exc: StoreUnavailable) -> str:
    return (f"; but {exc.registering} may be: the server went while registering it, so either it is whole and "
            "answers use it, or it is as it was") if exc.registering else ""


def _print_notice(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
