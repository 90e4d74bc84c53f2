"""The SGNS loss and its gradient scales: exact, numerically stable, vectorisable.

The loss of a term is ``-log q`` with ``q = sigmoid(+-f)`` the probability of the right label.
The ``q`` of a chunk's terms are multiplied in float64 and one ``log`` is taken only when the
product nears float64's range, instead of one ``log`` per term.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from embedkit.engine.intrinsics import float32_from_bits
from embedkit.engine.params import (
    FASTMATH,
    LANE_GRAD,
    LANE_LABEL,
    LANE_Q,
    LANE_SCORE,
    LANE_SIG,
    LANE_WEIGHT,
    N_LANES,
    STAT_LOSS,
    STAT_NEG_SIGMOID,
    STAT_PROD,
    STAT_TERMS,
)

__all__ = ["exp_nonpos", "label_probability", "sigmoid_loss", "flush_loss", "loss_term",
           "loss_commit", "gradient_scales", "set_lanes", "lane_gradients", "lane_loss"]


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def exp_nonpos(x):
    """``exp(x)`` for float32 ``x <= 0``, within 2 ulp; below -87.33 it returns exp(-87.33).

    A polynomial instead of a call to libm's ``expf``, so that loops over several scores
    vectorise: ``x = n ln2 + r`` with ``|r| <= ln2 / 2`` (the reduction in float64, which
    fast-math reassociation cannot spoil), a degree-7 Taylor polynomial for ``exp(r)``
    (truncation error below 5e-9), times ``2**n`` built from its bit pattern. The clamp keeps
    ``2**n`` a normal float32; :func:`label_probability` needs nothing smaller.
    """
    x = max(x, np.float32(-87.33))
    n = np.floor(x * np.float32(1.4426950408889634) + np.float32(0.5))
    r = np.float32(np.float64(x) - np.float64(n) * 0.6931471805599453)
    p = np.float32(1.0 / 5040.0)
    p = p * r + np.float32(1.0 / 720.0)
    p = p * r + np.float32(1.0 / 120.0)
    p = p * r + np.float32(1.0 / 24.0)
    p = p * r + np.float32(1.0 / 6.0)
    p = p * r + np.float32(0.5)
    p = p * r + np.float32(1.0)
    p = p * r + np.float32(1.0)
    return p * float32_from_bits((np.int64(n) + 127) << 23)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def label_probability(f, label):
    """``(sigmoid(f), q, e)``: ``q = sigmoid(+-f)`` is the probability of the right label.

    Both come from ``e = exp(-|f|)`` (in (0, 1]: never overflows) without cancellation, and
    are picked by selects rather than branches on the sign of ``f``, which a pair's random
    negatives make unpredictable.
    """
    one = np.float32(1.0)
    e = exp_nonpos(-abs(f))
    a = one / (one + e)  # sigmoid(|f|)
    b = e * a  # sigmoid(-|f|)
    pos = f >= 0
    sig = a if pos else b
    q = sig if label == 1 else (b if pos else a)
    return sig, q, e


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def sigmoid_loss(f, label, compute_loss, acc):
    """Return ``label - sigmoid(f)`` and account for the term's loss ``-log sigmoid(+-f)``.

    The loss is exact (:func:`label_probability`), and the ``q`` of the terms are multiplied
    in float64 (``acc[STAT_PROD]``); :func:`flush_loss` takes one ``log`` of the product only
    when it nears float64's range, instead of one per term. A term too small for the product
    is added directly. (:func:`gradient_scales` is the same for a whole pair at once.)
    """
    sig, q, e = label_probability(f, label)
    if compute_loss:
        if q > np.float32(1e-30):
            prod = acc[STAT_PROD]
            acc[STAT_PROD] = np.float64(q) if prod == 0.0 else prod * np.float64(q)
        else:  # -log q = |f| + log1p(e) exactly, for a hopelessly wrong score
            acc[STAT_LOSS] += np.float64(abs(f)) + np.float64(np.log1p(e))
        if label == 0:
            acc[STAT_NEG_SIGMOID] += sig
        acc[STAT_TERMS] += 1.0
    return np.float32(label) - sig


@njit(nogil=True, cache=True, error_model="numpy", inline="always", _nrt=False)
def flush_loss(compute_loss, acc, final=False):
    """Move ``-log`` of the pending probability product into the loss.

    Called after each pair, it flushes only once the product drops below 1e-200 (the next
    pair multiplies it by at least 1e-100, see :func:`gradient_scales`, so it cannot
    underflow); ``final=True`` (end of a chunk) always flushes, leaving ``acc[STAT_PROD]``
    at 0.
    """
    if compute_loss:
        prod = acc[STAT_PROD]
        if prod > 0.0 and (final or prod < 1e-200):
            acc[STAT_LOSS] -= np.log(prod)
            acc[STAT_PROD] = 0.0



@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def loss_term(f, q, prod, direct):
    """Account for one term ``-log q`` (``q`` the right label's probability, score ``f``).

    ``q`` joins the float64 product ``prod``; ``-log`` of it moves into ``direct`` once per
    ~200 decades of probability. A ``q`` too small for the product is added directly, exactly:
    ``-log q = |f| + log1p(exp(-|f|))``.
    """
    if q > np.float32(1e-30):
        prod *= np.float64(q)
        if prod < 1e-200:
            direct -= np.log(prod)
            prod = 1.0
    else:
        direct += np.float64(abs(f)) + np.float64(np.log1p(exp_nonpos(-abs(f))))
    return prod, direct


@njit(nogil=True, cache=True, error_model="numpy", inline="always", _nrt=False)
def loss_commit(prod, direct, neg_sig, terms, acc):
    """Add a pair's loss terms (gathered by :func:`loss_term`) to the chunk's ``acc``."""
    acc[STAT_TERMS] += terms
    acc[STAT_NEG_SIGMOID] += neg_sig
    if prod < 1e-100:  # keeps the pending product above 1e-300 (see flush_loss)
        direct -= np.log(prod)
    else:
        pending = acc[STAT_PROD]
        acc[STAT_PROD] = prod if pending == 0.0 else pending * prod
    acc[STAT_LOSS] += direct
    flush_loss(True, acc)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def gradient_scales(scores, mask, gs, lr, neg_scale, compute_loss, acc):
    """``gs[t] = lr * (label_t - sigmoid(score_t))``, times ``neg_scale`` for negatives.

    The same arithmetic as :func:`sigmoid_loss`, arranged for the hot path: the loss terms
    are gathered in locals and added to ``acc`` once per pair (updating ``acc`` per term chains
    every term through memory). (:func:`lane_gradients` does the same for the default k = 5
    with shared negatives, vectorised.)
    """
    one = np.float32(1.0)
    prod = 1.0  # float64 product of the right labels' probabilities
    direct = 0.0  # -log of terms too small for the product
    neg_sig = 0.0
    terms = 0
    for t in range(scores.shape[0]):
        if mask[t] == 0:
            gs[t] = 0.0
            continue
        f = scores[t]
        sig, q, e = label_probability(f, 1 if t == 0 else 0)
        gs[t] = lr * (one - sig) if t == 0 else lr * (-sig) * neg_scale
        if compute_loss:
            prod, direct = loss_term(f, q, prod, direct)
            if t > 0:
                neg_sig += sig
            terms += 1
    if compute_loss:
        loss_commit(prod, direct, neg_sig, terms, acc)



@njit(nogil=True, cache=True, error_model="numpy", inline="always", _nrt=False)
def set_lanes(lanes, mask, neg_scale):
    """A window's labels and weights (0 for a skipped negative, ``neg_scale`` for the others)."""
    for t in range(N_LANES):
        lanes[LANE_LABEL, t] = 0.0
        lanes[LANE_WEIGHT, t] = 0.0
    for base in (0, 6):
        lanes[LANE_LABEL, base] = 1.0
        lanes[LANE_WEIGHT, base] = 1.0
        for t in range(1, 6):
            lanes[LANE_WEIGHT, base + t] = neg_scale if mask[t] != 0 else np.float32(0.0)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def lane_gradients(lanes, lr):
    """:func:`gradient_scales` for all 16 lanes at once, without branches (it vectorises)."""
    for t in range(N_LANES):
        label = lanes[LANE_LABEL, t]
        sig, q, _ = label_probability(lanes[LANE_SCORE, t], label)  # label 1.0 or 0.0
        lanes[LANE_SIG, t] = sig
        lanes[LANE_Q, t] = q
        lanes[LANE_GRAD, t] = lr * lanes[LANE_WEIGHT, t] * (label - sig)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, inline="always", _nrt=False)
def lane_loss(lanes, mask, base, acc):
    """The loss terms of lanes ``base .. base + 5`` (one pair), as :func:`gradient_scales`."""
    prod = 1.0
    direct = 0.0
    neg_sig = 0.0
    terms = 0
    for t in range(6):
        if mask[t] == 0:
            continue
        prod, direct = loss_term(lanes[LANE_SCORE, base + t], lanes[LANE_Q, base + t], prod,
                                  direct)
        if t > 0:
            neg_sig += lanes[LANE_SIG, base + t]
        terms += 1
    loss_commit(prod, direct, neg_sig, terms, acc)


