"""Drawing negatives inside the kernels, from a :class:`~embedkit.samplers.SamplerTables`.

:func:`draw_negatives` fills ``scratch.targets[1:]`` for a positive target and marks skipped
negatives with ``scratch.mask[t] = 0``. Which code runs is chosen by the negatives marker of the
kernel's :class:`~embedkit.engine.modes.Mode`: plain alias tables (unigram, uniform) compile only
:func:`draw_plain`; samplers with candidate lists, pools or exclusions only :func:`draw_general`.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import overload

from embedkit.engine.intrinsics import prefetch_row
from embedkit.engine.modes import PlainNegatives, TableNegatives
from embedkit.engine.params import FASTMATH, KERNEL_OPTIONS
from embedkit.engine.rows import dot
from embedkit.rng import next_u64, rand_float

__all__ = ["alias_draw", "draw_negative", "draw_plain", "draw_general", "draw_negatives",
           "skip_negatives", "plain_tables"]


def plain_tables(tables) -> bool:
    """Do ``tables`` draw from the alias table alone (no candidates, pools or exclusions)?"""
    return (tables.cand_mix == 0.0 and tables.pool <= 1 and not tables.exclude_window
            and tables.excl_indptr.shape[0] == 1)


@njit(nogil=True, cache=True, error_model="numpy", inline="always", _nrt=False)
def alias_draw(tables, state, slot):
    """One id from the Vose alias table of ``tables`` (one 64-bit step of the stream)."""
    n = tables.alias_prob.shape[0]
    r = next_u64(state, slot)
    j = np.int64(((r >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))
    u = np.float64(r & np.uint64(0xFFFFFFFF)) * (1.0 / 4294967296.0)
    if u < tables.alias_prob[j]:
        return j
    return np.int64(tables.alias_idx[j])


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, _nrt=False)
def draw_negative(tables, target, anchor, C, state, slot):
    """One negative for positive ``target``; ``anchor`` is the input vector used for scoring."""
    if tables.cand_mix > 0.0:
        row = np.int64(target)
        if tables.cand_row.shape[0] > 0:  # rows shared by many targets (e.g. one per type)
            row = np.int64(tables.cand_row[target])
        if row >= 0:
            lo = tables.cand_indptr[row]
            hi = tables.cand_indptr[row + 1]
            if hi > lo and rand_float(state, slot) < tables.cand_mix:
                r = next_u64(state, slot)
                k = lo + np.int64(((r >> np.uint64(32)) * np.uint64(hi - lo)) >> np.uint64(32))
                if tables.cand_prob.shape[0] > 0:  # weighted row: its alias table
                    u = np.float64(r & np.uint64(0xFFFFFFFF)) * (1.0 / 4294967296.0)
                    if u >= tables.cand_prob[k]:
                        k = lo + np.int64(tables.cand_alias[k])
                return np.int64(tables.cand_ids[k])
    if tables.pool <= 1:
        return alias_draw(tables, state, slot)
    if tables.pool_mix < 1.0 and rand_float(state, slot) >= tables.pool_mix:
        return alias_draw(tables, state, slot)
    # Pool-and-pick: score `pool` base draws by the current model, keep the best or sample
    # proportionally to exp(score / temperature) (Gumbel-max trick, one pass).
    best = np.int64(-1)
    best_key = -np.inf
    for _ in range(tables.pool):
        cand = alias_draw(tables, state, slot)
        s = np.float64(dot(anchor, 0, C, cand))
        if tables.temperature > 0.0:
            u = rand_float(state, slot)
            s = s / tables.temperature - np.log(-np.log(u + 1e-300) + 1e-300)
        if s > best_key:
            best_key = s
            best = cand
    return best


@njit(nogil=True, cache=True, error_model="numpy", inline="always", _nrt=False)
def _in_window(buf, lo, hi, skip, token):
    """Is ``token`` (a global id) one of the window's tokens other than the centre?"""
    for j in range(lo, hi):
        if j != skip and buf[j] == token:
            return True
    return False


@njit(nogil=True, cache=True, error_model="numpy", inline="always", _nrt=False)
def _excluded(tables, target, token):
    """Is ``token`` on ``target``'s exclusion list (binary search in a sorted CSR row)?"""
    if tables.excl_indptr.shape[0] == 1:
        return False
    lo = tables.excl_indptr[target]
    hi = tables.excl_indptr[target + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        v = tables.excl_ids[mid]
        if v == token:
            return True
        if v < token:
            lo = mid + 1
        else:
            hi = mid
    return False


@njit(nogil=True, cache=True, error_model="numpy", _nrt=False)
def _rejected(tables, target, neg, buf, lo, hi, centre, out_lo):
    if neg == target:
        return True
    if tables.exclude_window and _in_window(buf, lo, hi, centre, neg + out_lo):
        return True
    return _excluded(tables, target, neg)


@njit(nogil=True, cache=True, error_model="numpy", fastmath=FASTMATH, _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def draw_general(run, target, buf, lo, hi, centre):
    """Negatives with candidate lists, pools or window exclusion (the table-driven samplers).

    Negatives are drawn on demand; one that stays rejected after 8 redraws is skipped.
    """
    tables = run.tables
    out = run.scratch.targets
    mask = run.scratch.mask
    out_lo = run.params.out_lo
    for t in range(1, out.shape[0]):
        neg = draw_negative(tables, target, run.scratch.anchor, run.C, run.states, run.slot)
        if tables.exclude_window or tables.excl_indptr.shape[0] > 1:
            tries = 0
            while tries < 8 and _rejected(tables, target, neg, buf, lo, hi, centre, out_lo):
                neg = draw_negative(tables, target, run.scratch.anchor, run.C, run.states,
                                    run.slot)
                tries += 1
            bad = _rejected(tables, target, neg, buf, lo, hi, centre, out_lo)
        else:
            bad = neg == target
        out[t] = neg
        mask[t] = 0 if bad else 1


@njit(nogil=True, cache=True, error_model="numpy", forceinline=True, _nrt=False,
      no_cpython_wrapper=True, no_cfunc_wrapper=True)
def draw_plain(run, target, buf, lo, hi, centre):
    """Negatives from the alias table alone, drawn one window ahead.

    ``scratch.ahead[1:]`` holds the next negatives of the stream (``ahead[0] = 1`` once
    filled), and their output rows are prefetched, so their cache misses overlap this window's
    arithmetic. The draws and their order are exactly those of drawing on demand. Like
    word2vec.c, a negative equal to the positive target is skipped, not redrawn.
    """
    tables = run.tables
    out = run.scratch.targets
    mask = run.scratch.mask
    ahead = run.scratch.ahead
    n_rows = out.shape[0]
    if ahead[0] == 0:
        for t in range(1, n_rows):
            ahead[t] = alias_draw(tables, run.states, run.slot)
        ahead[0] = 1
    for t in range(1, n_rows):
        neg = ahead[t]
        out[t] = neg
        mask[t] = 0 if neg == target else 1
        nxt = alias_draw(tables, run.states, run.slot)
        ahead[t] = nxt
        prefetch_row(run.C, nxt)


def draw_negatives(negatives, run, target, buf, lo, hi, centre):
    """Fill ``run.scratch.targets[1:]`` with negatives for ``target`` (jitted code only).

    ``negatives`` is a :class:`~embedkit.engine.modes.PlainNegatives` or
    :class:`~embedkit.engine.modes.TableNegatives` marker; ``buf[lo:hi]`` is the window around
    ``centre`` (for window exclusion).
    """
    raise NotImplementedError("draw_negatives runs inside jitted kernels only")


_DRAWS = {PlainNegatives: draw_plain, TableNegatives: draw_general}


@overload(draw_negatives, jit_options=KERNEL_OPTIONS)
def _draw_negatives_impl(negatives, run, target, buf, lo, hi, centre):
    fn = _DRAWS[negatives.instance_class]

    def impl(negatives, run, target, buf, lo, hi, centre):
        fn(run, target, buf, lo, hi, centre)

    return impl


@njit(nogil=True, cache=True, error_model="numpy", inline="always", _nrt=False)
def skip_negatives(state, slot, ahead, k):
    """Consume a skipped window's k shared negatives from the stream without drawing them.

    For :func:`draw_plain`, which draws one window ahead: ``ahead`` holds this window's
    negatives when ``ahead[0]`` is set (the stream is then past them), else the stream stands
    at them. Each draw takes one 64-bit step, so skipping is k steps at most, and later windows
    get exactly the negatives they would have had.
    """
    if ahead[0] == 0:
        for _ in range(k):
            next_u64(state, slot)
    else:
        ahead[0] = 0
