"""PMI, PPMI and shifted PPMI from a co-occurrence matrix, with context-distribution smoothing.

``PMI_α(w, c) = log( #(w,c) · D / (#w · D · P_α(c)) )`` where ``D = Σ #(w,c)``, ``#w`` is the
row sum and ``P_α(c) = #c^α / Σ_c' #c'^α`` (Levy, Goldberg & Dagan 2015; α = 1 is plain PMI).
``#c`` defaults to the column sums; pass ``context_counts`` to use another context distribution,
e.g. the vocabulary counts that a unigram^α negative sampler draws from, which is the
distribution SGNS actually shifts by (Levy & Goldberg 2014: ``v·u ≈ PMI - log k``).

PMI is only defined on observed pairs (it is ``-inf`` elsewhere), so the sparse result stores
exactly the observed pairs. ``PPMI = max(PMI, 0)`` and ``SPPMI_k = max(PMI - log k, 0)`` drop the
non-positive entries and are truly sparse.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["context_distribution", "pmi_matrix", "ppmi_matrix", "sppmi_matrix"]


def _as_csr(counts) -> sp.csr_matrix:
    if sp.issparse(counts):
        m = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    else:
        a = np.asarray(counts, dtype=np.float64)
        if a.ndim != 2:
            raise ValueError(f"counts must be a 2-D matrix, got shape {a.shape}")
        m = sp.csr_matrix(a)
    if m.shape[0] != m.shape[1]:
        raise ValueError(f"counts must be square (vocab x vocab), got shape {m.shape}")
    m.sum_duplicates()
    m.eliminate_zeros()
    if m.nnz and (not np.all(np.isfinite(m.data)) or m.data.min() < 0):
        raise ValueError("counts must be finite and non-negative")
    if m.nnz == 0:
        raise ValueError("counts has no observed pairs")
    return m


def context_distribution(counts, alpha: float = 1.0, context_counts=None) -> np.ndarray:
    """``P_α(c) ∝ #c^α`` from column sums of ``counts`` (or from ``context_counts``).

    Examples
    --------
    >>> context_distribution(np.array([[0, 1], [3, 0]]), alpha=1.0).tolist()
    [0.75, 0.25]
    """
    if not np.isfinite(alpha):
        raise ValueError(f"alpha must be finite, got {alpha}")
    if context_counts is None:
        m = _as_csr(counts)
        c = np.asarray(m.sum(axis=0)).ravel()
    else:
        c = np.asarray(context_counts, dtype=np.float64).ravel()
        n = counts.shape[1]
        if c.size != n:
            raise ValueError(f"context_counts has {c.size} entries, the matrix has {n} columns")
        if np.any(c < 0) or not np.all(np.isfinite(c)):
            raise ValueError("context_counts must be finite and non-negative")
    p = np.zeros_like(c)
    pos = c > 0
    p[pos] = c[pos] ** alpha
    s = p.sum()
    if s <= 0:
        raise ValueError("the context distribution is empty (all counts are zero)")
    return p / s


def pmi_matrix(counts, *, alpha: float = 1.0, context_counts=None, shift: float = 1.0,
               dense: bool = False):
    """``PMI_α(w, c) - log(shift)`` on the observed pairs.

    Parameters
    ----------
    counts : array-like or scipy.sparse matrix (n, n)
        Co-occurrence counts, row = word w, column = context c (e.g. from
        :func:`~embedkit.theory.cooccurrence_matrix`).
    alpha : float, default 1.0
        Context-distribution smoothing exponent.
    context_counts : array-like (n,), optional
        Use these instead of the column sums as ``#c``.
    shift : float, default 1.0
        Subtract ``log(shift)`` (``shift = k`` gives the SGNS target ``PMI - log k``).
    dense : bool, default False
        Return a dense array with ``-inf`` at unobserved pairs instead of a sparse matrix.

    Returns
    -------
    scipy.sparse.csr_matrix or ndarray of float64
        Sparse: one stored entry per observed pair (stored zeros are kept: a PMI of exactly 0 is
        an observation, not a missing pair).

    Examples
    --------
    >>> m = pmi_matrix(np.array([[2.0, 1.0], [1.0, 0.0]]), dense=True)
    >>> np.round(m, 3).tolist()
    [[-0.118, 0.288], [0.288, -inf]]
    """
    m = _as_csr(counts)
    if shift <= 0:
        raise ValueError(f"shift must be > 0, got {shift}")
    row = np.asarray(m.sum(axis=1)).ravel()
    pc = context_distribution(m, alpha, context_counts)
    r = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    c = m.indices
    if np.any(pc[c] <= 0):
        raise ValueError("context_counts is zero for a context that occurs in counts")
    # log( (#wc / D) / ((#w / D) * P_a(c)) ) = log #wc - log #w - log P_a(c)
    vals = np.log(m.data) - np.log(row[r]) - np.log(pc[c]) - np.log(shift)
    if dense:
        out = np.full(m.shape, -np.inf)
        out[r, c] = vals
        return out
    return sp.csr_matrix((vals, m.indices.copy(), m.indptr.copy()), shape=m.shape)


def ppmi_matrix(counts, *, alpha: float = 1.0, context_counts=None, k: float = 1.0,
                dense: bool = False):
    """Positive (shifted) PMI: ``max(PMI_α(w, c) - log k, 0)``; zero at unobserved pairs.

    Examples
    --------
    >>> np.round(ppmi_matrix(np.array([[2.0, 1.0], [1.0, 0.0]])).toarray(), 3).tolist()
    [[0.0, 0.288], [0.288, 0.0]]
    """
    p = pmi_matrix(counts, alpha=alpha, context_counts=context_counts, shift=k)
    p.data = np.maximum(p.data, 0.0)
    p.eliminate_zeros()
    return p.toarray() if dense else p


def sppmi_matrix(counts, k: float, *, alpha: float = 1.0, context_counts=None,
                 dense: bool = False):
    """Shifted PPMI ``max(PMI_α - log k, 0)`` (Levy & Goldberg 2014), the SGNS analogue.

    Examples
    --------
    >>> sppmi_matrix(np.array([[2.0, 1.0], [1.0, 0.0]]), k=2).nnz
    0
    """
    return ppmi_matrix(counts, alpha=alpha, context_counts=context_counts, k=k, dense=dense)
