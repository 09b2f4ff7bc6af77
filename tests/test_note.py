"""Briefing notes: answers added, wording edited, exported as Markdown and DOCX with a reference
list (document, publisher, date, paragraph, quoted words) and note-wide reference numbers."""

from __future__ import annotations

import re
from dataclasses import replace

import docx
import pytest

from assistant.answer import Assistant
from assistant.note import from_answer, to_docx, to_markdown

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def items(corpus_index, embedder):
    assistant = Assistant(corpus_index, embedder)
    first = from_answer(assistant.ask("What did Ofsted say about care leavers living in bed and breakfast accommodation?"))
    second = from_answer(assistant.ask("What did Ofsted say about care leavers in bed and breakfast accommodation and their stability?"))
    return [replace(first, text="Edited: " + first.text), second]


def test_markdown_has_the_edited_text_and_a_checkable_reference_list(items):
    markdown = to_markdown(items, "Care leavers: briefing")
    assert markdown.startswith("# Care leavers: briefing")
    assert "Edited: " in markdown
    references = markdown.split("## References", 1)[1]
    first = items[0].citations[0]
    assert first.document.title in references and first.document.publisher in references
    assert f"paragraph {first.paragraph.label}" in references
    assert first.quote in references


def test_references_read_as_a_person_cites_them(items):
    """Issue point 4: "Ofsted, Inspection of Kirklees local authority children's services, July 2024, paragraph 55,
    https://reports.ofsted.gov.uk/": no file path, no ISO date."""
    references = to_markdown(items, "Note").split("## References", 1)[1]
    numbered = [line for line in references.splitlines() if line[:1].isdigit()]
    assert numbered[0].startswith("1. ")
    ofsted = next(line for line in numbered if "Ofsted" in line)
    assert re.search(r"Ofsted, Inspection of Kirklees local authority children's services, July 2024, paragraph \d+, "
                     r"https://reports\.ofsted\.gov\.uk/", ofsted), ofsted
    assert "corpus/" not in references and ".txt" not in references
    assert not re.search(r"\b\d{4}-\d{2}\b", references)  # no "2024-07"


def test_only_cited_references_are_listed_numbered_from_1(items):
    """A marker deleted while editing takes its reference with it; the rest are numbered 1, 2, ... in the order
    the text first cites them."""
    first = items[0]
    kept = sorted({c.marker for c in first.citations})[-1]  # keep only the last source's markers
    text = re.sub(r"\[(\d+)\]", lambda m: m.group(0) if int(m.group(1)) == kept else "", first.text)
    markdown = to_markdown([replace(first, text=text)], "Note")
    references = markdown.split("## References", 1)[1]
    numbered = [line for line in references.splitlines() if line[:1].isdigit()]
    assert len(numbered) == 1 and numbered[0].startswith("1. ")
    body = markdown.split("## References", 1)[0]
    assert set(re.findall(r"\[(\d+)\]", body)) == {"1"}


def test_the_same_paragraph_is_one_reference_and_markers_are_renumbered(items):
    markdown = to_markdown(items, "Note")
    references = markdown.split("## References", 1)[1]
    keys = [c.paragraph.key for item in items for c in item.citations]
    numbered = [line for line in references.splitlines() if line[:1].isdigit()]
    assert len(numbered) == len(set(keys)) < len(keys)  # both answers cite paragraph 55: one reference
    shared = next(c for c in items[0].citations if c.paragraph.key in {d.paragraph.key for d in items[1].citations})
    number = next(line.split(".")[0] for line in numbered
                  if f"paragraph {shared.paragraph.label}," in line and shared.document.title in line)
    second_text = markdown.split("\n## ")[2]  # title, first item, second item, references
    marker_in_second = next(c.marker for c in items[1].citations if c.paragraph.key == shared.paragraph.key)
    assert f"[{number}]" in second_text
    assert items[1].text.count(f"[{marker_in_second}]") == second_text.count(f"[{number}]")


def test_docx_has_the_text_the_references_word_styles_and_its_writer(items, tmp_path):
    path = to_docx(items, tmp_path / "note.docx", "Care leavers: briefing", author="councillor")
    document = docx.Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Care leavers: briefing" in text and "Edited: " in text
    first = items[0].citations[0]
    assert first.document.title in text and f"paragraph {first.paragraph.label}" in text and first.quote in text
    assert document.core_properties.author == "councillor"  # not "python-docx"
    styles = [p.style.name for p in document.paragraphs if p.style.name.startswith(("Title", "Heading"))]
    assert styles[0] == "Title" and set(styles[1:]) == {"Heading 1"}  # no heading level skipped
    assert any(p.style.name == "Quote" for p in document.paragraphs)


def test_a_quoted_list_stays_inside_its_quotation(corpus_index, embedder):
    answer = Assistant(corpus_index, embedder).ask("What are the areas for improvement in the 2024 report?")
    listed = next(c for c in answer.citations if "\n" in c.quote)
    references = to_markdown([from_answer(answer)], "Note").split("## References", 1)[1]
    quoted = [line for line in references.splitlines() if line.startswith("   > ")]
    for quote_line in listed.quote.splitlines()[1:]:
        assert any(quote_line in line for line in quoted), quote_line
