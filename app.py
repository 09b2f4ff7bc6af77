"""The Gradio web app around an already-built assistant: ask with follow-ups and open each cited
paragraph in its place; narrow the search; read a document; build and export a briefing note;
check the citations of a passage; add a report.

Run: python app.py (builds the index from the bundled corpus on first run). What is shown is
built by assistant/present.py, which escapes every piece of document or user text.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import functools  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402

from assistant import present, settings  # noqa: E402
from assistant.answer import Assistant  # noqa: E402
from assistant.errors import AssistantError  # noqa: E402
from assistant.retrieve import Filters  # noqa: E402

log = logging.getLogger("app")

ASK_CONCURRENCY = 4  # answers are ~0.1 s of CPU: a few at once keeps 2 cores busy without thrashing
UPLOAD_TYPES = [".pdf", ".docx", ".html", ".htm", ".txt", ".md"]
KINDS = ["inspection report", "council report", "council statement", "press", "unknown"]
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
SORRY = "Something went wrong. Please try again."

# A citation marker in an answer is a link "#cite-TURN-MARKER": a click puts TURN-MARKER (and the
# time, so that the same link clicked twice still counts as a change) in a hidden box whose change
# opens that paragraph. Chatbot.select alone tells which message was clicked, not which marker.
CITE_JS = """() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[href^="#cite-"]');
    const box = document.querySelector('#cite-request textarea');
    if (!link || !box) return;
    event.preventDefault();
    event.stopPropagation();
    box.value = link.getAttribute('href').slice(6) + '@' + Date.now();
    box.dispatchEvent(new Event('input', {bubbles: true}));
  }, true);
}"""


def uploads_enabled() -> bool:
    return settings.get("UPLOADS").strip().lower() not in {"off", "0", "false", "no"}


def shielded(n_outputs: int, status_at: int = 0):
    """A handler whose failure shows a short message in its status output, never a stack trace."""

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except AssistantError as exc:
                message = str(exc)
            except Exception:
                log.exception("handler %s failed", fn.__name__)
                message = SORRY
            out = [gr.skip()] * n_outputs
            out[status_at] = present.status(message, ok=False)
            return out[0] if n_outputs == 1 else tuple(out)

        return inner

    return wrap


class Views:
    """Reads the index for the app: documents, paragraphs (cached per document version), choices."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self.index = assistant.index
        self._paragraphs: dict[str, list] = {}

    def paragraphs(self, doc_id: str) -> list:
        entry = self.index.entries().get(doc_id)
        if not entry:
            raise AssistantError("That document is not in the index.")
        if entry["version"] not in self._paragraphs:
            self._paragraphs[entry["version"]] = self.index.paragraphs(doc_id)
        return self._paragraphs[entry["version"]]

    def document(self, doc_id: str):
        document = self.index.document(doc_id)
        if document is None:
            raise AssistantError("That document is not in the index.")
        return document

    def paragraph_text(self, document, label) -> str | None:
        """A cited paragraph's text; the document given as a Document, its id or its title."""
        key = getattr(document, "id", document)
        document = self.index.document(key) or next((d for d in self.index.documents().values() if d.title == key), None)
        if document is None or label is None:
            return None
        found = present.find_label(self.paragraphs(document.id), str(label))
        return found.text if found else None

    def document_choices(self) -> list[tuple[str, str]]:
        docs = sorted(self.index.documents().values(), key=lambda d: d.date or "", reverse=True)
        return [(f"{d.title} ({d.publisher}, {d.date or 'undated'})", d.id) for d in docs]

    def publisher_choices(self) -> list[str]:
        return sorted({d.publisher for d in self.index.documents().values()})

    def year_choices(self) -> list[int]:
        return sorted({d.year for d in self.index.documents().values() if d.year}, reverse=True)


def _history(turns: list[dict]) -> list[dict]:
    """The conversation so far as the assistant reads it: plain text, oldest first."""
    history = []
    for turn in turns:
        if turn["answer"] is not None:
            history += [{"role": "user", "content": turn["question"]},
                        {"role": "assistant", "content": turn["answer"].text}]
    return history


def build_ui(assistant: Assistant, *, uploads: bool | None = None, generator=None) -> gr.Blocks:
    """The web app around an already-built assistant (launch it with `launch()`)."""
    views = Views(assistant)
    uploads = uploads_enabled() if uploads is None else uploads

    with gr.Blocks(title="Inspection report assistant") as ui:
        gr.Markdown("## Ask about Ofsted's reports on Kirklees children's services\n"
                    "Answers quote the reports and cite their paragraph numbers: click a number to read the paragraph.")
        turns = gr.State([])  # [{"question", "answer": Answer | None}] in the order of the chat
        selected = gr.State(None)  # the turn whose sources are listed
        items = gr.State([])  # the briefing note's NoteItems

        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row():
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(height=520, elem_id="chat", label="Answers", buttons=["copy"],
                                          feedback_options=None)
                        with gr.Row():
                            question = gr.Textbox(placeholder="e.g. What did Ofsted say about care leaver accommodation?",
                                                  show_label=False, scale=5, elem_id="question", max_length=1000)
                            ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                        with gr.Row():
                            add_button = gr.Button("Add this answer to the note", size="sm", elem_id="add-to-note")
                            clear_button = gr.Button("New conversation", size="sm")
                        chat_status = gr.HTML(elem_id="chat-status")
                    with gr.Column(scale=2):
                        with gr.Accordion("Narrow the search", open=False):
                            only_documents = gr.Dropdown(views.document_choices(), multiselect=True, label="Documents",
                                                         elem_id="filter-documents")
                            only_publishers = gr.Dropdown(views.publisher_choices(), multiselect=True, label="Publishers",
                                                          elem_id="filter-publishers")
                            only_years = gr.Dropdown(views.year_choices(), multiselect=True, label="Years",
                                                     elem_id="filter-years")
                        sources = gr.Radio([], label="Sources of the answer", elem_id="sources")
                        source_panel = gr.HTML(present.status("Click a citation number to read the paragraph in its place."),
                                               elem_id="source-panel")
                cite_request = gr.Textbox(visible="hidden", elem_id="cite-request")

            with gr.Tab("Read", id="read"):
                with gr.Row():
                    reader_document = gr.Dropdown(views.document_choices(), label="Document", scale=4, elem_id="reader-document")
                    jump_label = gr.Textbox(label="Go to paragraph", placeholder="e.g. 55", scale=1, elem_id="jump-label")
                    jump_button = gr.Button("Go", scale=0, elem_id="jump")
                jump_panel = gr.HTML(elem_id="jump-panel")
                reader = gr.HTML(elem_id="reader", elem_classes=["reader"])

            with gr.Tab("Briefing note", id="note"):
                note_title = gr.Textbox("Briefing note", label="Title", elem_id="note-title")
                with gr.Row():
                    note_item = gr.Dropdown([], label="Item", type="index", scale=4, elem_id="note-item")
                    remove_button = gr.Button("Remove item", scale=1, size="sm")
                wording = gr.Textbox(label="Wording (edit, then save)", lines=5, elem_id="note-wording")
                save_button = gr.Button("Save wording", size="sm", elem_id="save-wording")
                note_status = gr.HTML(elem_id="note-status")
                preview = gr.Textbox(label="The note as it will be exported (Markdown)", lines=12, interactive=False,
                                     elem_id="note-preview")
                with gr.Row():
                    export_md = gr.Button("Export Markdown", elem_id="export-md")
                    export_docx = gr.Button("Export DOCX", elem_id="export-docx")
                note_file = gr.File(label="Download", interactive=False, elem_id="note-file")

            with gr.Tab("Check citations", id="check"):
                passage = gr.Textbox(label="Passage to check", lines=8, elem_id="check-passage",
                                     placeholder='e.g. Ofsted found that care leavers live in suitable homes (para 55).')
                check_document = gr.Dropdown([("(work it out from the passage)", "")] + views.document_choices(),
                                             value="", label="Document the citations refer to, when the passage does not say",
                                             elem_id="check-document")
                check_button = gr.Button("Check citations", variant="primary", elem_id="check")
                check_results = gr.HTML(elem_id="check-results")

            if uploads:
                with gr.Tab("Add a report", id="upload"):
                    upload_file = gr.File(label="Report (PDF, DOCX, HTML or text)", file_types=UPLOAD_TYPES,
                                          elem_id="upload-file")
                    with gr.Row():
                        upload_title = gr.Textbox(label="Title", elem_id="upload-title")
                        upload_publisher = gr.Textbox(label="Publisher", placeholder="e.g. Ofsted", elem_id="upload-publisher")
                    with gr.Row():
                        upload_date = gr.Textbox(label="Date", placeholder="YYYY, YYYY-MM or YYYY-MM-DD", elem_id="upload-date")
                        upload_kind = gr.Dropdown(KINDS, value="inspection report", label="Kind", elem_id="upload-kind")
                    upload_button = gr.Button("Add report", variant="primary", elem_id="upload")
                    upload_status = gr.HTML(elem_id="upload-status")

        # -- asking ------------------------------------------------------------------------------

        def ask(message, chat_value, turns_value, documents, publishers, years):
            message = (message or "").strip()
            if not message:
                yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), present.status("Please type a question.", ok=False)
                return
            turn = len(turns_value)
            filters = Filters(tuple(documents or ()), tuple(publishers or ()), tuple(int(y) for y in years or ()))
            filters = filters if filters != Filters() else None
            asked = [*(chat_value or []), {"role": "user", "content": present.md_text(message)}]
            answer = None
            try:
                if generator is None:
                    answer = assistant.ask(message, _history(turns_value), filters)
                else:
                    # a generated answer is shown as it grows, one checked sentence at a time
                    for part in generator.stream(message, _history(turns_value), filters):
                        if isinstance(part, str):
                            growing = [*asked, {"role": "assistant", "content": present.md_text(part)}]
                            yield growing, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                        else:
                            answer = part
                shown = present.answer_markdown(answer, turn)
            except AssistantError as exc:
                answer, shown = None, present.md_text(f"Sorry: {exc}")
            except Exception:
                log.exception("answering %r failed", message)
                answer, shown = None, present.md_text(f"Sorry: {SORRY}")
            chat_value = [*asked, {"role": "assistant", "content": shown}]
            turns_value = [*turns_value, {"question": message, "answer": answer}]
            yield (chat_value, turns_value, "", gr.Radio(choices=present.source_choices(answer), value=None), turn,
                   present.status(""))

        ask_outputs = [chat, turns, question, sources, selected, chat_status]
        ask_inputs = [question, chat, turns, only_documents, only_publishers, only_years]
        ask_button.click(ask, ask_inputs, ask_outputs, concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask",
                         api_name="ask")
        question.submit(ask, ask_inputs, ask_outputs, concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask",
                        api_visibility="private")

        def citation(turns_value, turn, marker):
            if turn is None or not 0 <= turn < len(turns_value) or turns_value[turn]["answer"] is None:
                raise AssistantError("That answer is no longer in this conversation.")
            found = next((c for c in turns_value[turn]["answer"].citations if c.marker == marker), None)
            if found is None:
                raise AssistantError("That citation is not in the answer.")
            return found

        @shielded(3)
        def open_link(request, turns_value):
            match = re.match(r"(\d+)-(\d+)", request or "")
            if not match:
                return gr.skip(), gr.skip(), gr.skip()
            turn, marker = int(match.group(1)), int(match.group(2))
            found = citation(turns_value, turn, marker)
            answer = turns_value[turn]["answer"]
            return (present.citation_html(found, views.paragraphs(found.document.id)),
                    gr.Radio(choices=present.source_choices(answer), value=marker), turn)

        cite_request.change(open_link, [cite_request, turns], [source_panel, sources, selected])

        @shielded(1)
        def open_source(marker, turns_value, turn):
            found = citation(turns_value, turn, marker)
            return present.citation_html(found, views.paragraphs(found.document.id))

        sources.input(open_source, [sources, turns, selected], [source_panel])

        def select_answer(turns_value, evt: gr.SelectData):
            turn = (evt.index if isinstance(evt.index, int) else evt.index[0]) // 2
            if not 0 <= turn < len(turns_value):
                return gr.skip(), gr.skip()
            return gr.Radio(choices=present.source_choices(turns_value[turn]["answer"]), value=None), turn

        chat.select(select_answer, [turns], [sources, selected])

        def clear():
            return [], [], gr.Radio(choices=[], value=None), None, present.status("")

        clear_button.click(clear, None, [chat, turns, sources, selected, chat_status])
        chat.clear(clear, None, [chat, turns, sources, selected, chat_status])

        # -- the briefing note -------------------------------------------------------------------

        def note_views(items_value, title, chosen=None):
            from assistant import note

            choices = [(f"{i + 1}. {item.question}", i) for i, item in enumerate(items_value)]
            chosen = chosen if chosen is not None and chosen < len(items_value) else (len(items_value) - 1 if items_value else None)
            text = items_value[chosen].text if chosen is not None else ""
            return (gr.Dropdown(choices=choices, value=chosen), text,
                    note.to_markdown(items_value, title or "Briefing note") if items_value else "")

        @shielded(5, status_at=4)
        def add_to_note(turns_value, turn, items_value, title):
            turn = turn if turn is not None else len(turns_value) - 1
            if not 0 <= turn < len(turns_value) or turns_value[turn]["answer"] is None:
                raise AssistantError("Ask a question first: there is no answer to add.")
            from assistant import note

            answer = turns_value[turn]["answer"]
            if not answer.answered:
                raise AssistantError("That answer says the sources do not answer; it was not added.")
            items_value = [*items_value, note.from_answer(answer)]
            return (items_value, *note_views(items_value, title),
                    present.status(f"Added to the note ({len(items_value)} item(s)): see the Briefing note tab."))

        add_button.click(add_to_note, [turns, selected, items, note_title], [items, note_item, wording, preview, chat_status])

        def choose_item(items_value, chosen):
            return items_value[chosen].text if chosen is not None and chosen < len(items_value) else ""

        note_item.input(choose_item, [items, note_item], [wording])

        @shielded(5, status_at=4)
        def save_wording(items_value, chosen, text, title):
            if chosen is None or not 0 <= chosen < len(items_value):
                raise AssistantError("Choose an item first.")
            from dataclasses import replace

            items_value = list(items_value)
            items_value[chosen] = replace(items_value[chosen], text=text)
            return (items_value, *note_views(items_value, title, chosen), present.status("Saved."))

        save_button.click(save_wording, [items, note_item, wording, note_title], [items, note_item, wording, preview, note_status])

        @shielded(5, status_at=4)
        def remove_item(items_value, chosen, title):
            if chosen is None or not 0 <= chosen < len(items_value):
                raise AssistantError("Choose an item first.")
            items_value = [item for i, item in enumerate(items_value) if i != chosen]
            return (items_value, *note_views(items_value, title), present.status("Removed."))

        remove_button.click(remove_item, [items, note_item, note_title], [items, note_item, wording, preview, note_status])
        note_title.change(lambda items_value, title: note_views(items_value, title)[2], [items, note_title], [preview])

        def export(kind):
            @shielded(2, status_at=1)
            def run(items_value, title):
                from assistant import note

                if not items_value:
                    raise AssistantError("The note is empty: add answers from the Ask tab first.")
                path = Path(tempfile.mkdtemp(prefix="note-")) / f"briefing-note.{kind}"
                if kind == "md":
                    path.write_text(note.to_markdown(items_value, title or "Briefing note"), encoding="utf-8")
                else:
                    note.to_docx(items_value, path, title or "Briefing note")
                return str(path), present.status(f"Exported {path.name}.")

            return run

        export_md.click(export("md"), [items, note_title], [note_file, note_status])
        export_docx.click(export("docx"), [items, note_title], [note_file, note_status])

        # -- reading ------------------------------------------------------------------------------

        @shielded(2, status_at=1)
        def read(doc_id):
            if not doc_id:
                return "", ""
            return present.document_html(views.document(doc_id), views.paragraphs(doc_id)), ""

        reader_document.change(read, [reader_document], [reader, jump_panel])

        @shielded(2)
        def jump(doc_id, label):
            if not doc_id:
                raise AssistantError("Choose a document first.")
            document, paragraphs = views.document(doc_id), views.paragraphs(doc_id)
            found = present.find_label(paragraphs, label)
            if found is None:
                labels = ", ".join(p.label for p in paragraphs[:10])
                raise AssistantError(f"This document has no paragraph {label.strip()!r}. Its labels begin: {labels} ...")
            context = present.paragraph_in_context(document, paragraphs, found.order)
            link = f'<p><a href="#para-{present.esc(present.slug(found.label))}">Show it in the whole document below</a></p>'
            return context + link, present.document_html(document, paragraphs, target=found.label)

        jump_button.click(jump, [reader_document, jump_label], [jump_panel, reader])
        jump_label.submit(jump, [reader_document, jump_label], [jump_panel, reader])

        # -- checking citations ----------------------------------------------------------------------

        @shielded(1)
        def check_citations(text, doc_id):
            from assistant.check import check_passage

            if not (text or "").strip():
                raise AssistantError("Paste a passage that cites paragraphs first.")
            results = check_passage(text, assistant.index, assistant.retriever.embedder, default_document=doc_id or None)
            return present.check_html(results, views.paragraph_text)

        check_button.click(check_citations, [passage, check_document], [check_results], concurrency_limit=2)

        # -- adding a report ------------------------------------------------------------------------

        if uploads:

            @shielded(7)
            def add_report(file, title, publisher, date, kind, progress=gr.Progress()):  # noqa: B008 - how Gradio finds the bar
                from ingest.pipeline import ingest

                if not file:
                    raise AssistantError("Choose a file to upload first.")
                title, publisher, date = (title or "").strip(), (publisher or "").strip(), (date or "").strip()
                if not title or not publisher:
                    raise AssistantError("Give the report's title and publisher.")
                if date and not DATE_RE.match(date):
                    raise AssistantError(f"{date!r} is not a date: write it as YYYY, YYYY-MM or YYYY-MM-DD.")
                original = Path(file).name
                name = re.sub(r"[^A-Za-z0-9._-]+", "-", original).strip(".-") or "report"
                if Path(name).suffix.lower() not in UPLOAD_TYPES:
                    raise AssistantError(f"{original} is not a PDF, DOCX, HTML or text file, so it was not added.")
                folder = assistant.index.data_dir / "uploads"
                folder.mkdir(parents=True, exist_ok=True)
                target = folder / name
                backup = target.with_name(target.name + ".previous") if target.exists() else None
                if backup:
                    shutil.copy2(target, backup)
                shutil.copyfile(file, target)
                progress(0.1, desc=f"Reading {name}")
                report = ingest([target], assistant.index, assistant.retriever.embedder,
                                metadata={"title": title, "publisher": publisher, "date": date or None, "kind": kind},
                                progress=lambda done, total, _: progress(done / max(total, 1), desc="Indexing"))
                if report.failed:
                    if backup:
                        shutil.move(backup, target)
                    else:
                        target.unlink(missing_ok=True)
                    reason = report.failed[0].replace(str(target), name).replace(str(target.resolve()), name)
                    reason = re.sub(r"^\S*" + re.escape(name) + r":\s*", "", reason)
                    raise AssistantError(f"{original} was refused and nothing was added: {reason}")
                if backup:
                    backup.unlink(missing_ok=True)
                done = "was already in the index, unchanged" if report.unchanged else \
                    f"was added: {report.paragraphs} paragraphs, ready to ask about and read"
                choices = views.document_choices()
                return (present.status(f"{original} {done}."), gr.Dropdown(choices=choices),
                        gr.Dropdown(choices=views.publisher_choices()), gr.Dropdown(choices=views.year_choices()),
                        gr.Dropdown(choices=choices), gr.Dropdown(choices=[("(work it out from the passage)", "")] + choices),
                        None)

            upload_button.click(add_report, [upload_file, upload_title, upload_publisher, upload_date, upload_kind],
                                [upload_status, only_documents, only_publishers, only_years, reader_document,
                                 check_document, upload_file], concurrency_limit=1)
        def refresh_choices():
            # a report added in another session since this page was built is listed too
            choices = views.document_choices()
            return (gr.Dropdown(choices=choices), gr.Dropdown(choices=views.publisher_choices()),
                    gr.Dropdown(choices=views.year_choices()), gr.Dropdown(choices=choices),
                    gr.Dropdown(choices=[("(work it out from the passage)", "")] + choices))

        ui.load(refresh_choices, None, [only_documents, only_publishers, only_years, reader_document, check_document],
                api_visibility="private")
    return ui


def launch(ui: gr.Blocks, *, host: str | None = None, port: int | None = None, auth: tuple[str, str] | None = None,
           prevent_thread_lock: bool = False) -> str:
    """Serve the app (loopback unless told otherwise); returns its address."""
    _, url, _ = ui.launch(
        server_name=host or settings.get("HOST"), server_port=port or int(settings.get("PORT")), auth=auth,
        prevent_thread_lock=prevent_thread_lock, js=CITE_JS, css=present.CSS, show_error=False,
        max_file_size=f"{settings.get('MAX_FILE_MB')}mb", footer_links=[], quiet=prevent_thread_lock,
    )
    return url


def main() -> None:
    from ingest.embed import Embedder
    from ingest.index import Index
    from ingest.pipeline import ingest

    index, embedder = Index(settings.data_dir()), Embedder()
    if index.is_empty():
        print("Building the index from the bundled corpus (first run)...")
        print(ingest([settings.corpus_dir()], index, embedder).summary())
    embedder.model  # noqa: B018 - load it now, not while the first person waits for an answer
    assistant = Assistant(index, embedder)
    generator = None
    if settings.get("LLM_URL"):
        from assistant.generate import Generator

        generator = Generator(assistant)  # generated answers, streamed and verified; extractive if the model fails
    launch(build_ui(assistant, generator=generator), auth=login())


def login() -> tuple[str, str] | None:
    """The optional login from the AUTH setting ("user:password")."""
    value = settings.get("AUTH")
    if not value:
        return None
    user, colon, password = value.partition(":")
    if not (user and colon and password):
        raise SystemExit("ASSISTANT_AUTH must be user:password, e.g. ASSISTANT_AUTH=councillor:a-long-passphrase")
    return user, password


if __name__ == "__main__":
    main()
