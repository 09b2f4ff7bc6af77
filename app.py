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
# Gradio's queue keeps a record of each of the last N events for its monitoring page (default 10,000): bounded lower
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")

import asyncio  # noqa: E402
import datetime  # noqa: E402
import functools  # noqa: E402
import hashlib  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402

from assistant import present, settings  # noqa: E402
from assistant.answer import Assistant  # noqa: E402
from assistant.errors import AssistantError  # noqa: E402
from assistant.records import KINDS  # noqa: E402
from assistant.retrieve import Filters  # noqa: E402

log = logging.getLogger("app")

ASK_CONCURRENCY = 4  # answers are ~0.1 s of CPU: a few at once keeps 2 cores busy without thrashing
# What one request may cost: a 10-million-character question held every other user for minutes.
MAX_REQUEST_BYTES = 1_000_000  # a request's body, refused unread beyond this (a file upload has MAX_FILE_MB instead)
MAX_QUESTION_CHARS = 1000  # the question box's own limit, enforced here too: a browser's max_length is no limit
MAX_TURNS = 50  # questions in one conversation: every turn is kept in the session until it ends
HISTORY_TURNS = 6  # turns a follow-up is read with: enough for "and in 2016?", however long the conversation
MAX_FILTER_VALUES = 100  # documents, publishers or years named in one question's filters
# Sessions whose state (conversation, note, Gradio's own copy of the page's settings) is kept in memory,
# least recently used dropped first. Each costs about 140 KB, and every API call is a session of its own:
# Gradio's default of 10,000 let 20 users asking for five minutes add 600 MB.
SESSIONS = 400
QUEUE_SIZE = 200  # requests waiting at once; beyond this a request is told the app is busy, not held in memory
LOCK_AFTER = 5  # wrong passwords in a row before a login name is locked ...
LOCKOUT_SECONDS = 60.0  # ... for this long, right password or not
FAILED_LOGIN_DELAY = 1.0  # seconds before a wrong password is answered, so guessing is slow even before the lock
UPLOAD_TYPES = [".pdf", ".docx", ".html", ".htm", ".txt", ".md"]
ANONYMOUS = "anonymous"  # who added a report when the app has no login
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
SORRY = "Something went wrong. Please try again."
READ_HINT = present.status("Choose a document above to read it, with its paragraph labels and judgement table.")

# A citation marker in an answer is a link "#cite-TURN-MARKER": a click puts TURN-MARKER (and the
# time, so that the same link clicked twice still counts as a change) in a hidden box whose change
# opens that paragraph. Chatbot.select alone tells which message was clicked, not which marker.
# When the card for that citation arrives the script brings it into view (beside the answer on a wide
# screen, under it on a phone), moves focus to it and announces it; "Back to the answer" returns focus
# to the link. Each link's title ("source 1, Ofsted 2024, paragraph 55") becomes its accessible name:
# the chat's sanitiser keeps a title but drops aria-label.
CITE_JS = """() => {
  const announcer = document.createElement('div');
  announcer.id = 'cite-announcer';
  announcer.className = 'sr-only';
  announcer.setAttribute('aria-live', 'polite');
  document.body.appendChild(announcer);
  let pending = null, lastLink = null;
  const show = (card) => {
    pending = null;
    const narrow = window.matchMedia('(max-width: 899px)').matches;
    card.scrollIntoView({block: narrow ? 'start' : 'nearest', behavior: 'instant'});
    card.focus({preventScroll: true});
    announcer.textContent = '';
    setTimeout(() => { announcer.textContent = card.dataset.announce || ''; }, 50);
  };
  const cardFor = (cite) => document.querySelector('#source-panel .source-card[data-cite="' + cite + '"]');
  // Gradio's own markup, mended where an accessibility checker (axe-core) finds fault: the chat's scrolling area
  // reachable by keyboard, an empty file box's label allowed by a role, the upload button named by what it says
  const mend = () => {
    const chat = document.querySelector('#chat');
    if (chat && !chat.hasAttribute('tabindex')) {
      chat.setAttribute('tabindex', '0');
      chat.setAttribute('role', 'region');
      chat.setAttribute('aria-label', 'Answers');
    }
    document.querySelectorAll('div.empty[aria-label]:not([role])').forEach((d) => d.setAttribute('role', 'note'));
    document.querySelectorAll('button.upload-container[aria-label]').forEach((b) => {
      const said = b.innerText.replace(/\\s+/g, ' ').trim();
      if (said && b.getAttribute('aria-label') !== said) b.setAttribute('aria-label', said);
    });
  };
  new MutationObserver(() => {
    mend();
    document.querySelectorAll('a[href^="#cite-"][title]').forEach((a) => {
      if (a.getAttribute('aria-label') !== a.title) a.setAttribute('aria-label', a.title);
    });
    const card = pending && cardFor(pending);
    if (card) show(card);
  }).observe(document.body, {childList: true, subtree: true});
  document.addEventListener('click', (event) => {
    const back = event.target.closest('a[href^="#back-"]');
    if (back) {
      event.preventDefault();
      const cite = back.getAttribute('href').slice(6);
      const link = (lastLink && document.contains(lastLink)) ? lastLink
        : document.querySelector('#chat a[href="#cite-' + cite + '"]');
      if (link) { link.scrollIntoView({block: 'center', behavior: 'instant'}); link.focus(); }
      return;
    }
    const link = event.target.closest('a[href^="#cite-"]');
    const box = document.querySelector('#cite-request textarea');
    if (!link || !box) return;
    event.preventDefault();
    event.stopPropagation();
    pending = link.getAttribute('href').slice(6);
    lastLink = link;
    box.value = pending + '@' + Date.now();
    box.dispatchEvent(new Event('input', {bubbles: true}));
    const shown = cardFor(pending);
    if (shown) show(shown);
  }, true);
}"""


def uploads_enabled() -> bool:
    return settings.get("UPLOADS").strip().lower() not in {"off", "0", "false", "no"}


def named_uploaders() -> set[str]:
    """The login names the UPLOADERS setting lets add reports; empty: anyone who may use the app."""
    return {name.strip() for name in settings.get("UPLOADERS").split(",") if name.strip()}


def uploader(request: gr.Request | None, allowed: set[str]) -> str:
    """Who is adding a report (their login name, or ANONYMOUS with no login); refused when not one of `allowed`."""
    user = getattr(request, "username", None)
    if allowed and user is None:
        raise AssistantError("Only named users may add reports, and this app has no login: set ASSISTANT_AUTH.")
    if allowed and user not in allowed:
        raise AssistantError(f"{user} may not add reports: ask whoever runs the app to add you to ASSISTANT_UPLOADERS.")
    return user or ANONYMOUS


def free_name(folder: Path, name: str, taken: set[str]) -> Path:
    """`name` in `folder`, or name-2, name-3 ... when a file or a document already has it: an upload never replaces one."""
    stem, suffix = Path(name).stem, Path(name).suffix
    target, n = folder / name, 1
    while target.exists() or settings.relative_source(target) in taken:
        n += 1
        target = folder / f"{stem}-{n}{suffix}"
    return target


class BodyLimit:
    """ASGI middleware: a request whose declared body is over `limit` bytes is refused (413) before it is read, so
    that no one request can fill memory; file uploads are left to Gradio's own max_file_size."""

    def __init__(self, app, limit: int = MAX_REQUEST_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not scope["path"].rstrip("/").endswith("/upload"):
            headers = dict(scope.get("headers") or [])
            length = headers.get(b"content-length", b"")
            # a body sent in chunks declares no length: refused too, rather than read to find out
            too_big = (int(length) > self.limit) if length.isdigit() else (b"transfer-encoding" in headers)
            if too_big:
                message = f"A request may be at most {self.limit:,} bytes; a question at most {MAX_QUESTION_CHARS:,} characters."
                await PlainTextResponse(message, status_code=413)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Login:
    """The login check, slowed and locked against guessing: each wrong password waits `delay` seconds before it
    is answered, and after `lock_after` wrong passwords in a row a name is refused, right password or not, for
    `lockout` seconds. Names that are not accounts share one count, so guessing names cannot grow the table."""

    def __init__(self, accounts: dict[str, str], lock_after: int = LOCK_AFTER, lockout: float = LOCKOUT_SECONDS,
                 delay: float = FAILED_LOGIN_DELAY):
        self.accounts = accounts
        self.lock_after, self.lockout, self.delay = lock_after, lockout, delay
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}

    @property
    def message(self) -> str:
        return (f"Log in to ask about the reports. After {self.lock_after} wrong passwords in a row a name is locked "
                f"for {self.lockout:.0f} seconds.")

    async def check(self, username: str, password: str) -> bool:
        # Gradio awaits this only because it is a coroutine function: keep it one, never a callable object
        name = username if username in self.accounts else ""
        now = time.monotonic()
        if self._locked_until.get(name, 0.0) > now:
            await asyncio.sleep(self.delay)
            return False
        if name and secrets.compare_digest(password.encode(), self.accounts[name].encode()):
            self._failures.pop(name, None)
            return True
        self._failures[name] = self._failures.get(name, 0) + 1
        if self._failures[name] >= self.lock_after:
            self._failures[name] = 0
            self._locked_until[name] = now + self.lockout
            log.warning("login for %s locked for %.0f s after %d wrong passwords", name or "unknown names",
                        self.lockout, self.lock_after)
        await asyncio.sleep(self.delay)
        return False


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
            current = {e["version"] for e in self.index.entries().values()}
            self._paragraphs = {v: ps for v, ps in self._paragraphs.items() if v in current}  # replaced versions go
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
        return [(f"{d.title} ({d.publisher}, {present.human_date(d.date)}"
                 f"{', ' + present.uploaded(d) if d.added_by else ''})", d.id) for d in docs]

    def publisher_choices(self) -> list[str]:
        return sorted({d.publisher for d in self.index.documents().values()})

    def year_choices(self) -> list[int]:
        return sorted({d.year for d in self.index.documents().values() if d.year}, reverse=True)

    def place_choices(self) -> list[str]:
        """The councils the library's documents are about, as their metadata names them."""
        return sorted({d.place for d in self.index.documents().values() if d.place})

    def filters(self, documents, publishers, years, places=None) -> Filters | None:
        """The "Narrow the search" choices as Filters; a value typed or sent that is not one of them is refused."""
        chosen = {"documents": list(documents or []), "publishers": list(publishers or []), "years": list(years or []),
                  "councils": list(places or [])}
        if not any(chosen.values()):
            return None
        known = {"documents": set(self.index.documents()), "publishers": set(self.publisher_choices()),
                 "years": {str(y) for y in self.year_choices()}, "councils": set(self.place_choices())}
        for kind, values in chosen.items():
            if len(values) > MAX_FILTER_VALUES:
                raise AssistantError(f"Choose at most {MAX_FILTER_VALUES} {kind}.")
            unknown = [str(v) for v in values if str(v) not in known[kind]]
            if unknown:
                raise AssistantError(f"There are no {kind} {', '.join(repr(v[:80]) for v in unknown[:3])} in the library: "
                                     "choose from the list.")
        return Filters(documents=tuple(map(str, chosen["documents"])), publishers=tuple(map(str, chosen["publishers"])),
                       years=tuple(int(y) for y in chosen["years"]), places=tuple(map(str, chosen["councils"])))

    def filters_note(self, filters: Filters | None) -> str:
        """What the search was narrowed to, in words, for the answer to say first."""
        if filters is None:
            return ""
        titles = [d.title for doc_id in filters.documents if (d := self.index.document(doc_id))]
        return present.filters_note({"documents": titles, "councils": list(filters.places),
                                     "publishers": list(filters.publishers), "years": [str(y) for y in filters.years]})

    def saved_secret(self) -> str:
        """The key the browser's copy of a person's work is stored under, kept in the data directory so that it
        survives a restart (a new key each start would leave every browser's copy unreadable)."""
        path = Path(self.index.data_dir) / "browser-state.key"
        try:
            return path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            key = secrets.token_urlsafe(24)
            try:
                with open(path, "x", encoding="utf-8") as out:
                    out.write(key)
                path.chmod(0o600)
            except FileExistsError:  # another process wrote it first: use theirs
                return path.read_text(encoding="utf-8").strip()
            return key


def _history(turns: list[dict]) -> list[dict]:
    """The last turns of the conversation as the assistant reads them, oldest first: each answer's text
    and its record, whose citations a follow-up goes on from ("the second of those", nothing said twice)."""
    history = []
    for turn in turns[-HISTORY_TURNS:]:
        if turn["answer"] is not None:
            history += [{"role": "user", "content": turn["question"]},
                        {"role": "assistant", "content": turn["answer"].text, "answer": turn["answer"]}]
    return history


def _chat(turns: list[dict]) -> list[dict]:
    """The chat as shown, rebuilt from the session's own turns: nothing the browser sends back is shown again."""
    return [message for turn in turns for message in (
        {"role": "user", "content": present.md_text(turn["question"])}, {"role": "assistant", "content": turn["shown"]})]


SAVED_KEY = "inspection-assistant-work"
SAVED_PEOPLE = 10  # logins whose work one browser keeps (the most recent)


def _person(request: gr.Request | None) -> str:
    return getattr(request, "username", None) or ""


def saved_work(saved_value, request: gr.Request | None) -> dict:
    """This person's part of what the browser keeps: one login never sees another's work."""
    people = saved_value.get("people") if isinstance(saved_value, dict) else None
    mine = people.get(_person(request)) if isinstance(people, dict) else None
    return mine if isinstance(mine, dict) else {}


def forget_work(saved_value, request: gr.Request | None) -> dict:
    people = dict(saved_value.get("people") or {}) if isinstance(saved_value, dict) else {}
    people.pop(_person(request), None)
    return {"v": 1, "people": people}


def keep(turns: list[dict], items: list, title: str, saved_value, request: gr.Request) -> tuple[dict, str]:
    """What the browser keeps for this person (the conversation and the note, as plain records), and the notice
    saying so."""
    from assistant import note

    people = dict(saved_value.get("people") or {}) if isinstance(saved_value, dict) else {}
    people.pop(_person(request), None)
    people[_person(request)] = {
        "turns": [{"question": t["question"], "answer": note.answer_record(t["answer"]) if t["answer"] else None,
                   "note": t.get("note", "")}
                  for t in turns[-MAX_TURNS:]],
        "note": {"title": title or "Briefing note", "items": [note.item_record(i) for i in items[:note.MAX_SAVED_ITEMS]]},
        "saved_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}
    return ({"v": 1, "people": dict(list(people.items())[-SAVED_PEOPLE:])},
            present.saved_notice(_person(request), len(turns), len(items)))


def question_refused(message: str, turns: list[dict]) -> str:
    """Why a question is not answered ("" when it is): empty, too long, or a conversation that has run its length."""
    if not message:
        return "Please type a question."
    if len(message) > MAX_QUESTION_CHARS:
        return (f"Questions are limited to {MAX_QUESTION_CHARS:,} characters and this one has {len(message):,}: "
                "please shorten it.")
    if len(turns) >= MAX_TURNS:
        return (f"This conversation has reached {MAX_TURNS} questions: add the answers you need to the note, "
                "then press New conversation to go on.")
    return ""


def build_ui(assistant: Assistant, *, uploads: bool | None = None, uploaders: set[str] | None = None,
             generator=None) -> gr.Blocks:
    """The web app around an already-built assistant (launch it with `launch()`).

    Args:
        uploads: whether the "Add a report" tab is there (default: the UPLOADS setting).
        uploaders: login names that may add reports (default: the UPLOADERS setting); empty: anyone who may use the app.
        generator: a `Generator` for generated answers; None: extractive.
    """
    views = Views(assistant)
    uploads = uploads_enabled() if uploads is None else uploads
    uploaders = named_uploaders() if uploaders is None else uploaders

    with gr.Blocks(title="Inspection report assistant") as ui:
        gr.HTML("<h1 class='app-title'>Ask about Ofsted's reports on Kirklees children's services</h1>"
                "<p>Answers quote the reports and cite their paragraph numbers: click a number to read the paragraph "
                "beside the answer.</p>")
        turns = gr.State([])  # [{"question", "answer": Answer | None, "shown", "note"}] in the order of the chat
        selected = gr.State(None)  # the turn whose sources are listed
        items = gr.State([])  # the briefing note's NoteItems
        # the same, kept in the browser (per login where there is one) so that a reload or a restart loses nothing
        saved = gr.BrowserState(None, storage_key=SAVED_KEY, secret=views.saved_secret())

        with gr.Tabs(overflow_behavior="wrap"):  # every tab in sight on a phone, none behind a menu
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, elem_id="ask-column"):
                        # the question first: on a phone it is at the top, and in the tab order it comes before the
                        # answers' citation links
                        with gr.Row(elem_id="question-row"):
                            question = gr.Textbox(placeholder="e.g. What did Ofsted say about care leaver accommodation?",
                                                  label="Your question", show_label=False, scale=5, elem_id="question",
                                                  max_length=MAX_QUESTION_CHARS, lines=1)
                            ask_button = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                        gr.Examples([[q] for q in present.EXAMPLES], inputs=[question], label="Questions to try",
                                    elem_id="examples")
                        with gr.Accordion("Narrow the search", open=False, elem_id="narrow"):
                            # every list of the library starts empty and is filled when the page loads, so
                            # that the login page, which embeds the API's description, names no document;
                            # a value sent that is not a choice is refused by Views.filters
                            only_documents = gr.Dropdown([], multiselect=True, label="Documents", allow_custom_value=True,
                                                         elem_id="filter-documents")
                            only_places = gr.Dropdown([], multiselect=True, label="Councils", allow_custom_value=True,
                                                      elem_id="filter-places")
                            only_publishers = gr.Dropdown([], multiselect=True, label="Publishers", allow_custom_value=True,
                                                          elem_id="filter-publishers")
                            only_years = gr.Dropdown([], multiselect=True, label="Years", allow_custom_value=True,
                                                     elem_id="filter-years")
                        chat = gr.Chatbot(height=520, elem_id="chat", label="Answers", buttons=["copy"],
                                          feedback_options=None, autoscroll=True)
                        with gr.Row():
                            add_button = gr.Button("Add this answer to the note", size="sm", elem_id="add-to-note")
                            clear_button = gr.Button("New conversation", size="sm", elem_id="new-conversation")
                        chat_status = gr.HTML(elem_id="chat-status")
                    with gr.Column(scale=2, elem_id="side-column"):
                        source_panel = gr.HTML(present.panel_hint(), elem_id="source-panel")
                        sources = gr.Radio([], label="Sources of the answer", elem_id="sources")
                cite_request = gr.Textbox(visible="hidden", elem_id="cite-request")

            with gr.Tab("Read", id="read"):
                with gr.Row():
                    reader_document = gr.Dropdown([], value=None, label="Document", scale=4, elem_id="reader-document",
                                                  info="Choose a document to read it whole")
                    jump_label = gr.Textbox(label="Go to paragraph", placeholder="e.g. 55", scale=1, elem_id="jump-label")
                    jump_button = gr.Button("Go", scale=0, elem_id="jump")
                jump_panel = gr.HTML(elem_id="jump-panel")
                reader = gr.HTML(READ_HINT, elem_id="reader", elem_classes=["reader"])

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
                check_document = gr.Dropdown([("(work it out from the passage)", "")],
                                             value="", label="Document the citations refer to, when the passage does not say",
                                             elem_id="check-document")
                check_button = gr.Button("Check citations", variant="primary", elem_id="check")
                check_results = gr.HTML(elem_id="check-results")

            if uploads:
                with gr.Tab("Add a report", id="upload"):
                    gr.Markdown("A report you add is listed as added by you (your login name, or anonymous), with the "
                                "date; the title, publisher and date you type are shown as given by you, not read from "
                                "the report. A file never replaces one already in the library."
                                + (" Only some users may add reports." if uploaders else ""))
                    upload_file = gr.File(label="Report (PDF, DOCX, HTML or text)", file_types=UPLOAD_TYPES,
                                          elem_id="upload-file")
                    with gr.Row():
                        upload_title = gr.Textbox(label="Title", elem_id="upload-title")
                        upload_publisher = gr.Textbox(label="Publisher", placeholder="e.g. Ofsted", elem_id="upload-publisher")
                    with gr.Row():
                        upload_date = gr.Textbox(label="Date", placeholder="YYYY, YYYY-MM or YYYY-MM-DD", elem_id="upload-date")
                        upload_kind = gr.Dropdown(list(KINDS), value="inspection report", label="Kind", elem_id="upload-kind")
                    upload_button = gr.Button("Add report", variant="primary", elem_id="upload")
                    upload_status = gr.HTML(elem_id="upload-status")

        with gr.Row(elem_id="saved-row"):
            saved_status = gr.HTML(present.saved_notice(None, 0, 0), elem_id="saved-status")
            forget_button = gr.Button("Clear my saved conversation and note", size="sm", scale=0, elem_id="forget")

        # -- asking ------------------------------------------------------------------------------

        def ask(message, turns_value, documents, publishers, years, places=None):
            message = (message or "").strip()
            refused = question_refused(message, turns_value)
            try:
                filters = None if refused else views.filters(documents, publishers, years, places)
            except AssistantError as exc:
                refused = str(exc)
            if refused:  # the question stays in its box to be shortened or asked again
                yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), present.status(refused, ok=False), gr.skip()
                return
            note = views.filters_note(filters)
            turn = len(turns_value)
            asked = [*_chat(turns_value), {"role": "user", "content": present.md_text(message)}]
            answer = None
            try:
                if generator is None:
                    answer = assistant.ask(message, _history(turns_value), filters)
                else:
                    # a generated answer is shown as it grows, one checked sentence at a time
                    for part in generator.stream(message, _history(turns_value), filters):
                        if isinstance(part, str):
                            growing = [*asked, {"role": "assistant", "content": present.md_text(part)}]
                            yield growing, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                        else:
                            answer = part
                shown = present.answer_markdown(answer, turn, note)
            except AssistantError as exc:
                answer, shown = None, present.md_text(f"Sorry: {exc}")
            except Exception:
                log.exception("answering %r failed", message[:200])
                answer, shown = None, present.md_text(f"Sorry: {SORRY}")
            turns_value = [*turns_value, {"question": message, "answer": answer, "shown": shown, "note": note}]
            # the panel is emptied: an earlier answer's paragraph is never left beside a new answer
            yield (_chat(turns_value), turns_value, "", gr.Radio(choices=present.source_choices(answer), value=None), turn,
                   present.status(""), present.panel_hint())

        ask_outputs = [chat, turns, question, sources, selected, chat_status, source_panel]
        ask_inputs = [question, turns, only_documents, only_publishers, only_years, only_places]
        persist_inputs, kept_outputs = [turns, items, note_title, saved], [saved, saved_status]
        ask_button.click(ask, ask_inputs, ask_outputs, concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask",
                         api_name="ask").then(keep, persist_inputs, kept_outputs, api_visibility="private")
        question.submit(ask, ask_inputs, ask_outputs, concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask",
                        api_visibility="private").then(keep, persist_inputs, kept_outputs, api_visibility="private")

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
            return (present.citation_html(found, views.paragraphs(found.document.id), turn),
                    gr.Radio(choices=present.source_choices(answer), value=marker), turn)

        cite_request.change(open_link, [cite_request, turns], [source_panel, sources, selected])

        @shielded(1)
        def open_source(marker, turns_value, turn):
            found = citation(turns_value, turn, marker)
            return present.citation_html(found, views.paragraphs(found.document.id), turn)

        sources.input(open_source, [sources, turns, selected], [source_panel])

        def select_answer(turns_value, evt: gr.SelectData):
            turn = (evt.index if isinstance(evt.index, int) else evt.index[0]) // 2
            if not 0 <= turn < len(turns_value):
                return gr.skip(), gr.skip()
            return gr.Radio(choices=present.source_choices(turns_value[turn]["answer"]), value=None), turn

        chat.select(select_answer, [turns], [sources, selected])

        def clear():
            return [], [], gr.Radio(choices=[], value=None), None, present.status(""), present.panel_hint()

        clear_outputs = [chat, turns, sources, selected, chat_status, source_panel]
        clear_button.click(clear, None, clear_outputs).then(keep, persist_inputs, kept_outputs, api_visibility="private")
        chat.clear(clear, None, clear_outputs).then(keep, persist_inputs, kept_outputs, api_visibility="private")

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

        add_button.click(add_to_note, [turns, selected, items, note_title], [items, note_item, wording, preview, chat_status]
                         ).then(keep, persist_inputs, kept_outputs, api_visibility="private")

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

        save_button.click(save_wording, [items, note_item, wording, note_title], [items, note_item, wording, preview, note_status]
                          ).then(keep, persist_inputs, kept_outputs, api_visibility="private")

        @shielded(5, status_at=4)
        def remove_item(items_value, chosen, title):
            if chosen is None or not 0 <= chosen < len(items_value):
                raise AssistantError("Choose an item first.")
            items_value = [item for i, item in enumerate(items_value) if i != chosen]
            return (items_value, *note_views(items_value, title), present.status("Removed."))

        remove_button.click(remove_item, [items, note_item, note_title], [items, note_item, wording, preview, note_status]
                            ).then(keep, persist_inputs, kept_outputs, api_visibility="private")
        note_title.input(lambda items_value, title: note_views(items_value, title)[2], [items, note_title], [preview]
                         ).then(keep, persist_inputs, kept_outputs, api_visibility="private")

        # -- keeping a person's work across reloads and restarts --------------------------------------------

        def lookup(doc_id, order, label):
            document = assistant.index.document(doc_id)
            if document is None:
                return None
            found = next((p for p in views.paragraphs(doc_id) if p.order == order and p.label == label), None)
            return (document, found) if found else None

        def restore(saved_value, request: gr.Request):
            from assistant import note

            mine = saved_work(saved_value, request)
            turns_value = []
            for record in (mine.get("turns") if isinstance(mine.get("turns"), list) else [])[:MAX_TURNS]:
                if not isinstance(record, dict):
                    continue
                answer = note.answer_from(record.get("answer"), lookup)
                filter_note = note._text(record.get("note"), 500)
                shown = (present.answer_markdown(answer, len(turns_value), filter_note) if answer
                         else present.md_text("Sorry: this question was not answered."))
                turns_value.append({"question": note._text(record.get("question"), MAX_QUESTION_CHARS),
                                    "answer": answer, "shown": shown, "note": filter_note})
            kept = mine.get("note") if isinstance(mine.get("note"), dict) else {}
            records = kept.get("items") if isinstance(kept.get("items"), list) else []
            items_value = [i for i in (note.item_from(r, lookup) for r in records[:note.MAX_SAVED_ITEMS]) if i]
            title = note._text(kept.get("title"), 300) or "Briefing note"
            last = len(turns_value) - 1 if turns_value else None
            return (turns_value, _chat(turns_value), items_value, *note_views(items_value, title), title,
                    gr.Radio(choices=present.source_choices(turns_value[-1]["answer"]) if turns_value else [], value=None),
                    last, present.saved_notice(getattr(request, "username", None), len(turns_value), len(items_value)))

        ui.load(restore, [saved], [turns, chat, items, note_item, wording, preview, note_title, sources, selected,
                                   saved_status], api_visibility="private")

        def forget(saved_value, request: gr.Request):
            return (forget_work(saved_value, request), [], [], [], *note_views([], "Briefing note"), "Briefing note",
                    gr.Radio(choices=[], value=None), None, present.panel_hint(),
                    present.status("Cleared: this browser no longer keeps your conversation or note."))

        forget_button.click(forget, [saved], [saved, turns, chat, items, note_item, wording, preview, note_title, sources,
                                              selected, source_panel, saved_status], api_visibility="private")

        def export(kind):
            @shielded(2, status_at=1)
            def run(items_value, title, request: gr.Request):
                from assistant import note

                if not items_value:
                    raise AssistantError("The note is empty: add answers from the Ask tab first.")
                path = Path(tempfile.mkdtemp(prefix="note-")) / f"briefing-note.{kind}"
                if kind == "md":
                    path.write_text(note.to_markdown(items_value, title or "Briefing note"), encoding="utf-8")
                else:
                    note.to_docx(items_value, path, title or "Briefing note", author=_person(request))
                return str(path), present.status(f"Exported {path.name}.")

            return run

        export_md.click(export("md"), [items, note_title], [note_file, note_status])
        export_docx.click(export("docx"), [items, note_title], [note_file, note_status])

        # -- reading ------------------------------------------------------------------------------

        @shielded(2, status_at=1)
        def read(doc_id):
            if not doc_id:
                return READ_HINT, ""
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

        def refresh_choices():
            # the lists of the library, filled when the page loads (and after an upload), never built into the page;
            # the empty chat tells a first visit what is in the library, what to ask and what it cannot do
            choices = views.document_choices()
            return (gr.Dropdown(choices=choices), gr.Dropdown(choices=views.place_choices()),
                    gr.Dropdown(choices=views.publisher_choices()), gr.Dropdown(choices=views.year_choices()),
                    gr.Dropdown(choices=choices, value=None), gr.Dropdown(choices=[("(work it out from the passage)", "")] + choices),
                    gr.Chatbot(placeholder=present.library_markdown(list(assistant.index.documents().values()))))

        library_lists = [only_documents, only_places, only_publishers, only_years, reader_document, check_document, chat]
        ui.load(refresh_choices, None, library_lists, api_visibility="private")

        if uploads:

            @shielded(2 + len(library_lists))
            def add_report(file, title, publisher, date, kind, request: gr.Request,
                           progress=gr.Progress()):  # noqa: B008 - how Gradio finds the bar
                from ingest.pipeline import ingest

                added_by = uploader(request, uploaders)
                if not file:
                    raise AssistantError("Choose a file to upload first.")
                title, publisher, date = (title or "").strip(), (publisher or "").strip(), (date or "").strip()
                if not title or not publisher:
                    raise AssistantError("Give the report's title and publisher.")
                if date and not DATE_RE.match(date):
                    raise AssistantError(f"{date!r} is not a date: write it as YYYY, YYYY-MM or YYYY-MM-DD.")
                if kind not in KINDS:
                    raise AssistantError(f"Choose the kind of document from the list ({', '.join(KINDS)}).")
                original = Path(file).name
                name = re.sub(r"[^A-Za-z0-9._-]+", "-", original).strip(".-") or "report"
                if Path(name).suffix.lower() not in UPLOAD_TYPES:
                    raise AssistantError(f"{original} is not a PDF, DOCX, HTML or text file, so it was not added.")
                entries = assistant.index.entries()
                sha = hashlib.sha256(Path(file).read_bytes()).hexdigest()
                same = next((doc_id for doc_id, entry in entries.items() if entry.get("sha256") == sha), None)
                if same:
                    known = views.document(same)
                    by = f", {present.uploaded(known)}" if known.added_by else ""
                    raise AssistantError(f"{original} is already in the library as \u201c{known.title}\u201d{by}; "
                                         "nothing was added.")
                folder = assistant.index.data_dir / "uploads"
                folder.mkdir(parents=True, exist_ok=True)
                target = free_name(folder, name, set(entries))
                with open(file, "rb") as source, open(target, "xb") as copy:  # "x": never over a file already there
                    shutil.copyfileobj(source, copy)
                given = ["title", "publisher", "kind"] + (["date"] if date else [])
                metadata = {"title": title, "publisher": publisher, "date": date or None, "kind": kind, "given": given,
                            "added_by": added_by, "added_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}
                progress(0.1, desc=f"Reading {target.name}")
                report = ingest([target], assistant.index, assistant.retriever.embedder, metadata=metadata,
                                progress=lambda done, total, _: progress(done / max(total, 1), desc="Indexing"))
                if report.failed:
                    target.unlink(missing_ok=True)
                    reason = report.failed[0].replace(str(target), name).replace(str(target.resolve()), name)
                    reason = re.sub(r"^\S*" + re.escape(target.name) + r":\s*", "", reason)
                    raise AssistantError(f"{original} was refused and nothing was added: {reason}")
                renamed = f" as {target.name} (a file of its name is already in the library)" if target.name != name else ""
                log.info("%s added %s as %s", added_by, original, settings.relative_source(target))
                return (present.status(f"{original} was added{renamed}: {report.paragraphs} paragraphs, ready to ask "
                                       f"about and read; recorded as added by {added_by}."),
                        *refresh_choices(), None)

            upload_button.click(add_report, [upload_file, upload_title, upload_publisher, upload_date, upload_kind],
                                [upload_status, *library_lists, upload_file], concurrency_limit=1)
    ui.queue(max_size=QUEUE_SIZE)
    return ui


def launch(ui: gr.Blocks, *, host: str | None = None, port: int | None = None,
           auth: Login | tuple[str, str] | None = None, prevent_thread_lock: bool = False) -> str:
    """Serve the app (loopback unless told otherwise); returns its address. `auth`: a Login, or one (user, password)."""
    if isinstance(auth, tuple):
        auth = Login({auth[0]: auth[1]})
    host, port = host or settings.get("HOST"), port or server_port()
    try:
        _, url, _ = ui.launch(
            server_name=host, server_port=port, auth=auth.check if auth else None,
            auth_message=auth.message if auth else None, prevent_thread_lock=prevent_thread_lock, js=CITE_JS,
            css=present.CSS, show_error=False, max_file_size=f"{settings.number('MAX_FILE_MB'):g}mb", footer_links=[],
            quiet=prevent_thread_lock, state_session_capacity=SESSIONS,
            app_kwargs={"middleware": [Middleware(BodyLimit)]},
        )
    except OSError as exc:
        raise AssistantError(port_in_use(host, port)) from exc
    return url


def server_port() -> int:
    value = settings.get("PORT")
    if not value.strip().isdigit() or not 0 < int(value) < 65536:
        raise AssistantError(f"ASSISTANT_PORT must be a port number from 1 to 65535, not {value!r}.")
    return int(value)


def port_in_use(host: str, port: int) -> str:
    return (f"Port {port} on {host} is already in use (another copy of the app?): stop that program, "
            f"or choose another port, e.g. ASSISTANT_PORT={port + 1}.")


def check_port(host: str, port: int) -> None:
    """Fail at once, in one line, when the port is taken, rather than after loading the model."""
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise AssistantError(port_in_use(host, port)) from exc


def main() -> None:
    try:
        host, port, auth = settings.get("HOST"), server_port(), login()
        check_port(host, port)
        serve_from_settings(host, port, auth)
    except AssistantError as exc:
        raise SystemExit(f"error: {exc}") from None


def serve_from_settings(host: str, port: int, auth: Login | None) -> None:
    from ingest.embed import Embedder
    from ingest.index import Index
    from ingest.pipeline import ingest

    index, embedder = Index(settings.data_dir()), Embedder()
    if index.is_empty():
        print("Building the index from the bundled corpus (first run)...")
        print(ingest([settings.corpus_dir()], index, embedder).summary())
    embedder.model  # noqa: B018 - load it now, not while the first person waits for an answer
    import torch

    # several answers run at once (ASK_CONCURRENCY), each embedding one short question: two torch threads
    # each on two cores contend, and one each answered more per second in scripts/load_test.py
    torch.set_num_threads(1)
    assistant = Assistant(index, embedder)
    generator = None
    if settings.get("LLM_URL"):
        from assistant.generate import Generator

        generator = Generator(assistant)  # generated answers, streamed and verified; extractive if the model fails
    launch(build_ui(assistant, generator=generator), host=host, port=port, auth=auth)


def login() -> Login | None:
    """The optional login from the AUTH setting: "user:password", or several as "user:password,user2:password2"."""
    value = settings.get("AUTH")
    if not value:
        return None
    accounts = {}
    for account in value.split(","):
        user, colon, password = account.strip().partition(":")
        if not (user and colon and password):
            raise AssistantError("ASSISTANT_AUTH must be user:password (several separated by commas), "
                                 "e.g. ASSISTANT_AUTH=councillor:a-long-passphrase")
        accounts[user] = password
    return Login(accounts)


if __name__ == "__main__":
    main()
