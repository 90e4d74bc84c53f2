"""Truncated SVD embeddings of a (shifted) PPMI matrix (Levy, Goldberg & Dagan 2015).

``M ≈ U_d Σ_d V_dᵀ``; word vectors ``W = U_d Σ_d^p`` with eigenvalue weighting ``p``
(1: the classic factorisation, 0.5: symmetric, 0: drop the singular values, often best on
similarity tasks). Context vectors ``C = V_d Σ_d^(1-p)`` so that ``W·Cᵀ`` is always the rank-d
approximation of ``M`` and the implicit-matrix tools apply to SVD embeddings unchanged.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from embedkit.embeddings import Embeddings
from embedkit.vocab import Vocab

__all__ = ["svd_embeddings", "truncated_svd"]


def truncated_svd(matrix, dim: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``dim`` largest singular triplets, sorted descending, with deterministic signs.

    Uses ``scipy.sparse.linalg.svds`` (ARPACK, start vector from ``seed``) and falls back to a
    dense ``numpy.linalg.svd`` when ``dim >= min(matrix.shape) - 1`` (ARPACK's limit).
    Each singular vector pair is flipped so that the largest-magnitude entry of ``u`` is positive.

    Examples
    --------
    >>> u, s, vt = truncated_svd(np.diag([3.0, 1.0, 2.0]), 2)
    >>> s.tolist()
    [3.0, 2.0]
    """
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or dim < 1:
        raise ValueError(f"dim must be a positive int, got {dim!r}")
    n_small = min(matrix.shape)
    if dim > n_small:
        raise ValueError(f"dim={dim} exceeds the matrix rank bound min(shape)={n_small}")
    if dim >= n_small - 1:
        dense = matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix, dtype=np.float64)
        u, s, vt = np.linalg.svd(dense, full_matrices=False)
        u, s, vt = u[:, :dim], s[:dim], vt[:dim]
    else:
        m = sp.csr_matrix(matrix, dtype=np.float64)
        v0 = np.random.default_rng(seed).uniform(-1, 1, n_small)
        u, s, vt = svds(m, k=dim, v0=v0 if m.shape[0] >= m.shape[1] else None,
                        random_state=seed)
        order = np.argsort(-s)
        u, s, vt = u[:, order], s[order], vt[order]
    big = np.argmax(np.abs(u), axis=0)
    signs = np.sign(u[big, np.arange(u.shape[1])])
    signs[signs == 0] = 1.0
    return u * signs, s, vt * signs[:, None]


def svd_embeddings(
    matrix,
    keys: Vocab | Sequence[Hashable],
    dim: int = 100,
    *,
    eig_weight: float = 0.5,
    seed: int = 0,
    svd: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> Embeddings:
    """Embeddings from a truncated SVD of ``matrix`` (typically SPPMI).

    Parameters
    ----------
    matrix : scipy.sparse matrix or ndarray (n, n)
        E.g. ``sppmi_matrix(cooccurrence_matrix(...), k=5)``.
    keys : Vocab or sequence of hashable
        Key of each row (a Vocab also provides the counts).
    dim : int, default 100
    eig_weight : float, default 0.5
        The exponent ``p`` in ``W = U Σ^p`` (commonly 0, 0.5 or 1).
    seed : int, default 0
        Start vector of ARPACK (results are deterministic for a given seed).
    svd : (u, s, vt), optional
        A precomputed :func:`truncated_svd` of ``matrix`` (to try several ``eig_weight``
        without factorising again); ``dim`` is then ``len(s)``.

    Returns
    -------
    Embeddings
        ``vectors = U Σ^p``, ``context_vectors = V Σ^(1-p)``.

    Examples
    --------
    >>> m = np.array([[0.0, 2.0, 1.0], [2.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    >>> emb = svd_embeddings(m, ["a", "b", "c"], dim=2, eig_weight=1.0)
    >>> np.allclose(emb.vectors @ emb.context_vectors.T, m, atol=1e-5)
    True
    """
    if not np.isfinite(eig_weight):
        raise ValueError(f"eig_weight must be finite, got {eig_weight}")
    if isinstance(keys, Vocab):
        index_to_key, counts = keys.index_to_key, keys.counts
    else:
        index_to_key, counts = list(keys), None
    if matrix.shape[0] != len(index_to_key):
        raise ValueError(f"matrix has {matrix.shape[0]} rows but {len(index_to_key)} keys given")
    if svd is None:
        u, s, vt = truncated_svd(matrix, dim, seed=seed)
    else:
        u, s, vt = (np.asarray(a, dtype=np.float64) for a in svd)
        if u.shape[0] != matrix.shape[0] or vt.shape[1] != matrix.shape[1] or \
                not (u.shape[1] == s.size == vt.shape[0]):
            raise ValueError("svd must be (u, s, vt) of matrix, as from truncated_svd")
    with np.errstate(divide="ignore"):
        s_w = np.where(s > 0, s ** eig_weight, 0.0)
        s_c = np.where(s > 0, s ** (1.0 - eig_weight), 0.0)
    return Embeddings(u * s_w, index_to_key, context_vectors=vt.T * s_c, counts=counts)
