"""Does SGNS factorise the shifted PMI matrix?  ``v_w·u_c ≈ PMI(w, c) - log k``.

Levy & Goldberg (2014): with enough dimensions, SGNS with k negatives drawn from ``P_n`` is
optimised, pair by pair, at ``v_w·u_c = log( #(w,c) / (#w · P_n(c)) ) - log k``: the PMI with
the *noise* distribution as context marginal, shifted by ``log k``. With unigram^α negatives the
context distribution is the α-smoothed unigram (Levy, Goldberg & Dagan 2015).

In the engine a training pair is (context token's input vector v, centre token's output vector
u), and the negatives replace the centre; so for ``W·Cᵀ`` the row is the v-token, the column the
u-token, exactly the orientation of :func:`~embedkit.theory.cooccurrence_matrix`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from embedkit.embeddings import Embeddings
from embedkit.theory.pmi import pmi_matrix

__all__ = [
    "ImplicitReport",
    "implicit_pairs",
    "implicit_matrix_report",
    "implicit_spectrum",
    "compare_spectra",
]


def _wc(model) -> tuple[np.ndarray, np.ndarray]:
    emb = getattr(model, "embeddings_", model)
    if isinstance(emb, tuple) and len(emb) == 2:
        W, C = emb
    elif isinstance(emb, Embeddings):
        W, C = emb.vectors, emb.context_vectors
        if C is None:
            raise ValueError("these embeddings have no context_vectors; keep them when training")
    else:
        raise TypeError(
            "model must be Embeddings with context vectors, a fitted estimator, or (W, C), "
            f"got {type(model).__name__}"
        )
    W = np.asarray(W, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    if W.shape != C.shape or W.ndim != 2:
        raise ValueError(f"W and C must have the same 2-D shape, got {W.shape} and {C.shape}")
    return W, C


def implicit_pairs(model, counts, *, k: float, alpha: float = 1.0, context_counts=None,
                   min_count: float = 0.0, skip_equal_negatives: bool = False) -> pd.DataFrame:
    """One row per observed pair: count, ``PMI_α - log k`` (``target``) and ``v·u`` (``dot``).

    Parameters
    ----------
    model : Embeddings, fitted estimator, or (W, C)
        Rows in the same id order as ``counts``.
    counts : sparse or dense (n, n)
        Co-occurrence counts (row = v-token, column = u-token).
    k : float
        Negatives per positive.
    alpha : float, default 1.0
        Smoothing exponent of the context (= noise) distribution.
    context_counts : array-like (n,), optional
        Counts the noise distribution is built from (e.g. ``vocab.counts`` for the engine's
        unigram^α sampler). Default: the column sums of ``counts``.
    min_count : float, default 0
        Keep only pairs with at least this (expected) count.
    skip_equal_negatives : bool, default False
        The engine (like word2vec.c) skips a negative equal to the positive target, so the
        negatives of cell (w, c) come only from w's other pairs and the optimum is
        ``log(#wc / (k P_n(c) (#w - #wc)))``. True uses this exact target; False the textbook
        ``PMI - log k`` (they differ by ``-log(1 - #wc/#w)``, visible for very frequent pairs).

    Returns
    -------
    pandas.DataFrame
        Columns ``w``, ``c``, ``count``, ``pmi``, ``target``, ``dot``, ``error`` (= dot - target).

    Examples
    --------
    >>> W = np.array([[1.0, 0.0], [0.0, 1.0]]); C = W.copy()
    >>> implicit_pairs((W, C), np.array([[3.0, 1.0], [1.0, 3.0]]), k=1).shape
    (4, 7)
    """
    W, C = _wc(model)
    pmi = pmi_matrix(counts, alpha=alpha, context_counts=context_counts).tocoo()
    cnt = sp.csr_matrix(counts, dtype=np.float64)
    cnt.sum_duplicates()
    if W.shape[0] != pmi.shape[0]:
        raise ValueError(f"model has {W.shape[0]} rows, counts has {pmi.shape[0]}")
    r, c = pmi.row, pmi.col
    df = pd.DataFrame({
        "w": r, "c": c,
        "count": np.asarray(cnt[r, c]).ravel(),
        "pmi": pmi.data,
    })
    df["target"] = df["pmi"] - np.log(k)
    if skip_equal_negatives:
        row = np.asarray(cnt.sum(axis=1)).ravel()[r]
        with np.errstate(divide="ignore"):
            df["target"] += np.log(row) - np.log(row - df["count"].to_numpy())
    df["dot"] = np.einsum("ij,ij->i", W[r], C[c])
    df["error"] = df["dot"] - df["target"]
    df = df[df["count"] >= min_count].reset_index(drop=True)
    return df


@dataclass(frozen=True)
class ImplicitReport:
    """How well ``W·Cᵀ`` matches ``PMI_α - log k`` on observed pairs.

    Attributes
    ----------
    k, alpha : float
    n_pairs : int
        Pairs compared.
    pearson, spearman : float
        Correlation of ``v·u`` with ``PMI - log k``.
    mean_error : float
        Mean of ``v·u - (PMI - log k)``; 0 if the shift is exactly ``log k``.
    mean_abs_error, rmse : float
    offset : float
        Mean of ``PMI - v·u``: the shift SGNS actually applied (``log k`` in theory).
    by_frequency : pandas.DataFrame
        Errors and correlations per pair-frequency bin (quantile bins of the count).
    """

    k: float
    alpha: float
    n_pairs: int
    pearson: float
    spearman: float
    mean_error: float
    mean_abs_error: float
    rmse: float
    offset: float
    by_frequency: pd.DataFrame


def _corr(x, y, fn) -> float:
    if len(x) < 2 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(fn(x, y)[0])


def implicit_matrix_report(model, counts, *, k: float, alpha: float = 1.0,
                           context_counts=None, min_count: float = 0.0,
                           skip_equal_negatives: bool = False,
                           n_bins: int = 5) -> ImplicitReport:
    """Compare a trained model's ``v·u`` with ``PMI_α - log k`` over observed pairs.

    Parameters are those of :func:`implicit_pairs`; ``n_bins`` quantile bins of pair count.

    Examples
    --------
    >>> W = np.array([[1.0, 0.0], [0.0, 1.0]]); C = W.copy()
    >>> rep = implicit_matrix_report((W, C), np.array([[3.0, 1.0], [1.0, 3.0]]), k=1, n_bins=2)
    >>> round(rep.pearson, 3)
    1.0
    """
    df = implicit_pairs(model, counts, k=k, alpha=alpha, context_counts=context_counts,
                        min_count=min_count, skip_equal_negatives=skip_equal_negatives)
    df = df[np.isfinite(df["target"])].copy()
    if len(df) == 0:
        raise ValueError("no observed pair reaches min_count")
    x, y = df["target"].to_numpy(), df["dot"].to_numpy()
    err = df["error"].to_numpy()
    q = min(n_bins, df["count"].nunique())
    df["bin"] = pd.qcut(df["count"].rank(method="first"), q=max(q, 1), labels=False)
    rows = []
    for b, g in df.groupby("bin", sort=True):
        rows.append({
            "bin": int(b), "min_count": g["count"].min(), "max_count": g["count"].max(),
            "n_pairs": len(g), "mean_error": g["error"].mean(),
            "mean_abs_error": g["error"].abs().mean(),
            "pearson": _corr(g["target"].to_numpy(), g["dot"].to_numpy(), stats.pearsonr),
        })
    return ImplicitReport(
        k=float(k), alpha=float(alpha), n_pairs=len(df),
        pearson=_corr(x, y, stats.pearsonr), spearman=_corr(x, y, stats.spearmanr),
        mean_error=float(err.mean()), mean_abs_error=float(np.abs(err).mean()),
        rmse=float(np.sqrt(np.mean(err ** 2))), offset=float((df["pmi"] - df["dot"]).mean()),
        by_frequency=pd.DataFrame(rows),
    )


def implicit_spectrum(model, top: int | None = None) -> np.ndarray:
    """Singular values of the implicit matrix ``W·Cᵀ`` (descending), without forming it.

    ``W = Q_w R_w``, ``C = Q_c R_c`` (thin QR), so ``W·Cᵀ = Q_w (R_w R_cᵀ) Q_cᵀ`` has the singular
    values of the small ``d x d`` matrix ``R_w R_cᵀ``.

    Examples
    --------
    >>> W = np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    >>> implicit_spectrum((W, W)).round(6).tolist()
    [4.0, 1.0]
    """
    W, C = _wc(model)
    rw = np.linalg.qr(W, mode="r")
    rc = np.linalg.qr(C, mode="r")
    s = np.linalg.svd(rw @ rc.T, compute_uv=False)
    return s if top is None else s[:top]


def compare_spectra(models: dict, top: int | None = None, normalise: bool = False
                    ) -> pd.DataFrame:
    """Spectra of several models side by side: one column per name, one row per rank.

    ``normalise=True`` divides each spectrum by its largest singular value.

    Examples
    --------
    >>> W = np.eye(2)
    >>> compare_spectra({"a": (W, W), "b": (2 * W, W)}).to_numpy().tolist()
    [[1.0, 2.0], [1.0, 2.0]]
    """
    cols = {}
    for name, m in models.items():
        s = implicit_spectrum(m, top)
        cols[name] = s / s[0] if normalise and s[0] > 0 else s
    out = pd.DataFrame(cols)
    out.index.name = "rank"
    return out
