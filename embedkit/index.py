"""Nearest-neighbour search over embedding vectors by cosine similarity.

Two indexes with the same interface (``query(unit_queries, k, limit=None)`` returning row
indices and cosines, best first):

* :class:`ExactIndex` - brute force as blocked matrix products: many queries are answered at
  once, one ``(queries x rows)`` product per block, with bounded temporary memory. Exact, and
  the right choice for small models and for evaluation workloads with many queries.
* :class:`NNDescentIndex` - an approximate k-NN graph built by ``pynndescent`` (Numba-based like
  embedkit; ``pip install 'embedkit[ann]'``). Orders of magnitude more single queries per second
  on large models, at a recall below 1 that :func:`recall_at_k` measures.

Both work on the raw vector matrix (it may be a read-only memory map) plus its row norms, so
no normalised copy of a large model is needed for exact search.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numba import njit, prange

from embedkit.optional import require

__all__ = [
    "ExactIndex",
    "NNDescentIndex",
    "make_index",
    "recall_at_k",
    "row_norms",
    "scan_top_k",
    "top_k",
]

#: Budget for one block of scores, in float32 entries (64 MiB).
_BLOCK_ENTRIES = 16 << 20


def row_norms(vectors: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """Euclidean norm of each row as float32, with zeros replaced by 1 (so division is safe).

    Computed in chunks of rows, so a memory-mapped matrix is streamed, not copied.

    Examples
    --------
    >>> row_norms(np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float32)).tolist()
    [5.0, 1.0]
    """
    n = vectors.shape[0]
    out = np.empty(n, dtype=np.float32)
    for start in range(0, n, chunk):
        block = np.asarray(vectors[start : start + chunk], dtype=np.float32)
        out[start : start + chunk] = np.sqrt(np.einsum("ij,ij->i", block, block, dtype=np.float64))
    out[out == 0] = 1.0
    return out


def top_k(scores: np.ndarray, k: int, columns: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Best ``k`` entries of each row of ``scores``: (column indices, scores), best first.

    Ties are broken by the lower column index (or the lower entry of ``columns``, the original
    indices of the score columns, when given).

    Examples
    --------
    >>> idx, val = top_k(np.array([[0.1, 0.9, 0.5, 0.9]]), 3)
    >>> idx.tolist(), val.tolist()
    ([[1, 3, 2]], [[0.9, 0.9, 0.5]])
    """
    m, n = scores.shape
    k = min(k, n)
    if columns is None:
        columns = np.broadcast_to(np.arange(n), scores.shape)
    if k < n:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        scores = np.take_along_axis(scores, part, axis=1)
        columns = np.take_along_axis(columns, part, axis=1)
    order = np.lexsort((columns, -scores), axis=-1)
    return np.take_along_axis(columns, order, axis=1), np.take_along_axis(scores, order, axis=1)


@njit(nogil=True, cache=True, parallel=True)
def _scan_top_k(scores: np.ndarray, k: int, out_idx: np.ndarray, out_val: np.ndarray) -> None:
    """Per row, the ``k`` largest scores (lower column first on ties), in one pass."""
    m, n = scores.shape
    for r in prange(m):
        vals = out_val[r]
        idx = out_idx[r]
        filled = 0
        for j in range(n):
            s = scores[r, j]
            if filled == k and not s > vals[k - 1]:
                continue
            p = filled if filled < k else k - 1
            while p > 0 and s > vals[p - 1]:
                if p < k:
                    vals[p] = vals[p - 1]
                    idx[p] = idx[p - 1]
                p -= 1
            vals[p] = s
            idx[p] = j
            if filled < k:
                filled += 1


def scan_top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best ``k`` columns of each row of a float32 score matrix, best first (a Numba scan).

    Same result as :func:`top_k` (ties: lower column first) without sorting or copying the
    rows, which makes exact search over millions of rows several times faster.

    Examples
    --------
    >>> idx, val = scan_top_k(np.array([[0.1, 0.9, 0.5, 0.9]], dtype=np.float32), 3)
    >>> idx.tolist(), val.tolist()
    ([[1, 3, 2]], [[0.8999999761581421, 0.8999999761581421, 0.5]])
    """
    m, n = scores.shape
    k = min(k, n)
    out_idx = np.zeros((m, k), dtype=np.intp)
    out_val = np.full((m, k), -np.inf, dtype=np.float32)
    if k > 0 and m > 0:
        _scan_top_k(np.ascontiguousarray(scores, dtype=np.float32), k, out_idx, out_val)
    return out_idx, out_val


class ExactIndex:
    """Exact cosine search by blocked matrix products.

    Parameters
    ----------
    vectors : ndarray of shape (n, dim)
        Vectors to search (not copied; may be a memory map).
    norms : ndarray of shape (n,), optional
        Their row norms with zeros replaced by 1 (computed if not given).
    block_entries : int, default 16777216
        Largest block of scores computed at once (queries x rows), in float32 entries.

    Examples
    --------
    >>> v = np.array([[1, 0], [1, 1], [0, 1]], dtype=np.float32)
    >>> idx, cos = ExactIndex(v).query(np.array([[1.0, 0.0]], dtype=np.float32), 2)
    >>> idx.tolist(), [round(float(c), 3) for c in cos[0]]
    ([[0, 1]], [1.0, 0.707])
    """

    method = "exact"

    def __init__(
        self,
        vectors: np.ndarray,
        norms: np.ndarray | None = None,
        block_entries: int = _BLOCK_ENTRIES,
    ) -> None:
        self.vectors = vectors
        self.norms = row_norms(vectors) if norms is None else norms
        self.block_entries = int(block_entries)

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def __repr__(self) -> str:
        return f"ExactIndex(n={len(self)})"

    def query(
        self, queries: np.ndarray, k: int, limit: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows with the highest cosine to each (unit-length) query, best first.

        Parameters
        ----------
        queries : ndarray of shape (m, dim)
            Unit-length query vectors.
        k : int
            Neighbours per query (at most the number of candidate rows).
        limit : int, optional
            Only the first ``limit`` rows are candidates.

        Returns
        -------
        indices : ndarray of intp, shape (m, k)
        cosines : ndarray of float32, shape (m, k)
        """
        n = len(self) if limit is None else min(limit, len(self))
        m = queries.shape[0]
        k = min(k, n)
        out_idx = np.empty((m, k), dtype=np.intp)
        out_val = np.empty((m, k), dtype=np.float32)
        if k == 0 or m == 0:
            return out_idx, out_val
        q_block = max(1, min(m, 256))
        r_block = max(k, self.block_entries // q_block)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        for qs in range(0, m, q_block):
            q = queries[qs : qs + q_block]
            best_idx: list[np.ndarray] = []
            best_val: list[np.ndarray] = []
            for rs in range(0, n, r_block):
                re = min(n, rs + r_block)
                scores = q @ np.asarray(self.vectors[rs:re]).T
                scores /= self.norms[rs:re]
                idx, val = scan_top_k(scores, k)
                best_idx.append(idx + rs)
                best_val.append(val)
            if len(best_idx) == 1:
                idx, val = best_idx[0], best_val[0]
            else:
                idx, val = top_k(np.hstack(best_val), k, np.hstack(best_idx))
            out_idx[qs : qs + q_block] = idx
            out_val[qs : qs + q_block] = val
        return out_idx, out_val


class NNDescentIndex:
    """Approximate cosine search on a ``pynndescent`` k-NN graph (``pip install 'embedkit[ann]'``).

    Candidates found by the graph search are re-scored exactly, so the cosines returned are exact;
    only a true neighbour may occasionally be missed (see :func:`recall_at_k`).

    Parameters
    ----------
    vectors : ndarray of shape (n, dim)
        Vectors to index (pynndescent keeps its own normalised copy).
    norms : ndarray of shape (n,), optional
        Row norms with zeros replaced by 1.
    n_neighbors : int, default 30
        Degree of the k-NN graph: higher is slower to build but more accurate.
    epsilon : float, default 0.1
        Search breadth at query time (pynndescent's ``epsilon``): higher is slower but more
        accurate.
    random_state : int, optional
        Seed of the graph construction.
    n_jobs : int, optional
        Threads for the construction (default: all).
    **params
        Passed to :class:`pynndescent.NNDescent`.

    Raises
    ------
    ImportError
        If pynndescent is not installed (the message names the extra).
    """

    method = "pynndescent"

    def __init__(
        self,
        vectors: np.ndarray,
        norms: np.ndarray | None = None,
        *,
        n_neighbors: int = 30,
        epsilon: float = 0.1,
        random_state: int | None = None,
        n_jobs: int | None = None,
        **params: Any,
    ) -> None:
        pynndescent = require("pynndescent", "build_index(method='pynndescent')")
        if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, numbers.Integral):
            raise TypeError(f"n_neighbors must be an int, got {n_neighbors!r}")
        if n_neighbors < 2:
            raise ValueError(f"n_neighbors must be >= 2, got {n_neighbors}")
        if not (isinstance(epsilon, numbers.Real) and 0 <= epsilon < 10):
            raise ValueError(f"epsilon must be a number in [0, 10), got {epsilon!r}")
        if vectors.shape[0] < 2:
            raise ValueError("pynndescent needs at least 2 vectors; use method='exact'")
        self.vectors = vectors
        self.norms = row_norms(vectors) if norms is None else norms
        self.epsilon = float(epsilon)
        self._nnd = pynndescent.NNDescent(
            np.asarray(vectors, dtype=np.float32),
            metric="cosine",
            n_neighbors=int(min(n_neighbors, vectors.shape[0] - 1)),
            random_state=random_state,
            n_jobs=-1 if n_jobs is None else n_jobs,
            **params,
        )
        self._nnd.prepare()

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def __repr__(self) -> str:
        return f"NNDescentIndex(n={len(self)}, epsilon={self.epsilon})"

    def query(
        self, queries: np.ndarray, k: int, limit: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Approximate top-``k`` rows by cosine for unit-length queries, best first.

        Same parameters and results as :meth:`ExactIndex.query`; ``limit`` (a prefix of the
        rows) is answered exactly because the graph covers every row.
        """
        if limit is not None and limit < len(self):
            return ExactIndex(self.vectors, self.norms).query(queries, k, limit)
        k = min(k, len(self))
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if k == 0 or queries.shape[0] == 0:
            return ExactIndex(self.vectors, self.norms).query(queries, k)
        found, _ = self._nnd.query(queries, k=k, epsilon=self.epsilon)
        found = np.asarray(found, dtype=np.intp)
        valid = found >= 0
        rows = np.where(valid, found, 0)
        cos = np.einsum("mkd,md->mk", np.asarray(self.vectors[rows.ravel()]).reshape(
            *rows.shape, -1), queries, dtype=np.float64)
        cos = (cos / self.norms[rows]).astype(np.float32)
        cos[~valid] = -np.inf
        return top_k(cos, k, rows)


def make_index(
    method: str, vectors: np.ndarray, norms: np.ndarray | None = None, **params: Any
) -> ExactIndex | NNDescentIndex:
    """Build an index by name: ``"exact"`` or ``"pynndescent"``.

    Examples
    --------
    >>> make_index("exact", np.eye(3, dtype=np.float32))
    ExactIndex(n=3)
    """
    if method == "exact":
        params.pop("random_state", None)  # accepted for a uniform signature; exact has no
        params.pop("n_jobs", None)  # randomness, and its matrix products use BLAS threads
        block = params.pop("block_entries", _BLOCK_ENTRIES)
        if params:
            raise TypeError(f"unexpected parameters for method='exact': {sorted(params)}")
        return ExactIndex(vectors, norms, block_entries=block)
    if method == "pynndescent":
        return NNDescentIndex(vectors, norms, **params)
    raise ValueError(f"method must be 'exact' or 'pynndescent', got {method!r}")


def recall_at_k(approx: np.ndarray, exact: np.ndarray) -> float:
    """Mean fraction of the exact top-k rows that the approximate top-k rows contain.

    Examples
    --------
    >>> recall_at_k(np.array([[1, 2], [3, 9]]), np.array([[2, 1], [3, 4]]))
    0.75
    """
    approx, exact = np.asarray(approx), np.asarray(exact)
    if approx.shape != exact.shape:
        raise ValueError(f"shapes differ: {approx.shape} vs {exact.shape}")
    hits = sum(len(np.intersect1d(a, e)) for a, e in zip(approx, exact, strict=True))
    return hits / exact.size if exact.size else 1.0

