"""Writers that meet: two real `python -m ingest` processes on one index (embedded and a real `chroma run`),
a store that lost records, a Chroma server killed mid-ingest, and the inputs that must get one clear line
(symbolic links, a damaged registry, a bad numeric setting, a file over the size limit)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_server import ChromaServer

from assistant.answer import Assistant
from assistant.errors import IndexBusy, IngestStopped
from ingest.index import COLLECTIONS, Index
from ingest.pipeline import find_files, ingest

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CORPUS = PROJECT_ROOT / "corpus"
OFSTED_QUESTION = "What did Ofsted say about care leavers living in bed and breakfast accommodation?"
FIXTURE_QUESTION = "Who agreed a joint protocol on homes for care leavers?"  # tests/data/blog-post.md


def start_ingest(folder: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ingest", "--quiet", str(folder)], cwd=PROJECT_ROOT,
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def unfindable(index: Index, embedder) -> list[str]:
    """Registered paragraphs that a search for their own vector (their first chunk's) does not return."""
    missing = []
    for entry in index.entries().values():
        pids = [f"{entry['version']}#{n}" for n in range(entry["paragraphs"])]
        got = index.collection("chunks").get(ids=[f"{pid}.c0" for pid in pids], include=["embeddings"])
        vectors = dict(zip(got["ids"], got["embeddings"]))
        missing += [pid for pid in pids if f"{pid}.c0" not in vectors
                    or pid not in index.dense_search(vectors[f"{pid}.c0"], k=10)]
    return missing


def sources_of(answer) -> set[str]:
    return {citation.document.id for citation in answer.citations}


def copies(tmp_path: Path) -> tuple[Path, Path]:
    """Two folders to ingest at once: the bundled corpus and the tests' own documents."""
    first, second = tmp_path / "corpus", tmp_path / "fixtures"
    shutil.copytree(CORPUS, first)
    shutil.copytree(DATA, second)
    return first, second


def ingest_at_once(first_folder: Path, second_folder: Path, env: dict, holding) -> tuple:
    """Start an ingest, wait until it holds the writer lock (`holding()`), start a second one; both results."""
    first = start_ingest(first_folder, env)
    deadline = time.monotonic() + 120
    while not holding() and time.monotonic() < deadline:
        time.sleep(0.1)
    second = start_ingest(second_folder, env)
    return first, first.communicate(timeout=600), second, second.communicate(timeout=600)


# -- two writers ------------------------------------------------------------------------------------------

def test_a_second_ingest_waits_for_the_first_and_both_are_whole(tmp_path, embedder):
    corpus, fixtures = copies(tmp_path)
    data = tmp_path / "data"
    lock = data / "ingest.lock"
    first, (out1, err1), second, (out2, err2) = ingest_at_once(
        corpus, fixtures, {"ASSISTANT_DATA_DIR": str(data)}, lambda: lock.exists() and lock.read_text().strip())
    assert first.returncode == 0 and second.returncode == 0, (err1, err2)
    assert f"another ingest is running (pid {first.pid}); waiting" in err2
    assert "5 document(s) ingested (5 new" in out1 and "5 document(s) ingested (5 new" in out2

    index = Index(data, server=None)
    assert len(index.entries()) == 10
    assert unfindable(index, embedder) == []
    assert index.verify() == {}
    assistant = Assistant(index, embedder)
    assert "corpus/2024-ofsted-ilacs-inspection.txt" in sources_of(assistant.ask(OFSTED_QUESTION))
    assert "fixtures/blog-post.md" in sources_of(assistant.ask(FIXTURE_QUESTION))


def test_an_ingest_that_waits_too_long_is_refused_and_changes_nothing(tmp_path, embedder):
    data = tmp_path / "data"
    index = Index(data, server=None)
    ingest([DATA / "press-article.txt"], index, embedder)
    before = index.entries()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from ingest.lock import FileLock\n"
                               "with FileLock(sys.argv[1]).held(5, print):\n print('held', flush=True); time.sleep(60)",
                               str(data)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        notices = []
        with pytest.raises(IndexBusy) as refused:
            ingest([DATA / "blog-post.md"], index, embedder, wait=1.5, notice=notices.append)
    finally:
        holder.kill()
        holder.wait()
    assert notices == [f"another ingest is running (pid {holder.pid}); waiting"]
    assert f"pid {holder.pid}" in str(refused.value) and "nothing was changed" in str(refused.value)
    assert index.entries() == before
    # the holder is gone (killed): the lock is free again at once
    assert ingest([DATA / "blog-post.md"], index, embedder, wait=0).added


def test_two_ingests_into_one_chroma_server_take_turns(tmp_path, embedder):
    server = ChromaServer(tmp_path / "server")
    server.start()
    try:
        corpus, fixtures = copies(tmp_path)
        env = {"ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": str(server.port)}
        watcher = Index(tmp_path / "watcher", server=server.address)
        lock_records = watcher.client.get_or_create_collection("ingest_lock", embedding_function=None)
        first, (_, err1), second, (out2, err2) = ingest_at_once(
            corpus, fixtures, {**env, "ASSISTANT_DATA_DIR": str(tmp_path / "instance")}, lambda: lock_records.count())
        assert first.returncode == 0 and second.returncode == 0, (err1, err2)
        assert f"another ingest is running (pid {first.pid} on " in err2
        assert lock_records.count() == 0  # released
        index = Index(tmp_path / "reader", server=server.address)
        assert len(index.entries()) == 10
        assert unfindable(index, embedder) == [] and index.verify() == {}
        assert "fixtures/blog-post.md" in sources_of(Assistant(index, embedder).ask(FIXTURE_QUESTION))
    finally:
        server.stop()


# -- the store checked against the registry ------------------------------------------------------------------

def _library(tmp_path, embedder):
    """The test documents copied to a folder and ingested into an embedded store: (folder, index)."""
    folder = tmp_path / "docs"
    shutil.copytree(DATA, folder)
    index = Index(tmp_path / "data", server=None)
    ingest([folder], index, embedder)
    return folder, index


def test_records_lost_from_the_store_are_written_again_not_called_unchanged(tmp_path, embedder):
    # as a tester saw after an upload during a CLI ingest: the registry lists a document, Chroma has none of it
    folder, index = _library(tmp_path, embedder)
    target = "docs/blog-post.md"
    version = index.entries()[target]["version"]
    for name in COLLECTIONS:
        index.collection(name).delete(where={"version": version})
    index.collection("sentences").delete(ids=[f"{index.entries()['docs/council-report.txt']['version']}#1.s0"])
    assert set(index.verify()) == {target, "docs/council-report.txt"}

    report = ingest([folder], index, embedder)
    assert sorted(report.repaired) == ["docs/blog-post.md", "docs/council-report.txt"]
    assert len(report.unchanged) == 3 and report.failed == []
    assert "3 unchanged, 0 removed, 0 failed, 2 repaired" in report.summary()
    assert index.verify() == {} and unfindable(index, embedder) == []
    assert target in sources_of(Assistant(index, embedder).ask(FIXTURE_QUESTION))
    assert ingest([folder], index, embedder).repaired == []  # and once repaired, it stays so


def test_a_damaged_document_whose_file_is_not_found_is_kept_not_taken_out(tmp_path, embedder):
    # an ingest of one new file, run where the library's other files are not, must not empty the library of
    # every document with a record missing: the document answers less, and the line says how to repair it
    folder, index = _library(tmp_path, embedder)
    target = "docs/council-report.txt"
    index.collection("sentences").delete(ids=[f"{index.entries()[target]['version']}#1.s0"])
    (folder / "council-report.txt").rename(tmp_path / "elsewhere.txt")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.txt").write_text("A short note.\n\n1. Care leavers have a new hub.\n", encoding="utf-8")
    report = ingest([extra / "note.txt"], index, embedder)
    assert target in index.entries() and report.removed == []
    assert any(line.startswith(target) and "left as it is" in line for line in report.failed), report.failed


def test_a_process_with_the_store_open_keeps_answering_after_another_deletes_records(run_cli, tmp_path, embedder):
    # the app holds the embedded store open while an ingest elsewhere drops a damaged document's records
    folder = tmp_path / "docs"
    shutil.copytree(DATA, folder)
    data = tmp_path / "data"
    app_index = Index(data, server=None)
    ingest([folder], app_index, embedder)
    question = embedder.embed_queries([FIXTURE_QUESTION])[0]
    assert app_index.dense_search(question, k=5)
    version = app_index.entries()["docs/blog-post.md"]["version"]
    dropped = subprocess.run([sys.executable, "-c", "import sys; from ingest.index import COLLECTIONS, Index\n"
                              "index = Index(sys.argv[1], server=None)\n"
                              "for name in COLLECTIONS: index.collection(name).delete(where={'version': sys.argv[2]})",
                              str(data), version], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert dropped.returncode == 0, dropped.stderr
    hits = app_index.dense_search(question, k=5)
    assert hits and all(key.split("#")[0] != version for key in hits)


def test_a_chroma_server_killed_mid_ingest_says_what_was_done(tmp_path, embedder):
    server = ChromaServer(tmp_path / "server")
    server.start()
    try:
        watcher = Index(tmp_path / "watcher", server=server.address)
        process = start_ingest(CORPUS, {"ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": str(server.port),
                                        "ASSISTANT_DATA_DIR": str(tmp_path / "instance")})
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not watcher.client.get_or_create_collection(
                "documents", embedding_function=None).count():
            time.sleep(0.2)
        # at least one document registered, the others still to come; how many more the ingest finished
        # before the kill landed depends on the machine's load, so the line is checked against the store
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        out, err = process.communicate(timeout=300)
    finally:
        if server.process.poll() is None:
            server.stop()
    assert process.returncode == 2 and "Traceback" not in err
    line = next(line for line in err.splitlines() if line.startswith("error: "))
    assert "nothing has been changed" not in line
    assert "Cannot reach the Chroma server" in line and "run the same ingest again" in line

    server.start()  # the store as the kill left it: the line said what it holds, and ingest again finishes the work
    index = Index(tmp_path / "instance", server=server.address)
    try:
        done = sorted(index.entries())
        planned = len(find_files([CORPUS])[0])
        assert 1 <= len(done) < planned
        # ... or one more than it says, when the kill landed as the server stored a registry record: the line says so
        maybe = re.search(r"; but (\S+) may be: the server went while registering it", line)
        said = [doc_id for doc_id in done if not maybe or doc_id != maybe.group(1)]
        assert f"Done: {len(said)} added ({', '.join(said[:3])}" in line or not said and "Done: nothing changed" in line, line
        assert f"Not done: {planned - len(said)} file(s)" in line, line
        notices = []
        report = ingest([CORPUS], index, embedder, wait=5, notice=notices.append)
        assert notices == []  # the killed ingest's lock record names a process that has ended: taken over at once
        assert report.unchanged == done and len(report.added) == planned - len(done)
        assert unfindable(index, embedder) == []
    finally:
        server.stop()


def test_a_chroma_server_gone_while_registering_a_document_says_it_may_be_registered(tmp_path, embedder, monkeypatch):
    # the server may store a record and go before it answers: the ingest cannot know, and must not say "not registered"
    server = ChromaServer(tmp_path / "server")
    server.start()
    index = Index(tmp_path / "instance", server=server.address)
    save_entry = Index._save_entry

    def killed_while_saving(self, doc_id, entry):
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        return save_entry(self, doc_id, entry)

    try:
        monkeypatch.setattr(Index, "_save_entry", killed_while_saving)
        with pytest.raises(IngestStopped) as stopped:
            ingest([CORPUS], index, embedder, wait=5)
        monkeypatch.undo()
        first = "corpus/2016-press-inadequate.txt"
        assert "Done: nothing changed. Not done: 5 file(s)" in str(stopped.value)
        assert f"but {first} may be: the server went while registering it" in str(stopped.value)
        server.start()
        assert Index(tmp_path / "instance", server=server.address).entries() == {}  # here the record never reached it
    finally:
        if server.process.poll() is None:
            server.stop()


# -- bad input: one line each, nothing lost --------------------------------------------------------------

def test_symbolic_links_are_refused_with_a_line_and_never_read(tmp_path, embedder):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("1. The root password is swordfish and it opens every door.\n", encoding="utf-8")
    folder = tmp_path / "incoming"
    folder.mkdir()
    shutil.copy(DATA / "press-article.txt", folder / "press-article.txt")
    (folder / "passwd.txt").symlink_to(secret)
    (folder / "more").symlink_to(outside, target_is_directory=True)
    index = Index(tmp_path / "data", server=None)

    report = ingest([folder], index, embedder)
    assert report.added == ["incoming/press-article.txt"]
    assert len(report.failed) == 2
    for name in ("passwd.txt", "more"):
        line = next(m for m in report.failed if m.startswith(f"{folder / name}:"))
        assert "symbolic link" in line and "not followed" in line and "\n" not in line
    assert ingest([folder / "passwd.txt"], index, embedder).failed[0].startswith(f"{folder / 'passwd.txt'}: a symbolic link")
    assert list(index.entries()) == ["incoming/press-article.txt"]
    assert index.lexical_search("swordfish password", 5) == {}


def test_a_damaged_registry_gives_one_line_to_ingest_and_ask_and_is_left_alone(run_cli, tmp_path, embedder):
    data = tmp_path / "data"
    ingest([DATA / "press-article.txt"], Index(data, server=None), embedder)
    registry = data / "registry.json"
    registry.write_text(registry.read_text(encoding="utf-8")[:-40], encoding="utf-8")  # cut short, as a full disk leaves it
    damaged = registry.read_bytes()
    env = {"ASSISTANT_DATA_DIR": str(data)}
    for result in (run_cli("ingest", "--quiet", DATA, env=env), run_cli("assistant", "ask", "Who was criticised?", env=env)):
        assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
        lines = [line for line in result.stderr.splitlines() if str(registry) in line]
        assert len(lines) == 1 and "damaged" in lines[0] and "not valid JSON" in lines[0]
    assert registry.read_bytes() == damaged


def test_a_bad_size_setting_gives_one_line(run_cli, tmp_path):
    result = run_cli("ingest", "--quiet", DATA, env={"ASSISTANT_DATA_DIR": str(tmp_path / "data"),
                                                      "ASSISTANT_MAX_FILE_MB": "abc"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ASSISTANT_MAX_FILE_MB='abc' is not a number")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, embedder, monkeypatch):
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as handle:
        handle.truncate(2 * 1024**3)  # 2 GB, sparse: costs no disk, but reading it would read 2 GB
    monkeypatch.setenv("ASSISTANT_MAX_FILE_MB", "50")
    index = Index(tmp_path / "data", server=None)

    def bytes_read() -> int:  # every byte this process has read through read(2), from the page cache or not
        return int(next(line for line in Path("/proc/self/io").read_text().splitlines()
                        if line.startswith("rchar:")).split()[1])

    before = bytes_read()
    report = ingest([huge], index, embedder)
    assert bytes_read() - before < 50 * 1024**2
    assert report.failed == [f"{huge}: 2048.0 MB is over the 50 MB limit (setting ASSISTANT_MAX_FILE_MB)"]
    assert index.entries() == {}
