"""Server mode: a real `chroma run` on loopback shared by two app instances, each with its own local
data directory; ingest and answers through it; a clear error while it is down; answers again
after a restart with nothing lost."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.answer import Assistant
from assistant.errors import StoreUnavailable
from ingest.index import Index
from ingest.pipeline import ingest

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
OFSTED = "corpus/2024-ofsted-ilacs-inspection.txt"
QUESTION = "What did Ofsted say about care leavers living in bed and breakfast accommodation?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    """`chroma run` on a free loopback port, storing in `path`; can be stopped and started again."""

    def __init__(self, path: Path):
        self.path, self.port, self.process = path, free_port(), None

    def start(self) -> None:
        chroma = Path(sys.executable).parent / "chroma"
        self.process = subprocess.Popen([str(chroma), "run", "--path", str(self.path), "--host", "127.0.0.1",
                                         "--port", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("chroma run did not start within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"))
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture(scope="module")
def served(chroma_server, tmp_path_factory, embedder):
    """The bundled corpus ingested into the server by a first instance."""
    first = Index(tmp_path_factory.mktemp("instance-1"), server=chroma_server.address)
    report = ingest([CORPUS], first, embedder)
    assert not report.failed and len(report.added) == 5, report.summary()
    return first


def test_ingest_and_answer_through_the_server(served, embedder):
    answer = Assistant(served, embedder).ask(QUESTION)
    assert answer.answered and (OFSTED, "55") in {(c.document.id, c.paragraph.label) for c in answer.citations}
    assert not (served.data_dir / "registry.json").exists()  # the registry lives in the server


def test_a_second_instance_sees_the_same_documents_and_answers_alike(served, chroma_server, tmp_path, embedder):
    second = Index(tmp_path / "instance-2", server=chroma_server.address)
    assert second.documents() == served.documents()
    ours, theirs = Assistant(served, embedder).ask(QUESTION), Assistant(second, embedder).ask(QUESTION)
    assert ours.text == theirs.text  # same documents, same paragraphs, same BM25 built from the server

    # re-ingesting the unchanged corpus from the second instance changes nothing
    report = ingest([CORPUS], second, embedder)
    assert not (report.added or report.replaced or report.removed) and len(report.unchanged) == 5


def test_a_report_added_by_one_instance_is_answered_by_the_other(served, chroma_server, tmp_path, embedder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "riverside.txt").write_text(
        "Riverside Borough Council: fostering update\n\n1. The council has recruited fourteen new foster carers in "
        "Riverside since the spring, most of them for teenagers.\n", encoding="utf-8")
    other = Index(tmp_path / "instance-3", server=chroma_server.address)
    meta = {"title": "Fostering update", "publisher": "Riverside Borough Council", "kind": "council report", "date": "2025"}
    assert not ingest([folder], other, embedder, metadata=meta).failed
    time.sleep(1.2)  # the first instance trusts its copy of the registry for a second
    answer = Assistant(served, embedder).ask("How many foster carers has Riverside recruited?")
    assert answer.answered and answer.citations[0].document.publisher == "Riverside Borough Council"
    other.remove(next(d for d in other.documents() if d.endswith("riverside.txt")))


def test_a_stopped_server_gives_a_clear_error_and_a_restart_loses_nothing(served, chroma_server, tmp_path, embedder):
    time.sleep(1.2)  # past the registry copy's second of trust, after the test before
    before = {doc_id: len(served.paragraphs(doc_id)) for doc_id in served.documents()}
    chroma_server.stop()
    try:
        fresh = Index(tmp_path / "instance-4", server=chroma_server.address)
        with pytest.raises(StoreUnavailable, match=f"Cannot reach the Chroma server at 127.0.0.1:{chroma_server.port}"):
            Assistant(fresh, embedder).ask(QUESTION)
        time.sleep(1.2)
        with pytest.raises(StoreUnavailable):
            Assistant(served, embedder).ask(QUESTION)
    finally:
        chroma_server.start()
    time.sleep(1.2)
    assert {doc_id: len(served.paragraphs(doc_id)) for doc_id in served.documents()} == before
    assert Assistant(served, embedder).ask(QUESTION).answered


def test_the_cli_uses_the_server_from_the_settings(served, chroma_server, tmp_path, run_cli):
    env = {"ASSISTANT_CHROMA_HOST": "127.0.0.1", "ASSISTANT_CHROMA_PORT": str(chroma_server.port),
           "ASSISTANT_DATA_DIR": str(tmp_path / "cli-instance")}
    result = run_cli("assistant", "ask", "--json", QUESTION, env=env)
    assert result.returncode == 0, result.stderr
    assert '"paragraph": "55"' in result.stdout
    shutil.rmtree(tmp_path / "cli-instance", ignore_errors=True)


def test_the_registry_is_one_record_per_document_in_the_server(served):
    records = served.client.get_collection("documents").get(include=["documents", "metadatas"])
    assert sorted(records["ids"]) == sorted(served.entries())
    for rid, text, meta in zip(records["ids"], records["documents"], records["metadatas"]):
        assert json.loads(text)["version"] == meta["version"] == served.entries()[rid]["version"]


def write_report(folder: Path, name: str, sentence: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(f"{name}\n\n1. {sentence}\n", encoding="utf-8")
    return path


def test_two_instances_adding_reports_at_once_keep_both(served, chroma_server, tmp_path, embedder):
    a, b = (Index(tmp_path / f"instance-{n}", server=chroma_server.address) for n in "ab")
    a.entries(), b.entries()  # both hold a copy of the registry from before either report
    first = write_report(tmp_path / "docs", "first.txt", "Oakhurst has opened a new family hub for teenagers.")
    second = write_report(tmp_path / "docs", "second.txt", "Pennington has closed its last children's home.")
    assert not ingest([first], a, embedder, metadata={"publisher": "Oakhurst Council"}).failed
    assert not ingest([second], b, embedder, metadata={"publisher": "Pennington Council"}).failed  # b's copy is stale
    time.sleep(1.2)
    ids = {doc_id for doc_id in served.entries() if doc_id.endswith(("first.txt", "second.txt"))}
    assert len(ids) == 2  # neither instance's registry write undid the other's
    for doc_id in ids:
        a.remove(doc_id)
    assert not set(b.entries()) & ids


class Killed(BaseException):
    """Stands for the process being killed."""


def test_an_ingest_killed_in_one_instance_leaves_its_orphans_to_the_grace_period(served, chroma_server, tmp_path,
                                                                                embedder, monkeypatch):
    import ingest.index as index_module

    a, b = (Index(tmp_path / f"instance-{n}", server=chroma_server.address) for n in "ab")
    path = write_report(tmp_path / "docs", "half.txt", "Queensmere has appointed a new director of children's services.")
    before = {name: a.collection(name).count() for name in ("paragraphs", "chunks", "sentences")}

    def killed(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(Index, "_save_entry", killed)  # records written, the registry not switched
    with pytest.raises(Killed):
        ingest([path], a, embedder)
    monkeypatch.undo()
    assert a.collection("paragraphs").count() > before["paragraphs"]
    assert not any(doc_id.endswith("half.txt") for doc_id in b.entries())
    assert b.lexical_search("Queensmere", 5) == {}

    assert b.remove_orphans() == 0  # young records may be another instance's ingest in progress
    monkeypatch.setattr(index_module, "ORPHAN_GRACE", 0.0)
    assert b.remove_orphans() > 0  # old enough: left by a dead ingest
    assert {name: b.collection(name).count() for name in before} == before
