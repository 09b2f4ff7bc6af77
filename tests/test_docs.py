"""The README documents every setting, and its first screen gives the two commands."""

from pathlib import Path

from assistant.settings import SETTINGS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme():
    missing = [name for name, _, _ in SETTINGS if f"`ASSISTANT_{name}`" not in README]
    assert missing == []


def test_first_screen_gives_setup_and_test_commands():
    first_screen = "\n".join(README.splitlines()[:20])
    assert "app.py" in first_screen and "pytest" in first_screen
