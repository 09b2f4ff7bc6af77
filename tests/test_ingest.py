"""Ingest with the real model into real Chroma (and the BM25 index) in temporary directories:
what is stored and comes back, re-ingest, replacement, removal, bad files, interruption, and the
`python -m ingest` command."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import ingest.index as index_module
from ingest.index import COLLECTIONS, Index
from ingest.pipeline import ingest, read_document

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
OFSTED = "corpus/2024-ofsted-ilacs-inspection.txt"
SCRUTINY = "corpus/2026-scrutiny-panel-progress-report.txt"
CORPUS_IDS = {OFSTED, SCRUTINY, "corpus/2019-council-response-to-ofsted.txt", "corpus/2019-monitoring-visit-news.txt",
              "corpus/2016-press-inadequate.txt"}


@pytest.fixture
def docs(tmp_path, report_pdf, report_docx) -> Path:
    """A folder of the tests' own documents: the text fixtures with their manifest, a PDF and a DOCX."""
    folder = tmp_path / "docs"
    shutil.copytree(DATA, folder)
    shutil.copy(report_pdf.path, folder / "testshire-inspection.pdf")
    shutil.copy(report_docx.path, folder / "testshire-inspection.docx")
    return folder


def doc_id(path: Path) -> str:
    return "/".join(path.resolve().parts[-2:])  # outside the project: its folder's name and its own, never the server's path


def records(index: Index, name: str, document: str | None = None) -> list[str]:
    """Record ids in a Chroma collection, for one document or all."""
    where = {"doc_id": document} if document else None
    return index.collection(name).get(where=where, include=[])["ids"]


def counts(index: Index) -> dict[str, int]:
    return {name: index.collection(name).count() for name in COLLECTIONS}


def expected_counts(index: Index) -> dict[str, int]:
    """What the collections hold when every active paragraph is stored once and nothing else is."""
    paragraphs = [p for d in index.entries() for p in index.paragraphs(d)]
    return {"paragraphs": len(paragraphs), "sentences": sum(len(p.sentences) for p in paragraphs),
            "chunks": len(paragraphs)}  # the fixtures have no paragraph longer than the model's window


def stored(index: Index, document: str) -> list[tuple]:
    return [(p.label, p.text, p.section, p.page, p.assigned, p.sentences) for p in index.paragraphs(document)]


def read(path: Path) -> list[tuple]:
    return [(p.label, p.text, p.section, p.page, p.assigned, p.sentences) for p in read_document(path)[1]]


def labels_found(index: Index, hits: dict[str, float]) -> list[tuple[str, str]]:
    paragraphs = index.get_paragraphs(list(hits))
    return [(paragraphs[k].doc_id, paragraphs[k].label) for k in sorted(hits, key=hits.get, reverse=True)]


# -- what is stored ---------------------------------------------------------------------------------------

def test_ingest_stores_every_paragraph_once_and_returns_it_whole(docs, tmp_index, embedder):
    report = ingest([docs], tmp_index, embedder)
    files = sorted(p for p in docs.iterdir() if p.name != "manifest.json")
    assert report.failed == []
    assert sorted(report.added) == sorted(doc_id(p) for p in files)
    assert set(tmp_index.entries()) == {doc_id(p) for p in files}
    for path in files:
        assert stored(tmp_index, doc_id(path)) == read(path), path.name
    assert report.paragraphs == sum(len(read(p)) for p in files)
    assert counts(tmp_index) == expected_counts(tmp_index)
    assert "7 document(s) ingested (7 new, 0 replaced)" in report.summary()


def test_pages_metadata_and_judgements_come_back_from_the_index(docs, tmp_index, embedder):
    ingest([docs], tmp_index, embedder)
    pdf = doc_id(docs / "testshire-inspection.pdf")
    assert {p.label: p.page for p in tmp_index.paragraphs(pdf)} == {"1": 1, "2": 1, "3": 1, "4": 2, "5": 2, "6": 3, "7": 3}
    report = tmp_index.document(doc_id(docs / "numbered-report.txt"))
    assert (report.publisher, report.kind, report.date, report.year) == ("Ofsted", "inspection report", "2025-03", 2025)
    assert dict(report.judgements)["The experiences and progress of care leavers"] == "Inadequate"
    assert dict(tmp_index.document(doc_id(docs / "testshire-inspection.docx")).judgements) == {
        "Overall effectiveness": "Good", "The experiences and progress of care leavers": "Inadequate"}
    # Chroma records carry the fields retrieval filters on
    meta = tmp_index.collection("paragraphs").get(where={"doc_id": doc_id(docs / "council-report.txt")}, include=["metadatas"])
    assert {(m["publisher"], m["kind"], m["year"]) for m in meta["metadatas"]} == {("Testshire Council", "council report", 2025)}


def test_metadata_given_for_one_file_is_stored(article_pdf, tmp_index, embedder):
    meta = {"title": "Family hubs open", "publisher": "Testshire Echo", "kind": "press", "date": "2025-01-15"}
    report = ingest([article_pdf.path], tmp_index, embedder, metadata=meta)
    assert report.added == [doc_id(article_pdf.path)]
    document = tmp_index.document(doc_id(article_pdf.path))
    assert (document.title, document.publisher, document.kind, document.date) == tuple(meta.values())
    assert [(p.label, p.assigned, p.page) for p in tmp_index.paragraphs(document.id)] == [("1", True, 1), ("2", True, 1), ("3", True, 2)]


def test_sentence_spans_and_vectors_are_stored(docs, tmp_index, embedder):
    ingest([docs], tmp_index, embedder)
    paragraph = next(p for p in tmp_index.paragraphs(doc_id(docs / "numbered-report.txt")) if p.label == "2")
    assert paragraph.sentence_texts() == ["Strategy meetings are held promptly.", "The right partners attend:",
                                          "Police officers attend every strategy meeting.", "Health visitors attend most meetings."]
    key = next(k for k in records(tmp_index, "paragraphs", paragraph.doc_id) if k.endswith(f"#{paragraph.order}"))
    sentences = tmp_index.collection("sentences").get(where={"paragraph": key}, include=["documents", "metadatas"])
    by_n = sorted(zip((m["n"] for m in sentences["metadatas"]), sentences["documents"], strict=True))
    assert [text for _, text in by_n] == paragraph.sentence_texts()
    vectors = tmp_index.sentence_vectors([key])[key]
    assert vectors.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    # each sentence's vector is nearest to a query of its own words
    queries = embedder.embed_queries(paragraph.sentence_texts())
    assert list(np.argmax(queries @ vectors.T, axis=1)) == [0, 1, 2, 3]


def test_a_question_alone_is_embedded_by_the_traced_model_as_the_model_embeds_it_in_a_batch(embedder):
    from ingest.embed import traced_transformer

    assert traced_transformer() is not None  # the quicker path is in use, not silently abandoned
    questions = ["How quickly are strategy meetings held?", "x", "What did inspectors find about " + "care leavers " * 200]
    in_a_batch = embedder.embed_queries([*questions, "a longer text that pads the others in its batch " * 3])
    for question, expected in zip(questions, in_a_batch):
        alone = embedder.embed_queries([question])
        assert alone.shape == (1, 384)
        assert np.allclose(alone[0], expected, atol=1e-5)


def test_a_paragraph_longer_than_the_model_window_is_chunked_but_kept_whole(tmp_path, tmp_index, embedder):
    sentences = [f"In team {n} the social workers met {n + 3} families, wrote plans with them and reviewed each plan "
                 f"after {n % 5 + 2} weeks with the family's own words recorded." for n in range(1, 31)]
    long_text = " ".join(sentences)
    path = tmp_path / "long.txt"
    path.write_text(f"A long report\n\n1. A short first paragraph about the front door.\n\n2. {long_text}\n\n"
                    "3. A short last paragraph about care leavers.\n", encoding="utf-8")
    assert len(embedder.model.tokenizer.tokenize(long_text)) > 2 * embedder.window
    ingest([path], tmp_index, embedder)
    paragraphs = {p.label: p for p in tmp_index.paragraphs(doc_id(path))}
    assert paragraphs["2"].text == long_text  # citations show the whole paragraph
    key = next(k for k in records(tmp_index, "paragraphs", doc_id(path)) if k.endswith(f"#{paragraphs['2'].order}"))
    chunks = tmp_index.collection("chunks").get(where={"paragraph": key}, include=["documents", "metadatas"])
    assert len(chunks["ids"]) >= 3
    assert all(m["label"] == "2" for m in chunks["metadatas"])
    assert all(chunk in long_text for chunk in chunks["documents"])
    assert "after 2 weeks" in " ".join(chunks["documents"]) and sentences[-1][:40] in " ".join(chunks["documents"])
    # a question about the end of the long paragraph finds it
    hits = tmp_index.dense_search(embedder.embed_queries([sentences[-1]])[0], k=5)
    assert labels_found(tmp_index, hits)[0] == (doc_id(path), "2")


# -- re-ingest, change, removal ---------------------------------------------------------------------------

def test_reingesting_unchanged_files_does_nothing(docs, tmp_index, embedder):
    first = ingest([docs], tmp_index, embedder)
    before, versions = counts(tmp_index), tmp_index.versions()
    second = ingest([docs], tmp_index, embedder)
    assert sorted(second.unchanged) == sorted(first.added)
    assert (second.added, second.replaced, second.removed, second.failed, second.paragraphs) == ([], [], [], [], 0)
    assert counts(tmp_index) == before and tmp_index.versions() == versions
    assert "0 document(s) ingested (0 new, 0 replaced), 7 unchanged" in second.summary()


def test_a_changed_file_replaces_its_paragraphs_without_duplicates(docs, tmp_index, embedder):
    ingest([docs], tmp_index, embedder)
    path = docs / "numbered-report.txt"
    text = path.read_text(encoding="utf-8")
    old = "5. Pathway plans are often late and do not say who will help the young person find a home."
    new = ("5. Pathway plans are now written on time with each young person.\n"
           "6. A new lighthouse project gives care leavers a flat for their first year.")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")

    report = ingest([docs], tmp_index, embedder)
    assert report.replaced == [doc_id(path)] and report.added == [] and len(report.unchanged) == 6
    assert stored(tmp_index, doc_id(path)) == read(path)
    assert [p.label for p in tmp_index.paragraphs(doc_id(path))][-2:] == ["5", "6"]
    assert len(records(tmp_index, "paragraphs", doc_id(path))) == len(read(path)) == 11
    assert counts(tmp_index) == expected_counts(tmp_index)
    all_texts = tmp_index.collection("paragraphs").get(include=["documents"])["documents"]
    assert not any("often late" in t for t in all_texts)
    assert labels_found(tmp_index, tmp_index.lexical_search("lighthouse project", 5)) == [(doc_id(path), "6")]
    # the lexical index was rebuilt: every hit is a record of an active version
    hits = tmp_index.lexical_search("pathway plans often late young person home", 10)
    assert hits and {key.split("#")[0] for key in hits} <= set(tmp_index.versions())
    assert len(tmp_index.get_paragraphs(list(hits))) == len(hits)


def test_a_changed_manifest_entry_replaces_the_document(docs, tmp_index, embedder):
    ingest([docs], tmp_index, embedder)
    manifest = docs / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"publisher": "Testshire Council"',
                                                                      '"publisher": "Testshire County Council"'))
    report = ingest([docs], tmp_index, embedder)
    assert report.replaced == [doc_id(docs / "council-report.txt")]
    assert tmp_index.document(doc_id(docs / "council-report.txt")).publisher == "Testshire County Council"
    assert counts(tmp_index) == expected_counts(tmp_index)


def test_a_removed_file_loses_its_paragraphs(docs, tmp_index, embedder):
    ingest([docs], tmp_index, embedder)
    gone = docs / "press-article.txt"
    gone_id = doc_id(gone)
    assert records(tmp_index, "paragraphs", gone_id)
    gone.unlink()
    report = ingest([docs], tmp_index, embedder)
    assert report.removed == [gone_id]
    assert gone_id not in tmp_index.entries()
    for name in COLLECTIONS:
        assert records(tmp_index, name, gone_id) == [], name
    assert counts(tmp_index) == expected_counts(tmp_index)
    assert all(doc != gone_id for doc, _ in labels_found(tmp_index, tmp_index.lexical_search("foster care outstanding", 10)))


def test_ingesting_one_file_does_not_remove_the_others(docs, tmp_index, embedder):
    ingest([docs], tmp_index, embedder)
    report = ingest([docs / "blog-post.md"], tmp_index, embedder)
    assert report.unchanged == [doc_id(docs / "blog-post.md")] and report.removed == []
    assert len(tmp_index.entries()) == 7


# -- bad files ---------------------------------------------------------------------------------------------

def test_bad_files_get_one_line_each_and_the_others_are_ingested(docs, tmp_index, embedder, report_pdf, monkeypatch):
    from pypdf import PdfWriter

    good = sorted(doc_id(p) for p in docs.iterdir() if p.name != "manifest.json")
    bad_dir = docs / "incoming"
    bad_dir.mkdir()
    writer = PdfWriter(clone_from=str(report_pdf.path))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    writer.write(str(bad_dir / "locked.pdf"))
    (bad_dir / "truncated.pdf").write_bytes(report_pdf.path.read_bytes()[:600])
    (bad_dir / "empty.txt").write_bytes(b"")
    (bad_dir / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 4)
    (bad_dir / "latin1.txt").write_bytes("Caf\u00e9 report.\n".encode("latin-1"))
    (bad_dir / "notes.rtf").write_text("{\\rtf1 notes}")
    (bad_dir / "huge.txt").write_text("A sentence about children's services.\n" * 6000)  # about 230 KB
    monkeypatch.setenv("ASSISTANT_MAX_FILE_MB", "0.1")

    report = ingest([docs], tmp_index, embedder)
    assert sorted(report.added) == good
    assert len(report.failed) == 7
    reasons = {"locked.pdf": "encrypted", "truncated.pdf": "PDF", "empty.txt": "empty", "image.txt": "binary",
               "latin1.txt": "not UTF-8", "notes.rtf": "unknown file type", "huge.txt": "MB limit"}
    for name, reason in reasons.items():
        lines = [m for m in report.failed if m.startswith(str(bad_dir / name) + ":")]
        assert len(lines) == 1, (name, report.failed)
        assert reason in lines[0] and "\n" not in lines[0]
    assert set(tmp_index.entries()) == set(good)
    assert "7 new, 0 replaced), 0 unchanged, 0 removed, 7 failed" in report.summary()


# -- interruption ---------------------------------------------------------------------------------------------

class Killed(BaseException):
    """Stands for the process being killed: nothing in the pipeline catches it."""


def test_an_ingest_killed_before_the_registry_switch_leaves_the_old_index_answering(docs, tmp_index, embedder, monkeypatch):
    ingest([docs], tmp_index, embedder)
    path = docs / "numbered-report.txt"
    target = doc_id(path)
    original = path.read_text(encoding="utf-8")
    before, old_paragraphs, old_versions = counts(tmp_index), stored(tmp_index, target), tmp_index.versions()
    path.write_text(original.replace("bed and breakfast accommodation", "a zeppelin hangar"), encoding="utf-8")

    def killed(*args, **kwargs):
        raise Killed

    # the new version's records reach Chroma; the process dies as the registry is about to switch
    monkeypatch.setattr(index_module, "_write_atomic", killed)
    with pytest.raises(Killed):
        ingest([docs], tmp_index, embedder)
    monkeypatch.undo()
    assert counts(tmp_index)["paragraphs"] > before["paragraphs"]  # orphan records were written

    reopened = Index(tmp_index.data_dir)  # as the app would open it after the crash
    assert reopened.versions() == old_versions
    assert stored(reopened, target) == old_paragraphs
    assert reopened.lexical_search("zeppelin hangar", 10) == {}
    hits = reopened.dense_search(embedder.embed_queries(["care leavers living in a zeppelin hangar"])[0], k=20)
    assert hits and all(key.split("#")[0] in old_versions for key in hits)
    found = labels_found(reopened, hits)
    assert (target, "4") in found  # the old paragraph 4 still answers
    assert all("zeppelin" not in p.text for p in reopened.get_paragraphs(list(hits)).values())

    # the next ingest (the file put back as it was) removes the orphans and changes nothing else
    path.write_text(original, encoding="utf-8")
    report = ingest([docs], reopened, embedder)
    assert target in report.unchanged and report.failed == []
    assert counts(reopened) == before == expected_counts(reopened)


def test_an_ingest_interrupted_between_files_leaves_a_consistent_index(docs, tmp_index, embedder):
    ingest([docs], tmp_index, embedder)
    first, second = docs / "blog-post.md", docs / "council-report.txt"  # ingested in this (sorted) order
    first.write_text(first.read_text(encoding="utf-8").replace("in the summer", "in the autumn"), encoding="utf-8")
    second.write_text(second.read_text(encoding="utf-8").replace("six new flats", "nine new flats"), encoding="utf-8")
    old_second = stored(tmp_index, doc_id(second))

    class StopsOnSecondCall:
        def __init__(self):
            self.calls = 0

        def embed_paragraphs(self, paragraphs):
            self.calls += 1
            if self.calls == 2:
                raise Killed
            return embedder.embed_paragraphs(paragraphs)

    with pytest.raises(Killed):
        ingest([docs], tmp_index, StopsOnSecondCall())
    assert stored(tmp_index, doc_id(first)) == read(first)  # the finished file is in
    assert stored(tmp_index, doc_id(second)) == old_second  # the unfinished one is as it was
    assert counts(tmp_index) == expected_counts(tmp_index)

    report = ingest([docs], tmp_index, embedder)
    assert report.replaced == [doc_id(second)]
    assert stored(tmp_index, doc_id(second)) == read(second)
    assert counts(tmp_index) == expected_counts(tmp_index)


# -- the bundled corpus, as answering sees it --------------------------------------------------------------

def test_corpus_index_holds_the_five_documents_with_their_labels(corpus_index):
    assert set(corpus_index.entries()) == CORPUS_IDS
    ofsted = corpus_index.paragraphs(OFSTED)
    assert [p.label for p in ofsted if p.label.isdigit()] == [str(n) for n in range(1, 70)]
    assert [p.label for p in ofsted][:5] == ["details", "judgements", "summary 1", "summary 2", "What needs to improve?"]
    assert dict(corpus_index.document(OFSTED).judgements)["The experiences and progress of care leavers"] == \
        "Requires improvement to be good"
    scrutiny = [p.label for p in corpus_index.paragraphs(SCRUTINY)]
    assert "4.10" in scrutiny and "4.1." not in scrutiny
    for document in CORPUS_IDS:
        assert stored(corpus_index, document) == read(PROJECT_ROOT / document)
    assert counts(corpus_index)["paragraphs"] == sum(e["paragraphs"] for e in corpus_index.entries().values())


@pytest.mark.parametrize("boilerplate", ["Piccadilly Gate", "Crown copyright", "Open Government Licence",
                                         "Sign up to our daily", "By The Newsroom", "Tags:", "<ul", "**", "\u02dc"])
def test_no_boilerplate_or_markup_is_indexed(corpus_index, boilerplate):
    for name in COLLECTIONS:
        documents = corpus_index.collection(name).get(include=["documents"])["documents"]
        assert not any(boilerplate in text for text in documents), name


def test_the_corpus_is_findable_by_words_and_by_meaning(corpus_index, embedder):
    assert labels_found(corpus_index, corpus_index.lexical_search("family group conferences earliest opportunity", 5))[0] == (OFSTED, "7")
    assert (OFSTED, "judgements") in labels_found(
        corpus_index, corpus_index.lexical_search("judgement grade care leavers requires improvement to be good", 5))
    assert corpus_index.lexical_search("Piccadilly Gate Manchester", 5) == {}
    vector = embedder.embed_queries(["Families are offered family group conferences at the earliest opportunity"])[0]
    assert labels_found(corpus_index, corpus_index.dense_search(vector, k=5))[0] == (OFSTED, "7")
    # metadata filters: publisher and year
    by_ofsted = corpus_index.dense_search(vector, k=5, where={"publisher": "Ofsted"})
    assert by_ofsted and {doc for doc, _ in labels_found(corpus_index, by_ofsted)} == {OFSTED}
    in_2026 = corpus_index.dense_search(vector, k=5, where={"year": 2026})
    assert in_2026 and {doc for doc, _ in labels_found(corpus_index, in_2026)} == {SCRUTINY}


def test_dense_search_within_some_documents_finds_their_best_paragraphs(corpus_index, embedder):
    # A large scope is searched unfiltered and cut down; a small one (the press article is a few per cent
    # of the corpus) with Chroma's filter. Either way: only those documents, best first, as a filter gives.
    vector = embedder.embed_queries(["children's social care services were found to be inadequate"])[0]
    entries = corpus_index.entries()
    press = "corpus/2016-press-inadequate.txt"
    for scope in ({press}, {OFSTED, SCRUTINY, press}, set(entries)):
        versions = {entries[doc]["version"] for doc in scope}
        hits = corpus_index.dense_search(vector, k=5, versions=versions)
        by_filter = corpus_index.dense_search(vector, k=5, where={"doc_id": {"$in": sorted(scope)}})
        assert hits and {doc for doc, _ in labels_found(corpus_index, hits)} <= scope
        assert labels_found(corpus_index, hits)[0] == labels_found(corpus_index, by_filter)[0]
    assert {doc for doc, _ in labels_found(corpus_index, corpus_index.dense_search(vector, k=5, versions={entries[press]["version"]}))} == {press}


# -- python -m ingest --------------------------------------------------------------------------------------

def test_cli_ingest_reports_bad_files_exits_non_zero_and_ingests_the_rest(run_cli, tmp_path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name in ("press-article.txt", "blog-post.md"):
        shutil.copy(DATA / name, folder / name)
    (folder / "notes.rtf").write_text("{\\rtf1 notes}")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog")
    data_dir = tmp_path / "data"

    result = run_cli("ingest", "--quiet", folder, env={"ASSISTANT_DATA_DIR": str(data_dir)})
    assert result.returncode == 1, result.stderr
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 2
    assert any(str(folder / "notes.rtf") in line and "unknown file type" in line for line in failed)
    assert any(str(folder / "broken.pdf") in line for line in failed)
    assert "Traceback" not in result.stderr
    assert "2 document(s) ingested (2 new, 0 replaced), 0 unchanged, 0 removed, 2 failed" in result.stdout
    assert set(Index(data_dir).entries()) == {doc_id(folder / "press-article.txt"), doc_id(folder / "blog-post.md")}

    (folder / "notes.rtf").unlink()
    (folder / "broken.pdf").unlink()
    again = run_cli("ingest", folder, env={"ASSISTANT_DATA_DIR": str(data_dir)})  # with its progress bar
    assert again.returncode == 0, again.stderr
    assert "0 document(s) ingested (0 new, 0 replaced), 2 unchanged, 0 removed, 0 failed" in again.stdout
    assert "2/2" in again.stderr  # the progress bar counted the files


def test_an_app_process_sees_what_another_process_ingests_into_the_same_folder(run_cli, tmp_path, embedder):
    # The app keeps one embedded index open for hours while someone runs `python -m ingest` beside it.
    folder = tmp_path / "incoming"
    folder.mkdir()
    shutil.copy(DATA / "press-article.txt", folder / "press-article.txt")
    data_dir = tmp_path / "data"
    app_index = Index(data_dir, server=None)
    ingest([folder], app_index, embedder)
    question = embedder.embed_queries(["Who agreed a joint protocol on homes for care leavers?"])[0]
    assert doc_id(folder / "blog-post.md") not in {d for d, _ in labels_found(app_index, app_index.dense_search(question, k=5))}
    other_view = Index(data_dir, server=None)  # a second Index of the same folder in the app process
    assert other_view.dense_search(question, k=5)

    shutil.copy(DATA / "blog-post.md", folder / "blog-post.md")
    result = run_cli("ingest", "--quiet", folder, env={"ASSISTANT_DATA_DIR": str(data_dir)})
    assert result.returncode == 0, result.stderr

    for index in (app_index, other_view):
        hits = index.dense_search(question, k=5)
        best = max(hits, key=hits.get)
        paragraph = index.get_paragraphs([best])[best]
        assert paragraph.doc_id == doc_id(folder / "blog-post.md") and "joint protocol" in paragraph.text
        assert doc_id(folder / "blog-post.md") in {d for d, _ in labels_found(index, index.lexical_search("joint protocol", 3))}


def test_cli_ingest_defaults_to_the_corpus_setting(run_cli, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "council-report.txt", corpus / "council-report.txt")
    shutil.copy(DATA / "manifest.json", corpus / "manifest.json")
    data_dir = tmp_path / "data"
    result = run_cli("ingest", "--quiet", env={"ASSISTANT_DATA_DIR": str(data_dir), "ASSISTANT_CORPUS_DIR": str(corpus)})
    assert result.returncode == 0, result.stderr
    assert "1 document(s) ingested (1 new, 0 replaced)" in result.stdout and "6 paragraphs" in result.stdout
    index = Index(data_dir)
    assert index.document(doc_id(corpus / "council-report.txt")).publisher == "Testshire Council"
    assert [p.label for p in index.paragraphs(doc_id(corpus / "council-report.txt"))] == ["details", "1.1", "1.2", "1.3", "2.1", "2.2"]


def test_cli_ingest_metadata_options_need_exactly_one_file(run_cli, tmp_path):
    result = run_cli("ingest", "--publisher", "Ofsted", DATA, env={"ASSISTANT_DATA_DIR": str(tmp_path / "data")})
    assert result.returncode == 2
    assert "give exactly one file" in result.stderr
    assert not (tmp_path / "data").exists()


def test_tokenize_gives_the_words_bm25s_gives():
    """The BM25 index was built on bm25s's tokens; answering compares words with index.tokenize, so they must agree."""
    import bm25s

    texts = [line for path in sorted((PROJECT_ROOT / "corpus").glob("*.txt")) for line in path.read_text().splitlines()]
    texts += ["Don't e-mail £4million to the 17* Café in 2024/25", "", "a I"]
    texts += ["Multi-agency meetings, non-attendance and co\u2011produced plans"]
    # ... but for a bound prefix, which makes one word with what it is hyphened to
    joined = [index_module.BOUND_PREFIX_RE.sub(r"\1", text.lower()) for text in texts]
    expected = bm25s.tokenize(joined, stopwords="en", stemmer=index_module._stemmer(), return_ids=False, show_progress=False)
    assert index_module.tokenize(texts) == expected
    assert index_module.tokenize(["Care leavers' accommodation"]) == [["care", "leaver", "accommod"]]


def test_multi_agency_working_is_no_match_for_agency_staff_and_an_index_of_older_tokens_is_rebuilt(tmp_path, embedder, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "update.txt").write_text("Workforce update\n\n1. Multi-agency meetings are held weekly.\n\n"
                                       "2. Fewer agency social workers are employed than last year.\n", encoding="utf-8")
    monkeypatch.setattr(index_module, "TOKENS_VERSION", "1")  # as an index built before bound prefixes were joined
    index = Index(tmp_path / "index")
    ingest([folder], index, embedder)
    built = (tmp_path / "index" / "lexical" / "meta.json").read_text()
    monkeypatch.undo()
    reopened = Index(tmp_path / "index")
    assert [label for _, label in labels_found(reopened, reopened.lexical_search("agency staff", 5))] == ["2"]
    assert [label for _, label in labels_found(reopened, reopened.lexical_search("multi-agency", 5))] == ["1"]
    assert (tmp_path / "index" / "lexical" / "meta.json").read_text() != built  # rebuilt with today's tokens
