"""The web app in a real browser (Debian's chromium driven by Playwright; see DEVELOPERS.md):
ask and open a citation, narrow the search, read a document, build and export a note, check
citations, add a report, and markup inside documents or questions that never runs."""

from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = PROJECT_ROOT / "docs" / "screenshot.png"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
QUESTION = "What did Ofsted say about care leaver accommodation?"
OFSTED_2024 = "Inspection of Kirklees local authority children's services"
TIMEOUT = 30_000  # ms: an answer takes well under a second, a first model load a few

# Reading strips whole tags (<b>, <script>...</script>) from text, but an unclosed one, a Markdown
# link and the title given at upload reach the views as they are.
INJECTED = """Testshire children's services: a report with markup in it

Inspectors found that the pantomime horse scheme works well for children in care. It is popular.

The council's pantomime horse budget is [a link](javascript:window.__pwned=3) generous <img src=x onerror="window.__pwned = 2"
"""


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """Debian's chromium, headless, never a downloaded browser (`playwright install` is not used)."""
    return {"executable_path": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage"]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(assistant, **options):
    import app

    ui = app.build_ui(assistant, **{"uploads": False, **options})
    url = app.launch(ui, host="127.0.0.1", port=free_port(), prevent_thread_lock=True)
    return ui, url


@pytest.fixture(scope="session")
def assistant(corpus_index, embedder):
    from assistant.answer import Assistant

    return Assistant(corpus_index, embedder)


@pytest.fixture(scope="session")
def app_url(assistant):
    """The app over the shared corpus index, uploads off (the shared index is read-only)."""
    ui, url = serve(assistant)
    yield url
    ui.close()


@pytest.fixture(scope="session")
def upload_app(tmp_path_factory, corpus_index, embedder):
    """The app, uploads on, over a copy of the corpus index: (url, index)."""
    from assistant.answer import Assistant
    from ingest.index import Index

    copy = tmp_path_factory.mktemp("upload-index") / "data"
    shutil.copytree(corpus_index.data_dir, copy)
    index = Index(copy)
    ui, url = serve(Assistant(index, embedder), uploads=True)
    yield url, index
    ui.close()


def open_app(page, url):
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    page.locator("#question textarea").wait_for()


def ask(page, question: str, answers_before: int | None = None):
    """Type a question, press Ask, wait for its answer; returns the answer's locator."""
    bots = page.locator("#chat [data-testid='bot']")
    before = bots.count() if answers_before is None else answers_before
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.wait_for_function(
        "([n]) => document.querySelectorAll(\"#chat [data-testid='bot']\").length > n", arg=[before])
    return bots.nth(before)


def tab(page, name: str):
    page.get_by_role("tab", name=name).click()


def box(locator) -> dict:
    return locator.bounding_box()


def in_view(page, locator) -> bool:
    """Is the top of the element on screen (its first lines readable without scrolling)?"""
    b, height = box(locator), page.viewport_size["height"]
    return b is not None and 0 <= b["y"] and b["y"] + min(b["height"], 80) <= height


def focused_cite(page) -> str | None:
    """The citation card that has focus, by its TURN-MARKER, or None."""
    return page.evaluate("document.activeElement?.closest('#source-panel .source-card')?.dataset.cite || null")


# -- asking ----------------------------------------------------------------------------------------


def test_ask_click_a_citation_see_the_paragraph(page, app_url, assistant):
    from assistant.present import human_date

    page.set_viewport_size(LAPTOP)
    open_app(page, app_url)
    answer = ask(page, QUESTION)
    expected = assistant.ask(QUESTION)
    assert expected.answered and expected.citations
    first = expected.citations[0]
    assert first.quote.split(". ")[0][:40] in answer.inner_text()

    answer.locator("a[href='#cite-0-1']").first.click()
    panel = page.locator("#source-panel")
    panel.locator(".para.target").wait_for()
    assert first.document.title in panel.inner_text()
    assert first.document.publisher in panel.inner_text()
    assert human_date(first.document.date) in panel.inner_text()  # "July 2024", as a person writes it
    assert panel.locator(".para.target").get_attribute("data-label") == first.paragraph.label
    highlighted = " ".join(panel.locator(".para.target mark").all_inner_texts())
    assert first.quote.split(". ")[0][:40] in highlighted
    assert panel.locator(".para").count() > 1  # the paragraphs around it too
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)

    # a follow-up is answered in the same conversation; its own citations open its own paragraphs
    follow = ask(page, "And what about the quality of their pathway plans?", answers_before=1)
    expected_follow = assistant.ask("And what about the quality of their pathway plans?", [
        {"role": "user", "content": QUESTION}, {"role": "assistant", "content": expected.text}])
    assert follow.locator("a[href^='#cite-1-']").count() >= 1 or not expected_follow.citations
    if expected_follow.citations:
        follow.locator("a[href='#cite-1-1']").first.click()
        page.wait_for_function(
            "([label]) => document.querySelector('#source-panel .para.target')?.dataset.label === label",
            arg=[expected_follow.citations[0].paragraph.label])
    # the list of sources opens the first answer's citations too, without the chat links
    answer.click()
    page.locator("#sources label").first.click()
    page.wait_for_function(
        "([label]) => document.querySelector('#source-panel .para.target')?.dataset.label === label",
        arg=[first.paragraph.label])


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_citation_opens_where_the_reader_is_and_takes_focus(page, app_url, size):
    """Issue point 1: on a 1366x768 laptop the paragraph opens beside the answer, in sight; on a 390x844 phone it
    is brought on screen under the answer; either way focus moves to it, and "Back to the answer" returns."""
    page.set_viewport_size(size)
    open_app(page, app_url)
    answer = ask(page, QUESTION)
    link = answer.locator("a[href='#cite-0-3']").first
    link.scroll_into_view_if_needed()
    link.focus()
    page.keyboard.press("Enter")  # keyboard only
    target = page.locator("#source-panel .para.target")
    target.wait_for()
    page.wait_for_function("document.activeElement?.closest('#source-panel .source-card')?.dataset.cite === '0-3'")
    assert in_view(page, target), (box(target), page.viewport_size)
    card, chat = box(page.locator("#source-panel .source-card")), box(page.locator("#chat"))
    if size is LAPTOP:
        assert card["x"] >= chat["x"] + chat["width"] - 1  # beside the answer, not under it
        assert card["y"] < page.viewport_size["height"] / 2
    else:
        assert card["y"] >= chat["y"] + chat["height"] - 1 or card["y"] + card["height"] <= chat["y"]  # under or over it
    # the announcement is written a moment after the panel opens (for screen readers to hear the change): wait for it
    expect(page.locator("#cite-announcer")).to_have_text(re.compile(r"^Showing source 3"))

    page.locator("#source-panel a.back-link").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#cite-0-3"

    # the same citation again: focus goes back to the card that already shows it
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement?.closest('#source-panel .source-card')?.dataset.cite === '0-3'")


def test_the_paragraph_panel_never_shows_an_earlier_answers_paragraph(page, app_url):
    """Issue point 2: a new answer and "New conversation" both empty the panel."""
    open_app(page, app_url)
    answer = ask(page, QUESTION)
    answer.locator("a[href='#cite-0-1']").first.click()
    panel = page.locator("#source-panel")
    panel.locator(".para.target").wait_for()
    ask(page, "What did inspectors say about staff morale?", answers_before=1)
    expect(panel.locator(".para")).to_have_count(0)
    expect(panel).to_contain_text("Click a citation number")

    page.locator("#chat [data-testid='bot']").nth(1).locator("a[href^='#cite-1-']").first.click()
    panel.locator(".para.target").wait_for()
    page.locator("#new-conversation").click()
    expect(panel.locator(".para")).to_have_count(0)
    expect(page.locator("#chat [data-testid='bot']")).to_have_count(0)


def test_narrow_the_search_to_a_publisher(page, app_url):
    open_app(page, app_url)
    page.get_by_text("Narrow the search").click()
    page.locator("#filter-publishers input").click()
    page.get_by_role("option", name="Dewsbury Reporter").click()
    page.keyboard.press("Escape")
    answer = ask(page, "What did the report say about social workers?")
    text = answer.inner_text()
    assert "Dewsbury Reporter" in text
    assert "Ofsted (2024" not in text and "Kirklees Council (20" not in text


def test_a_question_with_markup_is_shown_as_text(page, app_url):
    open_app(page, app_url)
    question = "<img src=x onerror=\"window.__pwned = 1\"> <script>window.__pwned = 2</script> what about *care leavers*?"
    ask(page, question)
    user = page.locator("#chat [data-testid='user']").last
    assert "<img src=x" in user.inner_text() and "<script>" in user.inner_text()
    assert user.locator("img, script, em").count() == 0
    assert page.evaluate("window.__pwned") is None


# -- accessibility ------------------------------------------------------------------------------------------

AXE = PROJECT_ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"  # bash scripts/setup.sh --test
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_findings(page) -> list[dict]:
    """axe-core's violations on the page once Gradio is idle: [{id, impact, nodes: [target, ...]}]. While an event
    runs, Gradio dims its outputs (`.pending`, opacity 0.2, fading over 0.15 s): a dimmed link fails the contrast
    check, so the page is checked once none is pending and the fade is over (a loaded machine made this flaky)."""
    assert AXE.exists(), f"{AXE} is missing: run bash scripts/setup.sh --test (it installs axe-core from npm)"
    page.wait_for_function("!document.querySelector('.pending')")
    page.wait_for_timeout(300)
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))
        .violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))""", AXE_TAGS)


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_every_page_passes_the_accessibility_checker(page, upload_app, size):
    """Issue point 8: axe-core, injected into each page at both sizes, finds nothing serious or critical; citation
    links are named for their source and the question box comes before them in the tab order."""
    url, _ = upload_app
    page.set_viewport_size(size)
    open_app(page, url)
    page.wait_for_timeout(500)
    found = {"first visit": axe_findings(page)}
    answer = ask(page, QUESTION)
    link = answer.locator("a[href='#cite-0-1']").first
    assert re.fullmatch(r"source 1, Ofsted 2024, paragraph \d+", link.get_attribute("aria-label") or "")
    order = page.evaluate("""() => { const all = [...document.querySelectorAll('textarea, a[href^="#cite-"]')];
        return [all.indexOf(document.querySelector('#question textarea')), all.indexOf(document.querySelector('a[href^="#cite-"]'))]; }""")
    assert order[0] < order[1]  # the question box first
    link.click()
    page.locator("#source-panel .para.target").wait_for()
    found["answer with its citation open"] = axe_findings(page)
    tab(page, "Read")
    page.locator("#reader-document input").click()
    page.get_by_role("option", name=re.compile(re.escape(OFSTED_2024))).click()
    page.locator("#reader table.judgements").wait_for()
    found["Read"] = axe_findings(page)
    for name in ("Briefing note", "Check citations", "Add a report"):
        tab(page, name)
        page.wait_for_timeout(300)
        found[name] = axe_findings(page)
    counts = {view: {impact: sum(len(v["nodes"]) for v in violations if v["impact"] == impact)
                     for impact in ("critical", "serious", "moderate", "minor")} for view, violations in found.items()}
    print("axe-core findings by impact:", json.dumps(counts))
    bad = {view: [v for v in violations if v["impact"] in ("serious", "critical")] for view, violations in found.items()}
    assert not any(bad.values()), json.dumps(bad, indent=1)


# -- orientation, layout, plain words -------------------------------------------------------------------------


def test_a_first_visit_shows_the_library_questions_to_try_and_limits(page, app_url, corpus_index):
    """Issue point 6: what is in the library (documents, councils, publishers, years), example questions, and what
    the assistant cannot do, before anything is asked."""
    page.set_viewport_size(LAPTOP)
    open_app(page, app_url)
    chat = page.locator("#chat")
    expect(chat).to_contain_text("What is in the library", timeout=TIMEOUT)
    text = chat.inner_text()
    documents = list(corpus_index.documents().values())
    assert f"{len(documents)} documents from 2016 to 2026" in text and "Kirklees" in text
    assert all(d.publisher in text and d.title in text for d in documents)
    assert "What it cannot do" in text and "says so rather than guess" in text
    page.locator("#examples button").first.click()
    expect(page.locator("#question textarea")).to_have_value(re.compile(r"\?$"))
    ask(page, page.locator("#question textarea").input_value())
    expect(chat).not_to_contain_text("What is in the library")


def test_the_read_tab_starts_empty_and_shows_details_and_grades_once(page, app_url):
    """Issue point 7: no document preselected with nothing under it; 'details', 'judgements' and the grades once."""
    open_app(page, app_url)
    tab(page, "Read")
    assert page.locator("#reader-document input").input_value() == ""
    expect(page.locator("#reader")).to_contain_text("Choose a document")
    page.locator("#reader-document input").click()
    page.get_by_role("option", name=re.compile("Scrutiny Panel")).click()  # the newest: shown at once
    page.locator("#reader .para").first.wait_for()
    page.locator("#reader-document input").click()
    page.get_by_role("option", name=re.compile(re.escape(OFSTED_2024))).click()
    reader = page.locator("#reader")
    reader.locator("table.judgements").wait_for()
    text = reader.inner_text()
    assert text.count("Requires improvement to be good") == 1  # the grades once, in the table
    assert reader.locator("table.judgements").count() == 1
    assert [t.strip() for t in reader.locator(".para-section").all_inner_texts()].count("details") == 0
    assert reader.locator(".para[data-label='details']").count() == 1


def test_on_a_phone_asking_and_every_tab_come_first(page, app_url):
    """Issue point 9: at 390x844 the question box and Ask are on the first screen, every tab is in sight (none
    behind a menu), and no 'scroll down' button covers the answer."""
    page.set_viewport_size(PHONE)
    open_app(page, app_url)
    assert in_view(page, page.locator("#question textarea")) and in_view(page, page.locator("#ask"))
    for name in ("Ask", "Read", "Briefing note", "Check citations"):
        expect(page.get_by_role("tab", name=name)).to_be_visible()
    assert page.get_by_role("button", name="More tabs").count() == 0
    answer = ask(page, QUESTION)
    page.locator("#chat").evaluate("chat => chat.querySelector('[role=log], .bubble-wrap')?.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    assert page.locator("#chat button[aria-label='Scroll down']:visible").count() == 0
    assert answer.locator("a[href^='#cite-']").count() >= 1


def test_a_council_filter_is_offered_and_an_active_filter_is_said_in_the_answer(page, app_url):
    """Issue point 10 and the councils: 'Narrow the search' offers the library's councils; the answer says what the
    search was narrowed to."""
    open_app(page, app_url)
    page.get_by_text("Narrow the search").click()
    page.locator("#filter-places input").click()
    page.get_by_role("option", name="Kirklees").click()
    page.keyboard.press("Escape")
    page.locator("#filter-years input").click()
    page.get_by_role("option", name="2024").click()
    page.keyboard.press("Escape")
    answer = ask(page, QUESTION)
    expect(answer).to_contain_text("Searched only: councils Kirklees; years 2024.")
    assert "Kirklees Council (20" not in answer.inner_text()


def test_the_ask_api_takes_councils_as_its_fifth_input(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    result = client.predict(QUESTION, [], [], [], ["Kirklees"], api_name="/ask")
    assert "Searched only: councils Kirklees" in json.dumps(result)
    refused = client.predict(QUESTION, [], [], [], ["Atlantis"], api_name="/ask")  # not a council in the library
    assert "There are no councils" in json.dumps(refused)


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_screenshots_first_visit_a_cited_answer_and_an_exported_note(page, app_url, size):
    """The README's figures: docs/screenshots/{first-visit,answer-cited,note-exported}-{laptop,phone}.png."""
    name = "laptop" if size is LAPTOP else "phone"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(size)
    open_app(page, app_url)
    expect(page.locator("#chat")).to_contain_text("What is in the library", timeout=TIMEOUT)
    page.screenshot(path=str(SCREENSHOTS / f"first-visit-{name}.png"))
    answer = ask(page, QUESTION)
    answer.locator("a[href='#cite-0-3']").first.click()
    page.locator("#source-panel .para.target").wait_for()
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / f"answer-cited-{name}.png"))
    page.locator("#add-to-note").click()
    page.get_by_text("Added to the note").wait_for()
    tab(page, "Briefing note")
    page.locator("#export-docx").click()
    page.locator("#note-file a[download$='.docx']").first.wait_for()
    page.locator("#note-file").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / f"note-exported-{name}.png"))


# -- keeping a person's work ------------------------------------------------------------------------


def test_the_conversation_and_the_note_survive_a_reload_and_a_restart_until_cleared(page, assistant):
    """Issue point 3: kept in the browser (gr.BrowserState, under a key kept in the data directory)."""
    import app

    port = free_port()
    ui = app.build_ui(assistant, uploads=False)
    url = app.launch(ui, host="127.0.0.1", port=port, prevent_thread_lock=True)
    try:
        open_app(page, url)
        ask(page, QUESTION)
        page.locator("#add-to-note").click()
        expect(page.locator("#saved-status")).to_contain_text("1 note item", timeout=TIMEOUT)
        page.reload()
        page.locator("#question textarea").wait_for()
        answer = page.locator("#chat [data-testid='bot']").first
        expect(answer).to_contain_text("bed and breakfast", timeout=TIMEOUT)
        expect(page.locator("#saved-status")).to_contain_text("1 question")
        answer.locator("a[href='#cite-0-1']").first.click()  # its citations open as before
        page.locator("#source-panel .para.target").wait_for()
    finally:
        ui.close()
    ui = app.build_ui(assistant, uploads=False)  # the app restarted, on the same address
    app.launch(ui, host="127.0.0.1", port=port, prevent_thread_lock=True)
    try:
        page.reload()
        page.locator("#question textarea").wait_for()
        expect(page.locator("#chat [data-testid='bot']")).to_have_count(1, timeout=TIMEOUT)
        tab(page, "Briefing note")
        expect(page.locator("#note-preview textarea")).to_have_value(re.compile("bed and breakfast"), timeout=TIMEOUT)

        page.locator("#forget").click()
        expect(page.locator("#saved-status")).to_contain_text("Cleared")
        page.reload()
        page.locator("#question textarea").wait_for()
        page.wait_for_timeout(1000)
        expect(page.locator("#chat [data-testid='bot']")).to_have_count(0)
        tab(page, "Briefing note")
        expect(page.locator("#note-preview textarea")).to_have_value("")
    finally:
        ui.close()


# -- reading ------------------------------------------------------------------------------------------


def test_read_a_document_jump_to_a_label_see_the_judgements(page, app_url, corpus_index):
    open_app(page, app_url)
    tab(page, "Read")
    page.locator("#reader-document input").click()
    page.get_by_role("option", name=re.compile(re.escape(OFSTED_2024))).click()
    reader = page.locator("#reader")
    reader.locator("table.judgements").wait_for()
    table = reader.locator("table.judgements").inner_text()
    assert "Overall effectiveness" in table and "Good" in table and "Requires improvement to be good" in table
    assert reader.locator(".para[data-label='55']").count() == 1

    page.locator("#jump-label textarea").fill("para 55")
    page.locator("#jump").click()
    page.locator("#jump-panel .para.target[data-label='55']").wait_for()
    paragraph_55 = next(p for p in corpus_index.paragraphs("corpus/2024-ofsted-ilacs-inspection.txt") if p.label == "55")
    assert paragraph_55.text[:60] in page.locator("#jump-panel .para.target").inner_text()
    assert reader.locator(".para.target[data-label='55']").count() == 1

    page.locator("#jump-label textarea").fill("9999")
    page.locator("#jump").click()
    page.get_by_text("has no paragraph '9999'").wait_for()
    assert "Traceback" not in page.content()


def test_assigned_numbers_are_marked(page, app_url):
    open_app(page, app_url)
    tab(page, "Read")
    page.locator("#reader-document input").click()
    page.get_by_role("option", name=re.compile("Dewsbury Reporter")).click()
    reader = page.locator("#reader")
    reader.locator(".para").first.wait_for()
    assert "*" in reader.locator(".para-label").first.inner_text()
    assert "prints no paragraph numbers, so this app counts them" in reader.inner_text()  # the star explained
    assert reader.locator("table.judgements").count() == 0


# -- the briefing note ----------------------------------------------------------------------------------


def test_build_a_note_and_export_it(page, app_url, tmp_path):
    import docx

    open_app(page, app_url)
    ask(page, QUESTION)
    page.locator("#add-to-note").click()
    page.get_by_text("Added to the note").wait_for()
    tab(page, "Briefing note")
    # the item the wording belongs to is chosen before the wording is edited
    page.wait_for_function("(document.querySelector('#note-item input') || {}).value?.startsWith('1.')")
    wording = page.locator("#note-wording textarea")
    assert wording.input_value()
    # the writer deletes every marker but [2]: the note lists that one source only, as [1]
    edited = "Edited by a councillor: " + re.sub(r"\[(?!2\])\d+\]", "", wording.input_value())
    wording.fill(edited)
    page.locator("#save-wording").click()
    # while the save runs the status shows Gradio's timer ("0.0s"); the message comes after it
    expect(page.locator("#note-status")).to_contain_text("Saved", timeout=TIMEOUT)
    page.wait_for_function("document.querySelector('#note-preview textarea').value.includes('Edited by a councillor')")

    page.locator("#export-md").click()
    link = page.locator("#note-file a").first
    link.wait_for()
    with page.expect_download() as download:
        link.click()
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Edited by a councillor" in markdown
    assert "Ofsted" in markdown and OFSTED_2024 in markdown and "2024" in markdown
    assert re.search(r"paragraph \d+|para\.? \d+", markdown, re.I)
    # ready to paste (issue point 4): one reference, numbered 1, cited as a person would, no server path or ISO date
    references = markdown.split("## References", 1)[1]
    assert [line[:3] for line in references.splitlines() if line[:1].isdigit()] == ["1. "]
    assert "July 2024" in references and "corpus/" not in markdown and "2024-07" not in references
    assert "[1]" in markdown.split("## References")[0] and "[2]" not in markdown.split("## References")[0]

    page.locator("#export-docx").click()
    docx_link = page.locator("#note-file a[download$='.docx']").first
    docx_link.wait_for()
    with page.expect_download() as download:
        docx_link.click()
    saved = tmp_path / "note.docx"
    shutil.copy(download.value.path(), saved)
    text = "\n".join(p.text for p in docx.Document(str(saved)).paragraphs)
    text += "\n".join(cell.text for table in docx.Document(str(saved)).tables for row in table.rows for cell in row.cells)
    assert "Edited by a councillor" in text and OFSTED_2024 in text
    assert docx.Document(str(saved)).core_properties.author != "python-docx"


# -- checking citations ------------------------------------------------------------------------------------


def test_the_checker_flags_missing_and_unsupported_citations(page, app_url, corpus_index):
    doc = "corpus/2024-ofsted-ilacs-inspection.txt"
    paragraph_55 = next(p for p in corpus_index.paragraphs(doc) if p.label == "55")
    passage = (f"{paragraph_55.sentence_texts()[0]} (Ofsted 2024, para 55). "
               "Ofsted found that the council's parks are beautifully kept (para 56). "
               "Inspectors praised the new swimming pool (paragraph 999). "
               "Most care leavers are living in bed and breakfast accommodation (para 55).")
    open_app(page, app_url)
    tab(page, "Check citations")
    page.locator("#check-passage textarea").fill(passage)
    page.locator("#check-document input").click()
    page.get_by_role("option", name=re.compile(re.escape(OFSTED_2024))).click()
    page.locator("#check").click()
    results = page.locator("#check-results")
    results.locator(".check-sentence").nth(3).wait_for()
    rows = results.locator(".check-row")
    verdicts = [(rows.nth(i).get_attribute("data-exists"), rows.nth(i).get_attribute("data-supports"))
                for i in range(rows.count())]
    assert verdicts[0] == ("true", "true")
    assert verdicts[1] == ("true", "false")  # paragraph 56 exists, but says nothing of parks
    assert verdicts[2][0] == "false"  # there is no paragraph 999
    assert paragraph_55.text[:50] in rows.nth(0).inner_text()  # the paragraph beside the sentence
    assert "no such paragraph" in rows.nth(2).inner_text()
    assert verdicts[3] == ("true", "false")  # an overclaim (issue point 5): the paragraph says how many
    assert "small but significant number" in rows.nth(3).locator(".check-verdict").inner_text()


# -- adding a report ---------------------------------------------------------------------------------------


def upload(page, path: Path, title: str, publisher: str = "Testshire Council", date: str = "2025-05"):
    tab(page, "Add a report")
    page.locator("#upload-file input[type=file]").set_input_files(str(path))
    page.locator("#upload-title textarea").fill(title)
    page.locator("#upload-publisher textarea").fill(publisher)
    page.locator("#upload-date textarea").fill(date)
    status = page.locator("#upload-status p")
    before = status.inner_text() if status.count() else ""
    page.locator("#upload").click()
    # a second upload's message replaces the first's: wait for the new one
    page.wait_for_function("([before]) => { const p = document.querySelector('#upload-status p');"
                           " return p && p.innerText.trim() && p.innerText !== before; }", arg=[before])
    return status.inner_text()


def test_an_unreadable_file_is_refused_and_the_index_unchanged(page, upload_app, tmp_path):
    url, index = upload_app
    broken = tmp_path / "broken-report.pdf"
    broken.write_bytes(b"%PDF-1.7\nthis is not really a PDF at all\n")
    before = (index.data_dir / "registry.json").read_bytes()
    open_app(page, url)
    message = upload(page, broken, "A broken report")
    assert "refused" in message and "broken-report.pdf" in message
    assert "Traceback" not in page.content()
    assert (index.data_dir / "registry.json").read_bytes() == before
    assert not (index.data_dir / "uploads" / "broken-report.pdf").exists()


def test_an_uploaded_report_can_be_read_and_its_markup_stays_inert(page, upload_app, tmp_path):
    url, index = upload_app
    report = tmp_path / "testshire <b>markup<b>.txt"
    report.write_text(INJECTED, encoding="utf-8")
    open_app(page, url)
    message = upload(page, report, "Testshire <script>window.__pwned = 4</script> report")
    assert "was added" in message, message
    doc_id = next(d.id for d in index.documents().values() if d.title.startswith("Testshire <script>"))
    assert Path(doc_id).parent.name == "uploads"  # kept in the data directory's uploads folder

    tab(page, "Read")
    page.locator("#reader-document input").click()
    page.get_by_role("option", name=re.compile("Testshire")).click()
    reader = page.locator("#reader")
    reader.locator(".para").first.wait_for()
    text = reader.inner_text()
    assert '<img src=x onerror="window.__pwned = 2"' in text and "[a link](javascript:window.__pwned=3)" in text
    assert "Testshire <script>window.__pwned = 4</script> report" in text
    assert reader.locator("script, img, a").count() == 0

    tab(page, "Ask")
    answer = ask(page, "What did inspectors find about the pantomime horse scheme?")
    assert "pantomime horse" in answer.inner_text()
    assert answer.locator("script, img").count() == 0
    answer.locator("a[href^='#cite-']").first.click()
    panel = page.locator("#source-panel")
    panel.locator(".para.target").wait_for()
    assert "Testshire <script>" in panel.inner_text()
    assert "uploads/" not in panel.inner_text() and str(index.data_dir) not in panel.inner_text()  # no server paths
    assert panel.locator("script, img").count() == 0
    assert answer.locator("a:not([href^='#cite-'])").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert doc_id in index.entries()
    assert (index.data_dir / "uploads" / Path(doc_id).name).exists()


# -- safety and failure ----------------------------------------------------------------------------------------


def test_uploads_off_means_no_upload_tab(page, app_url):
    open_app(page, app_url)
    assert page.get_by_role("tab", name="Read").count() == 1
    assert page.get_by_role("tab", name="Add a report").count() == 0


def test_a_failure_shows_a_short_message_and_the_app_keeps_serving(page, assistant):
    class Broken:
        index = assistant.index
        retriever = assistant.retriever
        calls = 0

        def ask(self, question, history=None, filters=None):
            Broken.calls += 1
            if Broken.calls == 1:
                raise RuntimeError("deep inside: a stack trace nobody should see")
            return assistant.ask(question, history, filters)

    ui, url = serve(Broken())
    try:
        open_app(page, url)
        first = ask(page, QUESTION)
        assert "Something went wrong" in first.inner_text()
        assert "stack trace" not in page.content() and "Traceback" not in page.content()
        second = ask(page, QUESTION, answers_before=1)
        assert second.locator("a[href^='#cite-']").count() >= 1
    finally:
        ui.close()


def test_listens_on_loopback_and_can_require_a_login(assistant, page):
    import app

    ui = app.build_ui(assistant, uploads=False)
    url = app.launch(ui, port=free_port(), auth=("councillor", "secret"), prevent_thread_lock=True)
    try:
        assert url.startswith("http://127.0.0.1:")
        page.goto(url)
        page.get_by_role("button", name=re.compile("login", re.I)).wait_for()
        assert page.locator("#question").count() == 0
        response = page.request.get(url + "config")
        assert response.status in (401, 403) or "chat" not in json.dumps(response.text())
    finally:
        ui.close()


# -- generated answers -------------------------------------------------------------------------------------


def test_a_generated_answer_streams_in_and_its_citation_opens(page, assistant):
    from test_generate import BNB, StubModel, source_number

    from assistant.generate import UNSUPPORTED, Generator

    model = StubModel()
    n55 = source_number(assistant, BNB, "55")
    model.reply = (f"The council runs an excellent zoo for children [{n55}]. A small but significant number of care "
                   f"leavers are living in bed and breakfast accommodation [{n55}].")
    ui, url = serve(assistant, generator=Generator(assistant, url=model.url, timeout=10))
    try:
        open_app(page, url)
        answer = ask(page, BNB)
        page.wait_for_function("document.querySelector(\"#chat [data-testid='bot']\").innerText.includes('[1]')")
        assert UNSUPPORTED in answer.inner_text() and "bed and breakfast accommodation" in answer.inner_text()
        assert model.requests  # the model was asked
        answer.locator("a[href='#cite-0-1']").first.click()
        target = page.locator("#source-panel .para.target")
        target.wait_for()
        assert target.get_attribute("data-label") == "55" and "bed and breakfast" in target.inner_text()
    finally:
        ui.close()
        model.server.shutdown()
