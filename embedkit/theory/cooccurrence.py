"""Co-occurrence counts #(w, c) with exactly the engine's window semantics, in expectation.

The engine (:mod:`embedkit.engine.stream`) trains, per sequence: drop ids < 0; keep each remaining
token independently with probability ``keep_prob[id]`` (subsampling); then for every kept centre
draw ``eff`` uniformly from ``1..window`` (``shrink_window``) and train each (context, centre)
pair of kept tokens at most ``eff`` apart, the *context's* input vector v against the *centre's*
output vector u.

:func:`cooccurrence_matrix` returns the **expected** number of such training pairs per epoch,
``E[#(w, c)]`` with ``w`` the input-vector token and ``c`` the output-vector token, computed
exactly rather than by sampling:

* dynamic window: a pair at (kept) distance ``d`` is trained from a centre with probability
  ``P(eff >= d) = (window - d + 1) / window``;
* subsampling (``subsampling="dirty"``, the engine's semantics, as in word2vec.c): removed tokens
  close the gap, so two tokens ``r`` positions apart in the raw sequence end up at kept distance
  ``d = 1 + M`` where ``M`` is the number of kept tokens between them (a Poisson-binomial
  variable). The weight of the raw pair is
  ``keep[p] * keep[q] * sum_m P(M = m) * P(eff >= m + 1)``, computed by a small dynamic
  programme over the tokens in between (Levy, Goldberg & Dagan 2015 call this "dirty"
  subsampling);
* ``subsampling="clean"`` keeps raw distances (removed tokens leave holes):
  ``keep[p] * keep[q] * P(eff >= q - p)``; ``subsampling="off"`` ignores ``keep_prob``.

Each (p, q) pair contributes the same weight in both directions (each token is once the centre
and once the context, and both draw their own window), so the matrix is symmetric.

Counting streams the generator batch by batch: a Numba kernel writes weighted (row, col) triples
into a fixed buffer that is summed into a CSR matrix whenever it fills, so memory is bounded by the
buffer plus the number of distinct pairs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from numba import njit

from embedkit.contexts.base import ContextGenerator
from embedkit.vocab import Vocab

__all__ = ["cooccurrence_matrix", "window_weights", "SUBSAMPLING_MODES"]

SUBSAMPLING_MODES = ("dirty", "clean", "off")


def window_weights(window: int, shrink_window: bool = True) -> np.ndarray:
    """Probability that a pair at kept distance ``d`` is trained, for ``d = 0..window``.

    ``(window - d + 1) / window`` with the dynamic window, 1 without; entry 0 is unused (0).

    Examples
    --------
    >>> window_weights(4).tolist()
    [0.0, 1.0, 0.75, 0.5, 0.25]
    """
    if not isinstance(window, (int, np.integer)) or isinstance(window, bool) or window < 1:
        raise ValueError(f"window must be a positive int, got {window!r}")
    d = np.arange(window + 1, dtype=np.float64)
    w = (window - d + 1) / window if shrink_window else np.ones(window + 1)
    w[0] = 0.0
    return w


class CountRule(NamedTuple):
    """How pairs are weighted: keep probabilities, distance weights and the cut-offs."""

    keep: np.ndarray  # float64 (n,) keep probability of each id
    wts: np.ndarray  # float64 (window + 1,) weight of each distance (wts[0] = 0)
    dirty: bool  # dropped tokens shrink the window (word2vec's subsampling) or not
    max_distance: int
    tol: float


class PairBuffers(NamedTuple):
    """Output triples ``(rows, cols, vals)`` and the scratch arrays of one batch."""

    rows: np.ndarray  # int32
    cols: np.ndarray  # int32
    vals: np.ndarray  # float64
    buf: np.ndarray  # int32 (longest sequence,)
    dist: np.ndarray  # float64 (window,)
    new: np.ndarray  # float64 (window,)


@njit(nogil=True, cache=True)
def _count_batch(ids, offsets, s_start, p_start, rule, out):
    """Append weighted (p, q) pairs (p < q) of sequences ``s_start..`` to the buffers.

    Returns ``(s, p, n)``: where to resume (``s == n_seq`` when done) and entries written.
    """
    keep, wts, dirty = rule.keep, rule.wts, rule.dirty
    max_distance, tol = rule.max_distance, rule.tol
    rows, cols, vals = out.rows, out.cols, out.vals
    buf, dist, new = out.buf, out.dist, out.new
    window = wts.shape[0] - 1
    cap = rows.shape[0]
    nw = 0
    n_seq = offsets.shape[0] - 1
    p0 = p_start
    for s in range(s_start, n_seq):
        n = 0
        for i in range(offsets[s], offsets[s + 1]):
            if ids[i] >= 0:
                buf[n] = ids[i]
                n += 1
        for p in range(p0, n):
            need = min(n - p - 1, max_distance)
            if cap - nw < need:
                return s, p, nw
            kp = keep[buf[p]]
            if kp <= 0.0:
                continue
            # dist[m] = P(m kept tokens strictly between p and q), m < window
            for m in range(window):
                dist[m] = 0.0
            dist[0] = 1.0
            for q in range(p + 1, min(n, p + 1 + max_distance)):
                kq = keep[buf[q]]
                acc = 0.0
                for m in range(window):
                    acc += dist[m] * wts[m + 1]
                x = kp * kq * acc
                if x > 0.0:
                    rows[nw] = buf[p]
                    cols[nw] = buf[q]
                    vals[nw] = x
                    nw += 1
                # q becomes an in-between token for the next q
                stay = kq if dirty else 1.0
                mass = 0.0
                new[0] = dist[0] * (1.0 - stay)
                for m in range(1, window):
                    new[m] = dist[m] * (1.0 - stay) + dist[m - 1] * stay
                for m in range(window):
                    dist[m] = new[m]
                    mass += new[m]
                if mass <= tol:
                    break
        p0 = 0
    return n_seq, 0, nw


def cooccurrence_matrix(
    generator: ContextGenerator,
    vocab: Vocab,
    *,
    window: int = 5,
    shrink_window: bool = True,
    subsampling: str = "dirty",
    epochs: int = 1,
    seed: int = 0,
    max_distance: int | None = None,
    tol: float = 1e-12,
    buffer_pairs: int = 4_000_000,
) -> sp.csr_matrix:
    """Expected training-pair counts ``#(w, c)`` of the SGNS engine, as a sparse matrix.

    Parameters
    ----------
    generator : ContextGenerator
        Any context generator (text, walks, k-mers): only ``batches(vocab, epoch=, seed=)`` is
        used, so the same sequences the engine would see are counted.
    vocab : Vocab
        The vocabulary; ``vocab.keep_prob`` gives the subsampling probabilities.
    window : int, default 5
    shrink_window : bool, default True
        Weight distance ``d`` by ``(window - d + 1) / window`` (the engine's dynamic window).
    subsampling : {"dirty", "clean", "off"}, default "dirty"
        ``"dirty"``: the engine's semantics (removed tokens close the gap), exact expectation.
        ``"clean"``: removed tokens leave holes. ``"off"``: ignore ``keep_prob``.
    epochs : int, default 1
        Epochs to stream and sum (matters for generators whose epochs differ, e.g. walks).
    seed : int, default 0
        Passed to ``generator.batches`` (the walk seed, for instance).
    max_distance : int, optional
        Largest raw distance scanned. With dirty subsampling a pair far apart in the raw text can
        still be trained when frequent tokens between them are dropped; by default the scan goes
        on until the probability of being within the window is at most ``tol``.
    tol : float, default 1e-12
        Stop scanning once ``P(kept distance <= window) <= tol``.
    buffer_pairs : int, default 4_000_000
        Triples buffered before summing into the CSR result (bounds the memory).

    Returns
    -------
    scipy.sparse.csr_matrix of float64, shape (len(vocab), len(vocab))
        Row = input-vector (v) token, column = output-vector (u) token; symmetric.

    Examples
    --------
    >>> from embedkit.contexts.text import TextCorpus
    >>> corpus = TextCorpus([["a", "b", "c"]])
    >>> vocab = corpus.build_vocab(min_count=1, max_vocab_size=None, subsample=0.0)
    >>> cooccurrence_matrix(corpus, vocab, window=2).toarray().tolist()
    [[0.0, 1.0, 0.5], [1.0, 0.0, 1.0], [0.5, 1.0, 0.0]]
    """
    window_w = window_weights(window, shrink_window)
    if subsampling not in SUBSAMPLING_MODES:
        raise ValueError(f"subsampling must be one of {SUBSAMPLING_MODES}, got {subsampling!r}")
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if max_distance is not None and (not isinstance(max_distance, (int, np.integer))
                                     or max_distance < 1):
        raise ValueError(f"max_distance must be a positive int or None, got {max_distance!r}")
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab must be a Vocab, got {type(vocab).__name__}")
    n = len(vocab)
    keep = np.asarray(vocab.keep_prob, dtype=np.float32).astype(np.float64)
    if subsampling == "off":
        keep = np.ones(n, dtype=np.float64)
    dirty = subsampling == "dirty"
    if not dirty and max_distance is None:
        max_distance = window  # without gap closing nothing beyond the window is trained
    limit = 2**40 if max_distance is None else int(max_distance)
    cap = max(int(buffer_pairs), 1)
    rows = np.empty(cap, dtype=np.int32)
    cols = np.empty(cap, dtype=np.int32)
    vals = np.empty(cap, dtype=np.float64)
    dist = np.empty(window, dtype=np.float64)
    new = np.empty(window, dtype=np.float64)
    total = sp.csr_matrix((n, n), dtype=np.float64)

    def flush(m: int) -> None:
        nonlocal total
        if m:
            part = sp.coo_matrix((vals[:m], (rows[:m], cols[:m])), shape=(n, n)).tocsr()
            total = total + part

    rule = CountRule(keep, window_w, bool(dirty), int(limit), float(tol))
    for epoch in range(epochs):
        for batch in generator.batches(vocab, epoch=epoch, seed=seed):
            ids = np.ascontiguousarray(batch.ids, dtype=np.int32)
            offsets = np.ascontiguousarray(batch.offsets, dtype=np.int64)
            if ids.size == 0:
                continue
            if ids.max() >= n:
                raise ValueError(f"batch holds id {int(ids.max())} >= vocabulary size {n}")
            longest = int(np.diff(offsets).max())
            if longest > rows.shape[0]:  # one position may emit up to `longest` triples
                flush(0)
                rows = np.empty(longest, dtype=np.int32)
                cols = np.empty(longest, dtype=np.int32)
                vals = np.empty(longest, dtype=np.float64)
            buf = np.empty(longest, dtype=np.int32)
            s, p = 0, 0
            n_seq = offsets.size - 1
            while s < n_seq:
                s, p, m = _count_batch(ids, offsets, s, p, rule,
                                       PairBuffers(rows, cols, vals, buf, dist, new))
                flush(m)
    total.sum_duplicates()
    return (total + total.T).tocsr()
