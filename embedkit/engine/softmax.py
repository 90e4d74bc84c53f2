"""Full-softmax and NCE skip-gram objectives: baselines next to negative sampling.

Both are window updates of the shared chunk loop (:mod:`embedkit.engine.stream`), so they share
the whole data path: chunks of whole sequences run in parallel with one random stream per
``(seed, epoch, chunk)``; ids < 0 are dropped, tokens are subsampled with ``keep_prob``, the
window is reduced to ``b ~ U{1..window}`` per centre, and the learning rate decays linearly by
raw position. As in the NS kernels the *context* token's input vector v predicts the *centre*
token's output vector u.

* ``"softmax"``: ``log p(c | w) = v_w·u_c - log Σ_j exp(v_w·u_j)``, exact normalisation over
  the whole vocabulary, so one update costs O(|V| d). Gradient ascent step:
  ``g_j = lr (1[j = c] - p_j)``; ``v_w += Σ_j g_j u_j``; ``u_j += g_j v_w``.
* ``"nce"``: noise-contrastive estimation (Gutmann & Hyvärinen 2010; Mnih & Teh 2012) with k
  noise samples from the sampler's base distribution ``P_n`` (the alias table): logits
  ``s(x) = v_w·u_x - log(k P_n(x))``, and the binary logistic loss of NS on them. At the optimum
  ``v_w·u_c = log p(c | w)`` (self-normalised). Noise samples equal to the target are kept (NCE
  counts them); candidate lists, pools and exclusions are rejected because they change the noise
  distribution away from ``P_n``. Negatives are drawn per pair (``shared_negatives`` is ignored).

Statistics follow :data:`embedkit.engine.params.N_STATS`: for softmax ``STAT_LOSS`` is the
cross-entropy ``-log p(c | w)`` and ``STAT_TERMS`` counts pairs (no negative terms).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from embedkit.engine.loss import flush_loss, sigmoid_loss
from embedkit.engine.negatives import alias_draw
from embedkit.engine.params import FASTMATH, STAT_LOSS, STAT_PAIRS, STAT_TERMS
from embedkit.engine.rows import axpy, dot, zero_rows

__all__ = ["softmax_window", "nce_window", "noise_log_kq"]


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False)
def softmax_window(negatives, buf, i, lo, hi, lr, run):
    """Full-softmax updates for centre ``buf[i]`` and each of its contexts."""
    W, C, sc, acc = run.W, run.C, run.scratch, run.acc
    scores = sc.scores
    n_vocab = C.shape[0]
    w = buf[i]
    for j in range(lo, hi):
        if j == i:
            continue
        cw = buf[j]
        acc[STAT_PAIRS] += 1.0
        mx = -np.inf
        for t in range(n_vocab):
            f = np.float64(dot(W, cw, C, t))
            scores[t] = f
            if f > mx:
                mx = f
        z = 0.0
        for t in range(n_vocab):
            e = np.exp(scores[t] - mx)
            scores[t] = e
            z += e
        if run.params.compute_loss:
            acc[STAT_LOSS] += np.log(z) - np.log(scores[w])
            acc[STAT_TERMS] += 1.0
        zero_rows(sc.in_grad)
        for t in range(n_vocab):
            p = scores[t] / z
            g = lr * np.float32((1.0 if t == w else 0.0) - p)
            axpy(g, C, t, sc.in_grad, 0)
            axpy(g, W, cw, C, t)
        axpy(np.float32(1.0), sc.in_grad, 0, W, cw)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, forceinline=True, _nrt=False)
def nce_window(negatives, buf, i, lo, hi, lr, run):
    """NCE updates for centre ``buf[i]``: k noise samples per context, logits less log(k P_n)."""
    W, C, sc, acc = run.W, run.C, run.scratch, run.acc
    targets, gs = sc.targets, sc.gs
    compute_loss = run.params.compute_loss
    n_rows = targets.shape[0]
    targets[0] = buf[i]
    for j in range(lo, hi):
        if j == i:
            continue
        cw = buf[j]
        for t in range(1, n_rows):
            targets[t] = alias_draw(run.tables, run.states, run.slot)
        acc[STAT_PAIRS] += 1.0
        for t in range(n_rows):
            x = targets[t]
            f = dot(W, cw, C, x) - run.noise[x]
            gs[t] = lr * sigmoid_loss(f, 1 if t == 0 else 0, compute_loss, acc)
        flush_loss(compute_loss, acc)
        zero_rows(sc.in_grad)
        for t in range(n_rows):
            axpy(gs[t], C, targets[t], sc.in_grad, 0)
            axpy(gs[t], W, cw, C, targets[t])
        axpy(np.float32(1.0), sc.in_grad, 0, W, cw)


@njit(nogil=True, cache=True, error_model="numpy")
def noise_log_kq(alias_prob, alias_idx, k):
    """``log(k · P_n(x))`` for every id, from a Vose alias table (``-inf`` where P_n = 0)."""
    n = alias_prob.shape[0]
    q = np.zeros(n, dtype=np.float64)
    for j in range(n):
        q[j] += alias_prob[j] / n
        q[alias_idx[j]] += (1.0 - alias_prob[j]) / n
    out = np.empty(n, dtype=np.float32)
    for j in range(n):
        out[j] = np.log(k * q[j]) if q[j] > 0 else -np.inf
    return out
