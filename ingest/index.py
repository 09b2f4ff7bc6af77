"""The index: a Chroma store holding paragraphs, their chunks and sentences with their vectors, a
registry of documents, and a BM25 lexical index.

Two modes, one code path. Embedded (the default): Chroma's PersistentClient in the data directory,
the registry a JSON file beside it. Server (ASSISTANT_CHROMA_HOST set): a Chroma server shared by
many app instances; the registry lives in the server itself (the "documents" collection, one record
per document holding its registry entry as JSON), so every instance sees the same documents, and
each instance builds its own BM25 index from the paragraph texts in the server when the registry's
set of versions changes, keeping it in its local data directory keyed by that set's fingerprint.

Replacing a document is safe to interrupt: its new records are written under a new version, the
registry (one JSON file replaced atomically, or the document's one registry record upserted) is
switched to that version, and only then are the old records deleted. Every search filters on the
registry's versions, so an ingest killed half way leaves the previous index answering; its orphan
records are removed by the next ingest (in server mode only once they are ORPHAN_GRACE seconds old,
so that one instance never deletes the records another is still writing).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
import os
import re
import shutil
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from assistant import settings
from assistant.errors import AssistantError, IndexBusy, IndexMissing, RegistryDamaged, StoreUnavailable
from assistant.records import Document, Paragraph
from ingest.embed import ParagraphVectors
from ingest.lock import FileLock, ServerLock

REGISTRY = "registry.json"
LEXICAL_DIR = "lexical"
COLLECTIONS = ("paragraphs", "chunks", "sentences")
BATCH = 2000  # records per Chroma call: its add() has a maximum batch size
REGISTRY_COLLECTION = "documents"  # server mode: one record per document, its registry entry as JSON
ORPHAN_GRACE = 3600.0  # server mode: seconds before an unregistered record counts as left by a dead ingest
LEXICAL_FETCH = 100  # versions per Chroma get when building BM25 (bounded responses at any corpus size)
OVERFETCH = 2  # unfiltered dense search asks for this many times k / (the scope's share of the index)
MAX_OVERFETCH = 600  # ... up to this many neighbours (about 30 ms at 10,000 paragraphs); beyond, a filtered search
REGISTRY_TTL = 1.0  # seconds a server-mode instance trusts its copy of the registry before asking again
VERIFY_BATCH = 500  # records per Chroma call when verifying the store against the registry
VERIFY_NEIGHBOURS = 10  # a record must be among this many nearest its own vector (or found among the missed alone)
VERIFY_TIES = 1000  # most missed records searched among at once
PARAGRAPHS_KEPT = 20_000  # paragraphs read from the store and kept in memory (about 2 KB each)
SENTENCE_VECTORS_KEPT = 2_000  # paragraphs whose sentence vectors are kept (about 8 KB each): related questions share them


@dataclass(frozen=True)
class Damage:
    """What verify found wrong with one document's records: `what`, in words, and how many records have
    lost their vectors (those fail every search of their collection, so they must go)."""
    what: str
    unreadable: int = 0

    def __str__(self) -> str:
        return self.what


class Bounded(OrderedDict):
    """A dict that forgets its oldest entries beyond `size`: a cache whose memory a long-running app
    cannot grow without bound."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        if len(self) > self.size:
            self.popitem(last=False)


def _version_of(record_id: str) -> str:
    """The version a record belongs to: its id is "version#order" (a paragraph), or that and ".c0" or ".s3"
    (a chunk or sentence of it)."""
    return record_id.split("#", 1)[0]


def _kept(cache: Bounded, keys: list[str]) -> dict:
    """The cached values of these keys, read once each (another thread may evict one meanwhile)."""
    return {key: value for key in keys if (value := cache.get(key)) is not None}


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def server_address() -> tuple[str, int] | None:
    """(host, port) of the Chroma server from the settings, or None for the embedded store."""
    host = settings.get("CHROMA_HOST")
    return (host, settings.number("CHROMA_PORT", int)) if host else None


def make_client(data_dir: Path, server: tuple[str, int] | None = None):
    """A Chroma client: the server's when given, else embedded in the data directory."""
    import chromadb
    from chromadb.config import Settings

    if server:
        try:
            return chromadb.HttpClient(host=server[0], port=server[1], settings=Settings(anonymized_telemetry=False))
        except Exception as exc:
            raise StoreUnavailable(_unreachable(server)) from exc
    return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=Settings(anonymized_telemetry=False))


@dataclass(frozen=True)
class _Lexical:
    """The BM25 index and what was read from the paragraphs with it, as one process holds them."""
    retriever: object | None  # bm25s.BM25, or None for an empty library
    ids: list[str]  # paragraph record ids, in the retriever's order
    fingerprint: str
    frequencies: dict[str, int]  # stemmed word -> how many paragraphs use it
    # each paragraph's version as a small integer, so that a search within some versions masks
    # 100,000 paragraphs with one numpy call (a Python loop over them took 14 ms a search)
    codes: dict[str, int]
    version_codes: np.ndarray
    abbreviations: object  # assistant.glossary.Abbreviations
    designations: dict[str, dict[str, int]]  # version -> designation -> paragraphs calling the place by it alone
    lowercase: frozenset[str]  # the words the paragraphs write in lower case


@dataclass
class _Embedded:
    """This process's one Chroma client for a data directory, shared by all its Index objects.

    Chroma shares one System among the clients of a path and stops it only when the last one is
    closed, so reopening (to see another process's writes) must replace the client for every Index
    of the process at once; `generation` tells each Index its collections came from an older one."""
    client: object
    generation: int = 0
    stamp: tuple[int, int] | None = None  # the registry file as this process last saw it


_EMBEDDED: dict[Path, _Embedded] = {}
_EMBEDDED_LOCK = threading.Lock()


def _embedded(data_dir: Path) -> _Embedded:
    with _EMBEDDED_LOCK:
        key = data_dir.resolve()
        if key not in _EMBEDDED:
            _EMBEDDED[key] = _Embedded(make_client(data_dir))
        return _EMBEDDED[key]


def _unreachable(server: tuple[str, int]) -> str:
    return (f"Cannot reach the Chroma server at {server[0]}:{server[1]}. Check that `chroma run` is running there; "
            "nothing has been changed.")


def _read_registry(path: Path) -> dict:
    """The registry file, or RegistryDamaged saying what to do: a damaged file is never written over."""
    try:
        registry = json.loads(path.read_text(encoding="utf-8"))
        reason = "" if isinstance(registry, dict) and isinstance(registry.get("documents"), dict) else \
            'not {"documents": {...}}'
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        reason = f"not valid JSON: {exc}"
    if reason:
        raise RegistryDamaged(f"The document registry {path} is damaged ({reason}), so the index cannot be used; "
                              "nothing has been changed. Restore the file from a backup, or move it aside and run "
                              "`python -m ingest` (with every folder you had ingested) to index the files again.")
    return registry


def _store_errors(method):
    """In server mode a lost connection is one clear message, not a stack trace. In embedded mode a
    query that fails because another process changed the store under this one (Chroma keeps its vector
    index in this process's memory; `python -m ingest` writes beside it) is asked again on a freshly
    opened store, and a second failure is one clear message."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (AssistantError, KeyboardInterrupt):
            raise
        except Exception as exc:
            self._collections.clear()  # a restarted server or a reopened store hands out new ones
            if self.server and _is_connection_error(exc):
                self._registry_cache = None
                raise StoreUnavailable(_unreachable(self.server)) from exc
            if self.server or not _is_chroma_error(exc) or not self._reopen():
                raise
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            if not _is_chroma_error(exc):
                raise
            raise IndexBusy("The index is being changed by another process (an ingest?). Ask again in a moment; "
                            "nothing has been lost.") from exc

    return wrapper


def _is_chroma_error(exc: BaseException) -> bool:
    from chromadb.errors import ChromaError

    return isinstance(exc, ChromaError)


def _is_connection_error(exc: BaseException) -> bool:
    import httpx

    while exc is not None:
        if isinstance(exc, httpx.TransportError | ConnectionError | TimeoutError) or "Could not connect" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class Index:
    """The documents, paragraphs and vectors that answering searches."""

    def __init__(self, data_dir: Path, client=None, server: tuple[str, int] | None | bool = True):
        """server: (host, port) of a Chroma server, None for the embedded store, True (the default) for the settings."""
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.server = server_address() if server is True else server
        self._client = client
        self._paragraph_cache: Bounded = Bounded(PARAGRAPHS_KEPT)  # record id -> Paragraph (records never change)
        self._sentence_vector_cache: Bounded = Bounded(SENTENCE_VECTORS_KEPT)  # record id -> (n, 384) float32
        self._documents_cache: tuple[dict, dict[str, Document]] | None = None  # (the entries read, their documents)
        self._collections: dict[str, object] = {}
        self._registry_cache: tuple[object, dict] | None = None
        self._generation = 0  # of the shared embedded client this instance's collections came from

    # -- the registry -------------------------------------------------------------------

    def _registry(self) -> dict:
        """The registry as stored now (another process may have ingested): re-read only when it may have changed."""
        if self.server:
            if self._registry_cache is None or time.monotonic() - self._registry_cache[0] > REGISTRY_TTL:
                got = self._registry_records().get(include=["documents"])
                registry = {"documents": {rid: json.loads(text) for rid, text in
                                          sorted(zip(got["ids"], got["documents"]))}}
                self._registry_cache = (time.monotonic(), registry)
            return self._registry_cache[1]
        path = self.data_dir / REGISTRY
        try:
            key = _stamp(path)  # one stat a call: answering asks for the entries several times
        except FileNotFoundError:
            return {"documents": {}}
        shared = self._shared()
        if shared is not None and key != shared.stamp:
            if shared.stamp is not None:
                self._reopen()  # another process ingested: this one's copy of the vector index lacks its records
            shared.stamp = key
        if self._registry_cache is None or self._registry_cache[0] != key:
            self._registry_cache = (key, _read_registry(path))
        return self._registry_cache[1]

    def _save_entry(self, doc_id: str, entry: dict | None) -> None:
        """Switch one document in one step: an atomic replace of the registry file, or in server mode
        the upsert (or delete) of that document's one registry record, which leaves the entries other
        instances write meanwhile alone."""
        if self.server:
            if entry is None:
                self._registry_records().delete(ids=[doc_id])
            else:
                self._registry_records().upsert(ids=[doc_id], embeddings=[[1.0]], metadatas=[{"version": entry["version"]}],
                                                documents=[json.dumps(entry, ensure_ascii=False)])
            self._registry_cache = None
            return
        registry = copy.deepcopy(self._registry())  # the cached copy changes only once the file has
        if entry is None:
            registry["documents"].pop(doc_id, None)
        else:
            registry["documents"][doc_id] = entry
        _write_atomic(self.data_dir / REGISTRY, json.dumps(registry, indent=1, ensure_ascii=False))
        shared = self._shared()
        if shared is not None:
            shared.stamp = _stamp(self.data_dir / REGISTRY)  # this process's own write: its store has it

    def _registry_records(self):
        return self.client.get_or_create_collection(REGISTRY_COLLECTION, embedding_function=None)

    @_store_errors
    def entries(self) -> dict[str, dict]:
        """doc_id -> registry entry (document fields plus version, sha256, paragraph count)."""
        return self._registry()["documents"]

    def documents(self) -> dict[str, Document]:
        entries = self.entries()
        if self._documents_cache is None or self._documents_cache[0] is not entries:  # read again since
            self._documents_cache = (entries, {doc_id: _document(entry) for doc_id, entry in entries.items()})
        return dict(self._documents_cache[1])

    def document(self, doc_id: str) -> Document | None:
        entry = self.entries().get(doc_id)
        return _document(entry) if entry else None

    def versions(self) -> list[str]:
        return sorted(entry["version"] for entry in self.entries().values())

    def is_empty(self) -> bool:
        return not self.entries()

    def require(self) -> None:
        if self.is_empty():
            raise IndexMissing(f"No index in {self.data_dir}. Run `python -m ingest` first.")

    def writer_lock(self) -> FileLock | ServerLock:
        """The lock a writer holds while it changes this index (see ingest/lock.py)."""
        if self.server:
            return ServerLock(self.client, f"the Chroma server at {self.server[0]}:{self.server[1]}")
        return FileLock(self.data_dir)

    # -- Chroma ---------------------------------------------------------------------------

    @property
    def client(self):
        if self._client is not None:
            return self._client
        shared = self._shared()
        if shared is None:
            return self._server_client
        if shared.generation != self._generation:  # another Index of this process reopened it
            self._collections.clear()
            self._generation = shared.generation
        return shared.client

    @cached_property
    def _server_client(self):
        return make_client(self.data_dir, self.server)

    def _shared(self) -> _Embedded | None:
        """The process's embedded client for this folder; None for a server or a client given to us."""
        return None if self.server or self._client is not None else self._embedded_store

    @cached_property
    def _embedded_store(self) -> _Embedded:
        # looked up once: the entry for a folder stays the same object for the life of the process
        return _embedded(self.data_dir)

    def _reopen(self) -> bool:
        """Embedded mode: close this process's Chroma and open it again from disk, so that it sees what
        another process wrote. False when there is nothing to reopen (a server, or a client given to us)."""
        shared = self._shared()
        if shared is None:
            return False
        with _EMBEDDED_LOCK:
            if shared.generation == self._generation:  # not already reopened by another Index since
                shared.client.close()
                shared.client = make_client(self.data_dir)
                shared.generation += 1
        self._collections.clear()
        self._generation = shared.generation
        return True

    def collection(self, name: str):
        client = self.client  # first: it drops collections of a client another Index replaced
        if name not in self._collections:
            # embedding_function=None: we always pass our own vectors; Chroma's default downloads a model
            self._collections[name] = client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
        return self._collections[name]

    # -- writing ----------------------------------------------------------------------------

    @_store_errors
    def replace(self, document: Document, paragraphs: list[Paragraph], vectors: list[ParagraphVectors],
                version: str, sha256: str) -> None:
        """Add a document's paragraphs under `version`, switch the registry to it, drop the old version."""
        base = {"doc_id": document.id, "version": version, "publisher": document.publisher,
                "kind": document.kind, "year": document.year or 0, "written": time.time()}
        records: dict[str, tuple[list, list, list, list]] = {name: ([], [], [], []) for name in COLLECTIONS}

        def put(name, rid, vector, text, meta):
            ids, embeddings, texts, metas = records[name]
            ids.append(rid)
            embeddings.append(np.asarray(vector, dtype=np.float32).tolist())
            texts.append(text)
            metas.append({**base, **meta})

        for paragraph, vec in zip(paragraphs, vectors):
            pid = f"{version}#{paragraph.order}"
            put("paragraphs", pid, vec.paragraph, paragraph.text, {
                "label": paragraph.label, "section": paragraph.section, "page": paragraph.page or 0,
                "order": paragraph.order, "assigned": paragraph.assigned,
                "sentences": json.dumps(paragraph.sentences),
            })
            for n, (chunk, vector) in enumerate(vec.chunks):
                put("chunks", f"{pid}.c{n}", vector, chunk, {"paragraph": pid, "label": paragraph.label})
            for n, vector in enumerate(vec.sentences):
                put("sentences", f"{pid}.s{n}", vector, paragraph.sentence_texts()[n] if n < len(paragraph.sentence_texts()) else "",
                    {"paragraph": pid, "label": paragraph.label, "n": n})
        for name, (ids, embeddings, texts, metas) in records.items():
            collection = self.collection(name)
            for i in range(0, len(ids), BATCH):
                collection.upsert(ids=ids[i:i + BATCH], embeddings=embeddings[i:i + BATCH],
                                  documents=texts[i:i + BATCH], metadatas=metas[i:i + BATCH])
            # registered only once every record is read back: a store that dropped some (another writer,
            # a server restarting) leaves this version unregistered, an orphan for the next ingest to remove
            back = sum(len(collection.get(ids=ids[i:i + BATCH], include=[])["ids"]) for i in range(0, len(ids), BATCH))
            if back != len(ids):
                raise AssistantError(f"{document.id}: only {back} of its {len(ids)} {name} records could be read back "
                                     "from the store, so it was not added; ingest it again.")

        self._registry_cache = None if self.server else self._registry_cache  # the newest entry, not a copy
        old = self._registry()["documents"].get(document.id)
        try:
            self._save_entry(document.id, {
                **asdict(document), "judgements": [list(row) for row in document.judgements], "given": list(document.given),
                "version": version, "sha256": sha256, "paragraphs": len(paragraphs),
                "records": {name: len(ids) for name, (ids, _, _, _) in records.items()},
            })
        except Exception as exc:
            # a server gone mid-write may have stored the record before its answer was lost: registered or not, as one
            if self.server and _is_connection_error(exc):
                raise StoreUnavailable(_unreachable(self.server), registering=document.id) from exc
            raise
        if old and old["version"] != version:
            self._delete_version(old["version"])

    @_store_errors
    def remove(self, doc_id: str) -> None:
        if self.server:
            self._registry_cache = None
        old = self._registry()["documents"].get(doc_id)
        self._save_entry(doc_id, None)
        if old:
            self._delete_version(old["version"])

    def _delete_version(self, version: str) -> None:
        for name in COLLECTIONS:
            self.collection(name).delete(where={"version": version})

    @_store_errors
    def remove_orphans(self) -> int:
        """Delete records of versions the registry does not name (left by an interrupted ingest); in
        server mode only those written ORPHAN_GRACE seconds ago or more, as another instance may be
        writing the others now."""
        self._registry_cache = None if self.server else self._registry_cache
        active = self.versions()
        expected = self._expected_counts()
        removed = 0
        for name in COLLECTIONS:
            collection = self.collection(name)
            if expected is not None and collection.count() == expected[name]:
                continue  # every record is a registered version's: no need to scan 100,000s of them
            where = {"version": {"$nin": active}} if active else None
            if self.server:
                where = _and({"written": {"$lt": time.time() - ORPHAN_GRACE}}, where)
            ids = collection.get(where=where, include=[])["ids"]
            for i in range(0, len(ids), BATCH):
                collection.delete(ids=ids[i:i + BATCH])
            removed += len(ids)
        return removed

    @_store_errors
    def verify(self) -> dict[str, Damage]:
        """The registered documents whose records in the store do not match their registry entry, each with
        what is wrong: a collection holding more or fewer of its records than the entry counts, records whose
        vector cannot be read, or records a search for their own vector does not return (Chroma's vector
        index lost them, as when two processes wrote to one embedded store at once)."""
        entries = self.entries()
        doc_of = {entry["version"]: doc_id for doc_id, entry in entries.items()}
        problems: dict[str, list[str]] = {}
        unreadable_of: Counter = Counter()
        versions = sorted(doc_of)
        for name in COLLECTIONS:
            collection = self.collection(name)
            for i in range(0, len(versions), LEXICAL_FETCH):
                batch = versions[i:i + LEXICAL_FETCH]
                ids = collection.get(where={"version": {"$in": batch}}, include=[])["ids"]
                found = Counter(_version_of(rid) for rid in ids)
                unreadable, lost = self._unfindable(collection, ids)
                for version in batch:
                    entry = entries[doc_of[version]]
                    wanted = entry.get("records", {}).get(name, entry["paragraphs"] if name == "paragraphs" else None)
                    wrong = []
                    if wanted is not None and found[version] != wanted:
                        wrong.append(f"{found[version]} of its {wanted} {name} records are in the store")
                    if unreadable[version]:
                        wrong.append(f"{unreadable[version]} {name} records have lost their vectors")
                        unreadable_of[doc_of[version]] += unreadable[version]
                    if lost[version]:
                        wrong.append(f"{lost[version]} {name} records are not found by their own vectors")
                    problems.setdefault(doc_of[version], []).extend(wrong)
        return {doc_id: Damage("; ".join(wrong), unreadable_of[doc_id]) for doc_id, wrong in problems.items() if wrong}

    def _unfindable(self, collection, ids: list[str]) -> tuple[Counter, Counter]:
        """Per version, how many of these records have a vector the store cannot read, and how many are
        not among the nearest records to their own vector."""
        unreadable, lost = Counter(), Counter()
        for i in range(0, len(ids), VERIFY_BATCH):
            batch = ids[i:i + VERIFY_BATCH]
            try:
                got = collection.get(ids=batch, include=["embeddings"])
            except Exception as exc:
                if not _is_chroma_error(exc):
                    raise
                got = {"ids": [], "embeddings": []}  # some vectors are gone: find which, one at a time
                for rid in batch:
                    try:
                        one = collection.get(ids=[rid], include=["embeddings"])
                    except Exception as inner:
                        if not _is_chroma_error(inner):
                            raise
                        unreadable[_version_of(rid)] += 1
                        continue
                    got["ids"] += one["ids"]
                    got["embeddings"] += list(one["embeddings"])
            if not got["ids"]:
                continue
            vectors = np.asarray(got["embeddings"], dtype=np.float32)
            near = collection.query(query_embeddings=vectors.tolist(), n_results=min(VERIFY_NEIGHBOURS, collection.count()),
                                    include=["distances"])
            missed = [k for k, (rid, hits) in enumerate(zip(got["ids"], near["ids"])) if rid not in hits]
            if missed:
                # a search among the missed records alone tells a record the vector index lacks from one
                # crowded out by exact copies of it (a sentence printed in many reports) or passed over by
                # the approximate search
                among = [got["ids"][k] for k in missed]
                again = collection.query(query_embeddings=vectors[missed].tolist(), ids=among,
                                         n_results=min(len(among), VERIFY_TIES), include=[])
                for rid, hits in zip(among, again["ids"]):
                    lost[_version_of(rid)] += rid not in hits
        return unreadable, lost

    @_store_errors
    def drop_records(self, doc_id: str) -> None:
        """Delete a registered document's records but keep its entry: the repair of damaged records, before
        the document is written again (a collection with records that lost their vectors fails every search)."""
        entry = self.entries().get(doc_id)
        if entry:
            self._delete_version(entry["version"])

    def _expected_counts(self) -> dict[str, int] | None:
        """Records per collection that the registered versions hold; None if an entry predates the count."""
        totals = dict.fromkeys(COLLECTIONS, 0)
        for entry in self.entries().values():
            if "records" not in entry:
                return None
            for name in COLLECTIONS:
                totals[name] += entry["records"].get(name, 0)
        return totals

    # -- reading ------------------------------------------------------------------------------

    @_store_errors
    def paragraphs(self, doc_id: str) -> list[Paragraph]:
        """A document's paragraphs, in order."""
        entry = self.entries().get(doc_id)
        if not entry:
            return []
        got = self.collection("paragraphs").get(where={"version": entry["version"]}, include=["documents", "metadatas"])
        paragraphs = [_paragraph(t, m) for t, m in zip(got["documents"], got["metadatas"])]
        return sorted(paragraphs, key=lambda p: p.order)

    def record_id(self, paragraph: Paragraph) -> str | None:
        """The record id ("version#order") of a paragraph of an indexed document."""
        entry = self.entries().get(paragraph.doc_id)
        return f"{entry['version']}#{paragraph.order}" if entry else None

    @_store_errors
    def get_paragraphs(self, keys: list[str]) -> dict[str, Paragraph]:
        """Paragraphs by record id ("version#order"), cached."""
        found = _kept(self._paragraph_cache, keys)
        missing = [k for k in keys if k not in found]
        if missing:
            got = self.collection("paragraphs").get(ids=missing, include=["documents", "metadatas"])
            for rid, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                found[rid] = self._paragraph_cache[rid] = _paragraph(text, meta)
        # from what was found, not the cache again: adding the missing ones may have evicted some that were kept
        return {key: found[key] for key in keys if key in found}

    @_store_errors
    def sentence_vectors(self, keys: list[str]) -> dict[str, np.ndarray]:
        """Each paragraph's sentence vectors, (n, 384), stored at ingest (and kept: a record never changes)."""
        found = _kept(self._sentence_vector_cache, keys)
        paragraphs = self.get_paragraphs([k for k in keys if k not in found])
        # by record id ("version#order.sN"), vectors only: a metadata filter costs several times more at
        # 10,000 paragraphs, and reading each record's metadata costs more than its vector
        ids = [f"{key}.s{n}" for key, paragraph in paragraphs.items() for n in range(len(paragraph.sentences))]
        if ids:
            got = self.collection("sentences").get(ids=ids, include=["embeddings"])
            rows: dict[str, list[tuple[int, np.ndarray]]] = {}
            for rid, vector in zip(got["ids"], got["embeddings"]):
                paragraph, n = rid.rsplit(".s", 1)
                rows.setdefault(paragraph, []).append((int(n), vector))
            for key, row in rows.items():
                vectors = np.asarray([v for _, v in sorted(row, key=lambda x: x[0])], dtype=np.float32)
                found[key] = self._sentence_vector_cache[key] = vectors
        # (as in get_paragraphs: the cache may have forgotten some of those it held when this began)
        return {key: found[key] for key in keys if key in found}

    @_store_errors
    def dense_search(self, vector: np.ndarray, k: int, where: dict | None = None,
                     versions: set[str] | None = None) -> dict[str, float]:
        """Paragraph record id -> best cosine similarity of the query to its chunks or sentences, among the
        active versions (or those of them given) and the records `where` allows."""
        entries = {entry["version"]: entry for entry in self.entries().values()}
        scope = set(entries) if versions is None else set(entries) & set(versions)
        if not scope:
            return {}
        share = sum(entries[v]["paragraphs"] for v in scope) / max(1, sum(e["paragraphs"] for e in entries.values()))
        scores: dict[str, float] = {}
        for name in ("chunks", "sentences"):
            for distance, rid in self._nearest(name, vector, k, where, scope, share):
                pid = rid.rsplit(".", 1)[0]  # "version#order.c0" or ".s3": the paragraph's record id
                scores[pid] = max(scores.get(pid, -1.0), 1.0 - distance)
        # a hit whose paragraph is gone is a record another process deleted since this one loaded its vector
        # index (a repair): not an answer. Asked of the store by id alone, which costs little.
        found = set(self.collection("paragraphs").get(ids=list(scores), include=[])["ids"]) if scores else set()
        return {pid: score for pid, score in scores.items() if pid in found}

    def _nearest(self, name: str, vector: np.ndarray, k: int, where: dict | None, scope: set[str],
                 share: float) -> list[tuple[float, str]]:
        """The k records of `scope` nearest the vector, as (distance, record id). Chroma's filtered search
        costs in proportion to the records the filter admits (120 ms for `version $in` every version of
        10,000 paragraphs, against 5 ms unfiltered), so when the scope is most of the index this asks
        for more neighbours unfiltered and keeps those in scope, and filters only when that falls short.
        Only ids and distances are read: a record's id names its version and paragraph, and reading
        metadata costs Chroma about 0.2 ms a record, ten times the search."""
        collection = self.collection(name)
        query = [np.asarray(vector).tolist()]
        wanted = math.ceil(OVERFETCH * k / max(share, 1e-9))
        # when the first try holds too few of the scope (the nearest cluster lies outside it: "since
        # 2019" when older reports say it best), the most neighbours unfiltered still cost far less
        # than the filter (0.6-0.9 s at 100,000 paragraphs)
        for n in sorted({wanted, MAX_OVERFETCH}) if wanted <= MAX_OVERFETCH else ():
            result = collection.query(query_embeddings=query, n_results=n, where=where, include=["distances"])
            rows = [(d, rid) for d, rid in zip(result["distances"][0], result["ids"][0]) if _version_of(rid) in scope]
            if len(rows) >= k or len(result["ids"][0]) < n:  # enough, or everything there is
                return rows[:k]
        result = collection.query(query_embeddings=query, n_results=k, where=_and({"version": {"$in": sorted(scope)}}, where),
                                  include=["distances"])
        return list(zip(result["distances"][0], result["ids"][0]))

    # -- the lexical index ----------------------------------------------------------------------

    def _fingerprint(self) -> str:
        """The set of active versions, as one short key: the lexical index is rebuilt when it changes."""
        return hashlib.sha256(",".join([f"tokens {TOKENS_VERSION}", *self.versions()]).encode()).hexdigest()[:24]

    @_store_errors
    def rebuild_lexical(self) -> None:
        """Build the BM25 index over every active paragraph and save it beside Chroma."""
        import bm25s

        versions, fingerprint = self.versions(), self._fingerprint()
        ids, texts = [], []
        for i in range(0, len(versions), LEXICAL_FETCH):  # a bounded get at a time, however large the corpus
            got = self.collection("paragraphs").get(where={"version": {"$in": versions[i:i + LEXICAL_FETCH]}},
                                                    include=["documents", "metadatas"])
            rows = sorted(zip(got["ids"], got["documents"], got["metadatas"]),
                          key=lambda row: (row[2]["version"], row[2]["order"]))
            ids += [rid for rid, _, _ in rows]
            texts += [f"{m.get('section', '')} {t}" for _, t, m in rows]
        target = self.data_dir / LEXICAL_DIR
        tmp = self.data_dir / (LEXICAL_DIR + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        frequencies: dict[str, int] = {}
        if ids:
            tokens = tokenize(texts)
            for paragraph_tokens in tokens:
                for term in set(paragraph_tokens):
                    frequencies[term] = frequencies.get(term, 0) + 1
            retriever = bm25s.BM25()
            retriever.index(tokens, show_progress=False)
            retriever.save(str(tmp / "bm25"))
        from assistant.glossary import abbreviations_in
        from assistant.places import designations_in

        by_version: dict[str, list[str]] = {}
        for rid, text in zip(ids, texts):
            by_version.setdefault(_version_of(rid), []).append(text)
        meta = {"fingerprint": fingerprint, "ids": ids, "frequencies": frequencies, "abbreviations": abbreviations_in(texts),
                "designations": {version: found for version, vtexts in by_version.items() if (found := designations_in(vtexts))},
                "lowercase": sorted({word for text in texts for word in LOWERCASE_WORD_RE.findall(text)})}
        (tmp / "meta.json").write_text(json.dumps(meta))
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        self.__dict__.pop("_lexical", None)

    @cached_property
    def _lexical(self) -> _Lexical:
        import bm25s

        meta_path = self.data_dir / LEXICAL_DIR / "meta.json"
        if not meta_path.exists() or json.loads(meta_path.read_text())["fingerprint"] != self._fingerprint():
            self.rebuild_lexical()  # missing, or stale after an interrupted ingest
        meta = json.loads(meta_path.read_text())
        retriever = bm25s.BM25.load(str(self.data_dir / LEXICAL_DIR / "bm25")) if meta["ids"] else None
        codes: dict[str, int] = {}
        version_codes = np.array([codes.setdefault(_version_of(rid), len(codes)) for rid in meta["ids"]], dtype=np.int32)
        from assistant.glossary import Abbreviations

        frequencies = meta.get("frequencies", {})
        return _Lexical(retriever, meta["ids"], meta["fingerprint"], frequencies, codes, version_codes,
                        Abbreviations(meta.get("abbreviations", {})), meta.get("designations", {}),
                        frozenset(meta["lowercase"]))

    @_store_errors
    def abbreviations(self):
        """The abbreviations the indexed paragraphs define ("PAs": "personal advisers"), for adding to questions."""
        return self._lexical.abbreviations

    @_store_errors
    def designations(self) -> dict[str, dict[str, int]]:
        """Document id -> how many of its paragraphs call its place by its designation alone ("City": 104, for
        "the City"), for `place_aliases`."""
        by_version = self._lexical.designations
        return {doc_id: by_version[entry["version"]] for doc_id, entry in self.entries().items()
                if entry.get("version") in by_version}

    @_store_errors
    def lowercase_words(self) -> frozenset[str]:
        """The words the indexed paragraphs write in lower case ("care", "requires"): a capitalised one is a
        common word with a capital, not someone's name."""
        return self._lexical.lowercase

    @_store_errors
    def knows_term(self, stemmed: str) -> bool:
        """Whether any indexed paragraph uses this (stemmed) word."""
        return stemmed in self._lexical.frequencies

    @_store_errors
    def idf(self, stemmed: str) -> float:
        """Inverse document frequency of a (stemmed) word over the indexed paragraphs."""
        frequencies, total = self._lexical.frequencies, max(1, len(self._lexical.ids))
        return math.log(1 + (total - frequencies.get(stemmed, 0) + 0.5) / (frequencies.get(stemmed, 0) + 0.5))

    @_store_errors
    def lexical_search(self, text: str, k: int, allowed: set[str] | None = None,
                       without: set[str] = frozenset()) -> dict[str, float]:
        """Paragraph record id -> BM25 score, for paragraphs of active (and allowed) versions, on the
        text's (stemmed) words except those `without`."""
        if self._lexical.fingerprint != self._fingerprint():
            self.__dict__.pop("_lexical", None)
        lexical = self._lexical
        retriever, ids, codes, version_codes = lexical.retriever, lexical.ids, lexical.codes, lexical.version_codes
        if retriever is None:
            return {}
        tokens = [t for t in tokenize([text])[0] if t in retriever.vocab_dict and t not in without]
        if not tokens:
            return {}
        mask = None
        if allowed is not None:
            mask = np.isin(version_codes, [codes[v] for v in allowed if v in codes]).astype(np.float32)
        docs, scores = retriever.retrieve([tokens], k=min(k, len(ids)), show_progress=False, weight_mask=mask)
        return {ids[d]: float(s) for d, s in zip(docs[0], scores[0]) if s > 0}


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def _and(a: dict, b: dict | None) -> dict:
    return {"$and": [a, b]} if b else a


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english").stemWords


def stem_words(words: list[str]) -> list[str]:
    """The stems tokenize() gives these words."""
    return _stemmer()([w.lower() for w in words])


LOWERCASE_WORD_RE = re.compile(r"\b[a-z][a-z'\u2019-]+\b")  # a word written in lower case
TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's default pattern, on lower-cased text
# a prefix that is no word of its own makes one word with what it is hyphened to: "multi-agency" is not
# "agency" (every report has multi-agency working; a question about agency social workers is not about it)
BOUND_PREFIX_RE = re.compile(r"\b(multi|inter|non|pre|co|sub|semi|anti|un|re)[-\u2010\u2011](?=\w)")
TOKENS_VERSION = "6"  # part of the lexical index's fingerprint: one made by an earlier tokenize(), or without abbreviations, designations or lower-case words, is rebuilt


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.tokenization import _infer_stopwords

    return frozenset(_infer_stopwords("en"))


def tokenize(texts: list[str]) -> list[list[str]]:
    """Stemmed content words of each text: what BM25 indexes, and what answers compare.

    The same words as `bm25s.tokenize(texts, stopwords="en", stemmer=...)` (a test holds them equal), but
    for a bound prefix joined to its word (BOUND_PREFIX_RE). Done directly: bm25s rebuilds its stopword set
    for every text, which made tokenising a question's few hundred candidate sentences a tenth of answering."""
    stopwords, stem = _stopwords(), _stemmer()
    return [stem([t for t in TOKEN_RE.findall(BOUND_PREFIX_RE.sub(r"\1", text.lower())) if t not in stopwords]) for text in texts]


def _document(entry: dict) -> Document:
    return Document.from_dict(entry)


def _paragraph(text: str, meta: dict) -> Paragraph:
    return Paragraph(
        doc_id=meta["doc_id"], label=meta["label"], text=text, section=meta.get("section", ""),
        page=meta.get("page") or None, order=meta["order"], assigned=bool(meta.get("assigned")),
        sentences=tuple(tuple(s) for s in json.loads(meta.get("sentences", "[]"))),
    )
