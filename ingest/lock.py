"""One writer at a time: the lock every ingest holds while it changes an index.

Two writers on one store lose records (embedded Chroma keeps its vector index in each process's
memory and each process saves its own copy over the other's; two registry updates can each drop the
other's entry), so `ingest()` holds this lock from its first write to its last.

- Embedded store: `fcntl.flock` on DATA_DIR/ingest.lock, which holds the writer's pid. The kernel
  releases it when the process ends, however it ends, so a killed ingest never leaves it stuck. It
  excludes processes on one machine (and on a network filesystem only where that filesystem
  supports flock).
- Chroma server: a lock record in the server (collection "ingest_lock", one record "writer").
  Chroma's `add` keeps the record already there when the id exists, so of two writers adding it at
  once one finds its own token when it reads the record back, and the other waits. The holder
  renews the record every BEAT seconds; a record not renewed for STALE seconds, or whose writer's
  process on this machine has ended, was left by a dead writer and is taken over. This holds among instances of this code; a writer that ignores the
  record (an older version, another program) is not excluded.

Each lock is a context manager: `with lock.held(timeout, notice): ...`. A writer that finds the lock
taken calls notice("another ingest is running (pid N); waiting") once and waits up to `timeout`
seconds, then raises IndexBusy.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.errors import IndexBusy

LOCK_FILE = "ingest.lock"
LOCK_COLLECTION = "ingest_lock"
LOCK_ID = "writer"
POLL = 0.5  # seconds between tries while another writer holds the lock
BEAT = 15.0  # server mode: seconds between the holder's renewals of its lock record
STALE = 120.0  # server mode: a lock record not renewed for this long was left by a dead writer


def _waiting(holder: str) -> str:
    return f"another ingest is running ({holder}); waiting"


def _refused(holder: str, where: str, timeout: float) -> IndexBusy:
    return IndexBusy(f"another ingest ({holder}) has been writing to {where} for more than {timeout:g} s; "
                     "nothing was changed by this one. Run it again when that ingest has finished.")


class FileLock:
    """The embedded store's lock: flock on a file in the data directory."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / LOCK_FILE

    def holder(self) -> str:
        try:
            pid = self.path.read_text(encoding="utf-8").strip()
        except OSError:
            pid = ""
        return f"pid {pid}" if pid else "pid unknown"

    @contextlib.contextmanager
    def held(self, timeout: float, notice: Callable[[str], None]) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as handle:
            started, told = time.monotonic(), False
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    holder, waited = self.holder(), time.monotonic() - started
                    # the holder writes its pid just after it locks: give it a moment before saying "unknown"
                    if not told and (holder != "pid unknown" or waited > 1):
                        notice(_waiting(holder))
                        told = True
                    if waited > timeout:
                        raise _refused(holder, str(self.path.parent), timeout) from None
                    time.sleep(POLL)
            handle.truncate(0)
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            try:
                yield
            finally:
                handle.truncate(0)  # closing the file releases the lock


class ServerLock:
    """A Chroma server's lock: one record in the server that the writer holding it keeps renewed."""

    def __init__(self, client, where: str):
        self.client = client
        self.where = where
        self.token = uuid.uuid4().hex
        self.me = f"pid {os.getpid()} on {socket.gethostname()}"

    def _records(self):
        return self.client.get_or_create_collection(LOCK_COLLECTION, embedding_function=None)

    def _current(self) -> dict | None:
        got = self._records().get(ids=[LOCK_ID], include=["metadatas"])
        return got["metadatas"][0] if got["ids"] else None

    def _try(self, again: bool = True) -> str | None:
        """Take the lock if it is free (or abandoned): None when this writer holds it, else who does."""
        self._records().add(ids=[LOCK_ID], embeddings=[[1.0]], metadatas=[{
            "token": self.token, "holder": self.me, "host": socket.gethostname(), "pid": os.getpid(), "beat": time.time()}])
        current = self._current()
        if current is None:  # released between our add and our read: try again
            return "a writer that has just finished"
        if current["token"] == self.token:
            return None
        if self._abandoned(current) and again:
            # delete only that record: another waiter may have replaced it already
            self._records().delete(ids=[LOCK_ID], where={"token": current["token"]})
            return self._try(again=False)
        return current["holder"]

    @staticmethod
    def _abandoned(record: dict) -> bool:
        """Left by a writer that is gone: not renewed for STALE seconds, or its process on this machine has ended."""
        if time.time() - record["beat"] > STALE:
            return True
        if record.get("host") != socket.gethostname():
            return False
        try:
            os.kill(int(record["pid"]), 0)
        except ProcessLookupError:
            return True
        except (PermissionError, KeyError, ValueError):
            pass
        return False

    def _renew(self, stop: threading.Event) -> None:
        while not stop.wait(BEAT):
            with contextlib.suppress(Exception):  # a server away for a moment: the ingest itself will say so
                current = self._current()
                if current and current["token"] == self.token:
                    self._records().update(ids=[LOCK_ID], metadatas=[{**current, "beat": time.time()}])

    @contextlib.contextmanager
    def held(self, timeout: float, notice: Callable[[str], None]) -> Iterator[None]:
        started, told = time.monotonic(), False
        while (holder := self._try()) is not None:
            if not told:
                notice(_waiting(holder))
                told = True
            if time.monotonic() - started > timeout:
                raise _refused(holder, self.where, timeout)
            time.sleep(POLL)
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(stop,), daemon=True)
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            with contextlib.suppress(Exception):  # unreachable now: the record goes stale and is taken over
                self._records().delete(ids=[LOCK_ID], where={"token": self.token})
