"""Array-level similarity queries behind :class:`~embedkit.embeddings.Embeddings`.

The functions take the vector matrix (possibly a read-only memory map), its row norms (zeros
replaced by 1, see :func:`embedkit.index.row_norms`) and already resolved unit query vectors
or row numbers, so they never copy or normalise the whole matrix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["closer_rows", "cosines", "cosmul_scores", "odd_one_out", "unit", "weighted_mean"]


def unit(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to unit length as float32 (a zero vector stays zero).

    Examples
    --------
    >>> unit(np.array([3.0, 4.0])).tolist()
    [0.6000000238418579, 0.800000011920929]
    """
    v = np.asarray(vector, dtype=np.float64)
    norm = float(np.sqrt(v @ v))
    return (v / norm if norm > 0 else v).astype(np.float32)


def cosines(vectors: np.ndarray, norms: np.ndarray, target: np.ndarray, limit: int) -> np.ndarray:
    """Cosine of the unit vector ``target`` with each of the first ``limit`` rows (float32).

    Examples
    --------
    >>> v = np.array([[2.0, 0.0], [1.0, 1.0]], dtype=np.float32)
    >>> c = cosines(v, np.array([2.0, 2 ** 0.5], np.float32), unit([1, 0]), 2)
    >>> [round(float(x), 3) for x in c]
    [1.0, 0.707]
    """
    scores = np.asarray(vectors[:limit]) @ target.astype(np.float32)
    scores /= norms[:limit]
    return scores


def cosmul_scores(
    vectors: np.ndarray,
    norms: np.ndarray,
    positive: Sequence[np.ndarray],
    negative: Sequence[np.ndarray],
    limit: int,
    epsilon: float,
) -> np.ndarray:
    """Multiplicative combination (3CosMul generalised, Levy & Goldberg 2014) for every row.

    ``prod_p cos'(x, p) / (prod_n cos'(x, n) + epsilon)`` with ``cos' = (cos + 1) / 2`` in
    ``[0, 1]``; with one positive pair and one negative this is 3CosMul's
    ``cos'(x, b) cos'(x, c) / (cos'(x, a) + epsilon)``.

    Examples
    --------
    >>> v = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    >>> s = cosmul_scores(v, np.ones(2, np.float32), [unit([1, 0])], [unit([0, 1])], 2, 1e-3)
    >>> np.round(s, 3).tolist()
    [1.996, 0.5]
    """
    num = np.ones(limit, dtype=np.float64)
    den = np.ones(limit, dtype=np.float64)
    for term in positive:
        num *= (1.0 + cosines(vectors, norms, term, limit)) / 2.0
    for term in negative:
        den *= (1.0 + cosines(vectors, norms, term, limit)) / 2.0
    if not negative:
        den[:] = 1.0
    return num / (den + epsilon)


def weighted_mean(
    rows: Sequence[np.ndarray], weights: np.ndarray, post_normalize: bool
) -> np.ndarray:
    """``sum(w_i * row_i) / sum(|w_i|)`` as float32, optionally scaled to unit length.

    Examples
    --------
    >>> weighted_mean([np.array([1.0, 0.0]), np.array([0.0, 1.0])], np.array([1.0, -1.0]),
    ...               False).tolist()
    [0.5, -0.5]
    """
    total = np.zeros(rows[0].shape[0], dtype=np.float64)
    for w, row in zip(weights, rows, strict=True):
        total += float(w) * np.asarray(row, dtype=np.float64)
    scale = float(np.abs(weights).sum())
    if scale > 0:
        total /= scale
    return unit(total) if post_normalize else total.astype(np.float32)


def odd_one_out(unit_rows: np.ndarray) -> int:
    """Position of the row least similar to the normalised mean of all (unit) rows.

    Examples
    --------
    >>> odd_one_out(np.array([[1, 0], [0.9, 0.1], [0, 1]], dtype=np.float32))
    2
    """
    centre = unit(unit_rows.astype(np.float64).mean(axis=0))
    return int(np.argmin(unit_rows @ centre))


def closer_rows(vectors: np.ndarray, norms: np.ndarray, a: int, b: int) -> np.ndarray:
    """Rows (ascending, ``a`` excluded) whose cosine with row ``a`` exceeds that of row ``b``.

    Examples
    --------
    >>> v = np.array([[1, 0], [0.9, 0.1], [0.5, 0.5], [0, 1]], dtype=np.float32)
    >>> closer_rows(v, np.linalg.norm(v, axis=1).astype(np.float32), 0, 2).tolist()
    [1]
    """
    target = np.asarray(vectors[a], dtype=np.float32) / norms[a]
    scores = cosines(vectors, norms, target, vectors.shape[0])
    found = np.flatnonzero(scores > scores[b])
    return found[found != a]
