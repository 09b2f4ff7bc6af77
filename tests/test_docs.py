"""The README documents every setting, its first screen gives the two commands, and the docs' links
and the modules the design names point at files that exist."""

import re
from pathlib import Path

from assistant.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DESIGN = ROOT / "docs" / "design.md"
LINK_RE = re.compile(r"\]\(([^)\s]+)\)")  # [text](target) and ![alt](target)
MODULE_RE = re.compile(r"\b((?:assistant|ingest|tests|scripts)/\w+\.py)\b")


def test_every_setting_is_in_the_readme():
    missing = [name for name, _, _ in SETTINGS if f"`ASSISTANT_{name}`" not in README]
    assert missing == []


def test_first_screen_gives_setup_and_test_commands():
    first_screen = "\n".join(README.splitlines()[:20])
    assert "app.py" in first_screen and "pytest" in first_screen


def heading_anchors(path: Path) -> set[str]:
    """The #anchors of a Markdown file's headings, as GitHub makes them ("Answering: stages" -> answering-stages)."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def broken_links(path: Path) -> list[str]:
    """The relative links of a Markdown file whose file, or heading, is not there."""
    broken = []
    for target in LINK_RE.findall(path.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:: not ours to check offline
            continue
        name, _, anchor = target.partition("#")
        linked = (path.parent / name).resolve() if name else path
        if not linked.is_file() or anchor and anchor not in heading_anchors(linked):
            broken.append(target)
    return broken


def test_links_in_the_readme_and_the_design_resolve():
    assert broken_links(ROOT / "README.md") == []
    assert broken_links(DESIGN) == []


def test_the_readme_links_the_design_not_a_file_outside_the_project():
    assert "docs/design.md" in README and "DESIGN.md" not in README


def test_modules_the_design_names_exist():
    named = set(MODULE_RE.findall(DESIGN.read_text(encoding="utf-8")))
    assert named and sorted(m for m in named if not (ROOT / m).is_file()) == []
