"""Helpers shared by the graph evaluations (node classification, link prediction)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["require_sklearn", "vectors_of"]


def require_sklearn():
    """Raise an ImportError that says how to install scikit-learn when it is missing."""
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "graph evaluation needs scikit-learn: pip install 'embedkit[eval]'"
        ) from exc


def vectors_of(embeddings: Any):
    """(key_to_index, matrix) from an Embeddings, a fitted model or a {key: vector} mapping."""
    emb = getattr(embeddings, "embeddings_", embeddings)
    if hasattr(emb, "key_to_index") and hasattr(emb, "vectors"):
        return emb.key_to_index, np.asarray(emb.vectors)
    if isinstance(emb, Mapping):
        keys = list(emb)
        return {k: i for i, k in enumerate(keys)}, np.asarray([emb[k] for k in keys], float)
    raise TypeError(
        "embeddings must be an Embeddings object, a fitted model with embeddings_, or a "
        f"mapping node -> vector, got {type(embeddings).__name__}"
    )
