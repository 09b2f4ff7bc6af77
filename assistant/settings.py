"""One table of settings; each can be overridden by the environment variable ASSISTANT_<NAME>."""

from __future__ import annotations

import math
import os
from pathlib import Path

from assistant.errors import SettingError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# (name, default, help). The README's settings table is checked against this by a test.
SETTINGS: tuple[tuple[str, str, str], ...] = (
    ("DATA_DIR", str(PROJECT_ROOT / "data"), "Where the index (Chroma, lexical index, document registry) is kept."),
    ("CORPUS_DIR", str(PROJECT_ROOT / "corpus"), "The documents ingested by default, with their manifest.json."),
    ("MAX_FILE_MB", "50", "Files larger than this many megabytes are refused at ingest."),
    ("HOST", "127.0.0.1", "Address the web app listens on."),
    ("PORT", "7860", "Port the web app listens on."),
    ("CHROMA_HOST", "", "Chroma server host; empty means the embedded store in DATA_DIR."),
    ("CHROMA_PORT", "8000", "Chroma server port (used when CHROMA_HOST is set)."),
    ("LLM_URL", "", "OpenAI-compatible chat-completions base address; empty means extractive answers."),
    ("LLM_MODEL", "", "Model name sent to the LLM endpoint."),
    ("LLM_KEY", "", "API key for the LLM endpoint, if it needs one."),
    ("LLM_TIMEOUT", "20", "Seconds to wait for the LLM endpoint before showing the extractive answer instead."),
    ("LLM_UNSUPPORTED", "mark", "What to do with a generated sentence its citation does not support: mark or drop."),
    ("AUTH", "", "Optional web app login as user:password, or several as user:password,user2:password2; empty means no login."),
    ("UPLOADS", "on", "Whether the web app lets people add reports; set to off to turn uploading off."),
    ("HOME_PLACE", "Kirklees", "The council a question naming none is answered for (the bundled corpus's); empty means every document."),
    ("UPLOADERS", "", "Login names (comma-separated) that may add reports; empty means anyone who may use the app."),
)

_DEFAULTS = {name: default for name, default, _ in SETTINGS}
_HELP = {name: help for name, _, help in SETTINGS}


def get(name: str) -> str:
    """The setting's value: the environment variable ASSISTANT_<NAME> if set, else the default."""
    if name not in _DEFAULTS:
        raise KeyError(f"unknown setting {name!r}")
    return os.environ.get(f"ASSISTANT_{name}", _DEFAULTS[name])


def number(name: str, kind: type[int] | type[float] = float) -> int | float:
    """A numeric setting's value, or SettingError naming the variable and what it wants (not a traceback)."""
    value = get(name)
    try:
        number = kind(value.strip())
        if not math.isfinite(number) or number < 0:
            raise ValueError(value)
    except ValueError:
        wanted = "a whole number" if kind is int else "a number"
        raise SettingError(f"ASSISTANT_{name}={value!r} is not {wanted} of 0 or more ({_HELP[name]} Default: "
                           f"{_DEFAULTS[name]}); set it to one, or unset it.") from None
    return number


def data_dir() -> Path:
    return Path(get("DATA_DIR"))


def corpus_dir() -> Path:
    return Path(get("CORPUS_DIR"))


def relative_source(path: Path) -> str:
    """A file's path as citations show it: relative to the project root when inside it, else its
    folder's name and its own ("reports/halton-2024.pdf"): never the server's absolute path."""
    path = Path(path).resolve()
    try:
        return path.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return "/".join(path.parts[-2:])
