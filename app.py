"""The Gradio web app: a chat over the indexed reports, answers with numbered citations.

Run: python app.py (builds the index from the bundled corpus on first run).
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import gradio as gr  # noqa: E402

from assistant import settings  # noqa: E402
from assistant.answer import Assistant  # noqa: E402
from assistant.ask import answer_text  # noqa: E402
from assistant.errors import AssistantError  # noqa: E402


def build_ui(assistant: Assistant) -> gr.Blocks:
    """The web app around an already-built assistant."""

    def respond(message: str, history: list[dict]) -> str:
        try:
            return answer_text(assistant.ask(message, history))
        except AssistantError as exc:
            return f"Sorry: {exc}"
        except Exception:  # never show a stack trace; the app keeps serving
            return "Sorry: something went wrong answering that. Please try again."

    with gr.Blocks(title="Inspection report assistant") as ui:
        gr.Markdown("## Ask about Ofsted's reports on Kirklees children's services\n"
                    "Answers quote the reports and cite their paragraph numbers.")
        gr.ChatInterface(respond, chatbot=gr.Chatbot(height=520), concurrency_limit=8)
    return ui


def main() -> None:
    from ingest.embed import Embedder
    from ingest.index import Index
    from ingest.pipeline import ingest

    index, embedder = Index(settings.data_dir()), Embedder()
    if index.is_empty():
        print("Building the index from the bundled corpus (first run)...")
        print(ingest([settings.corpus_dir()], index, embedder).summary())
    auth = tuple(settings.get("AUTH").split(":", 1)) if settings.get("AUTH") else None
    build_ui(Assistant(index, embedder)).launch(
        server_name=settings.get("HOST"), server_port=int(settings.get("PORT")), auth=auth
    )


if __name__ == "__main__":
    main()
