"""Conversion to and from gensim 4 ``KeyedVectors`` (``pip install 'embedkit[gensim]'``).

The functions build plain arrays/lists; :class:`~embedkit.embeddings.Embeddings` wraps them as
``Embeddings.from_gensim`` and ``Embeddings.to_gensim``.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from embedkit.optional import require

__all__ = ["from_gensim_parts", "to_gensim_keyedvectors"]


def from_gensim_parts(model: Any) -> dict[str, Any]:
    """Vectors, keys, counts and context vectors of a gensim ``KeyedVectors`` or model.

    Parameters
    ----------
    model : gensim.models.KeyedVectors, or a gensim model with a ``wv`` attribute
        With a trained ``Word2Vec`` (negative sampling), its output vectors ``syn1neg`` become
        the context vectors.

    Returns
    -------
    dict
        Keyword arguments ``vectors``, ``index_to_key``, ``counts`` and ``context_vectors``
        for the :class:`~embedkit.embeddings.Embeddings` constructor.

    Raises
    ------
    TypeError
        If ``model`` is neither a ``KeyedVectors`` nor has one as ``wv``.
    """
    kv = getattr(model, "wv", model)
    if not (hasattr(kv, "vectors") and hasattr(kv, "index_to_key")):
        raise TypeError(
            f"expected a gensim KeyedVectors (or a model with .wv), got {type(model).__name__}"
        )
    n = len(kv.index_to_key)
    counts = None
    expandos = getattr(kv, "expandos", {}) or {}
    raw_counts = expandos.get("count")
    if raw_counts is not None and len(raw_counts) == n and np.any(raw_counts):
        counts = np.asarray(raw_counts, dtype=np.int64)
    context = None
    syn1neg = getattr(model, "syn1neg", None) if model is not kv else None
    if syn1neg is not None and getattr(syn1neg, "shape", None) == kv.vectors.shape:
        context = syn1neg
    return {
        "vectors": kv.vectors[:n],
        "index_to_key": list(kv.index_to_key),
        "counts": counts,
        "context_vectors": context,
    }


def to_gensim_keyedvectors(
    vectors: np.ndarray, keys: list[Hashable], counts: np.ndarray | None
) -> Any:
    """A gensim ``KeyedVectors`` holding copies of ``vectors`` for ``keys`` (and counts).

    Raises
    ------
    ImportError
        If gensim is not installed (the message names the extra).
    """
    models = require("gensim.models", "Embeddings.to_gensim()")
    kv = models.KeyedVectors(vectors.shape[1], count=0, dtype=np.float32)
    kv.add_vectors(list(keys), np.array(vectors, dtype=np.float32, copy=True))
    if counts is not None:
        kv.allocate_vecattrs(attrs=["count"], types=[np.int64])
        kv.expandos["count"][:] = counts
    return kv
