"""The AWS embedder: Amazon Titan Text Embeddings V2 through ``bedrock-runtime`` InvokeModel."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from governed_assistant.runtime.retrieval.constants import (
    DEFAULT_TITAN_DIMENSIONS,
    TITAN_DIMENSIONS,
    TITAN_MODEL_ID,
)
from governed_assistant.runtime.retrieval.exceptions import EmbeddingError


class TitanEmbedder:
    """One InvokeModel per text (Titan V2 takes one ``inputText``), normalised, ``dimensions`` floats."""

    def __init__(
        self,
        bedrock_runtime: Any,
        *,
        model_id: str = TITAN_MODEL_ID,
        dimensions: int = DEFAULT_TITAN_DIMENSIONS,
    ) -> None:
        if dimensions not in TITAN_DIMENSIONS:
            raise EmbeddingError(
                f"Titan Text Embeddings V2 has no {dimensions}-dimension output, dimensions={dimensions}; "
                f"use one of {', '.join(map(str, TITAN_DIMENSIONS))} and the same size in the schema"
            )
        self._client = bedrock_runtime
        self._model_id = model_id
        self._dimensions = dimensions

    @property
    def dimensions(self) -> int:
        return self._dimensions

    @property
    def model_id(self) -> str:
        return self._model_id

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._embed_one(text) for text in texts]

    def _embed_one(self, text: str) -> list[float]:
        body = json.dumps({"inputText": text, "dimensions": self._dimensions, "normalize": True})
        response = self._client.invoke_model(
            modelId=self._model_id, body=body, contentType="application/json", accept="application/json"
        )
        payload = json.loads(response["body"].read())
        vector = payload.get("embedding")
        if not isinstance(vector, list) or len(vector) != self._dimensions:
            size = len(vector) if isinstance(vector, list) else None
            raise EmbeddingError(
                f"the embedding model answered with size={size}, expected={self._dimensions}, "
                f"model_id={self._model_id}; check GOVERNED_EMBEDDING_MODEL_ID and _DIMENSIONS"
            )
        return [float(x) for x in vector]
