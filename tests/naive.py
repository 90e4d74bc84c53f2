"""Plain Python/NumPy reference implementations of the engine's kernels.

They follow the same algorithm and consume the same random stream (xorshift64* on Python ints)
in the same order as the engine (:mod:`embedkit.engine.stream`), so on tiny inputs with a fixed seed
the kernel and the reference make identical random choices and their updates agree to float
tolerance. Speed is irrelevant here; clarity is the point. Arithmetic is float64.
"""

from __future__ import annotations

import math

import numpy as np

MASK64 = (1 << 64) - 1


class XorShift:
    """xorshift64* with the state in a Python int (mirror of ``embedkit.rng.next_u64``)."""

    def __init__(self, state: int) -> None:
        self.state = int(state)

    def next_u64(self) -> int:
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & MASK64
        x ^= x >> 27
        self.state = x
        return (x * 0x2545F4914F6CDD1D) & MASK64

    def rand_float(self) -> float:
        return (self.next_u64() >> 11) * (1.0 / 9007199254740992.0)

    def below(self, n: int) -> int:
        return ((self.next_u64() >> 32) * n) >> 32


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def sgns_objective(v: np.ndarray, u_pos: np.ndarray, u_negs: np.ndarray) -> float:
    """``log σ(v·u_pos) + Σ log σ(−v·u_neg)`` for one pair (the quantity SGD ascends)."""
    val = math.log(sigmoid(float(v @ u_pos)))
    for u in u_negs:
        val += math.log(sigmoid(-float(v @ u)))
    return val


def alias_draw(rng: XorShift, prob: np.ndarray, alias: np.ndarray) -> int:
    r = rng.next_u64()
    n = len(prob)
    j = ((r >> 32) * n) >> 32
    u = (r & 0xFFFFFFFF) * (1.0 / 4294967296.0)
    return j if u < prob[j] else int(alias[j])


def draw_negative(rng: XorShift, tables, target: int) -> int:
    """One negative (candidate lists and base alias table; the pool path is not mirrored)."""
    if tables.pool > 1:
        raise NotImplementedError("the reference does not model pool-and-pick")
    if tables.cand_mix > 0.0:
        lo, hi = int(tables.cand_indptr[target]), int(tables.cand_indptr[target + 1])
        if hi > lo and rng.rand_float() < tables.cand_mix:
            k = ((rng.next_u64() >> 32) * (hi - lo)) >> 32
            return int(tables.cand_ids[lo + k])
    return alias_draw(rng, tables.alias_prob, tables.alias_idx)


def _rejected(tables, target, neg, window_tokens) -> bool:
    if neg == target:
        return True
    if tables.exclude_window and neg in window_tokens:
        return True
    if tables.excl_indptr.size > 1:
        lo, hi = tables.excl_indptr[target], tables.excl_indptr[target + 1]
        return neg in set(tables.excl_ids[lo:hi].tolist())
    return False


def draw_negatives(rng: XorShift, tables, target: int, k: int, window_tokens) -> list:
    """``k`` (negative, used) pairs; ``used`` is False for a skipped (rejected) draw."""
    general = (tables.cand_mix > 0 or tables.pool > 1 or tables.exclude_window
               or tables.excl_indptr.size > 1)
    out = []
    for _ in range(k):
        neg = draw_negative(rng, tables, target)
        if general and (tables.exclude_window or tables.excl_indptr.size > 1):
            tries = 0
            while tries < 8 and _rejected(tables, target, neg, window_tokens):
                neg = draw_negative(rng, tables, target)
                tries += 1
            out.append((neg, not _rejected(tables, target, neg, window_tokens)))
        else:
            out.append((neg, neg != target))
    return out


def train_chunk(W, C, ids, offsets, s0, s1, word_pos, pos_scale, keep_prob, params, tables,
                states, lock=None):
    """Reference for one chunk of ``train_chunks``; updates float64 ``W``/``C`` in place.

    ``states`` is the chunk's (token stream, negative stream) pair of seeds. ``lock[w]``
    (skip-gram) freezes input row ``w``: the Locked window.
    Returns ``(pairs, kept_words, loss)`` and the final states.
    """
    rng = XorShift(states[0])  # subsampling and reduced windows
    neg_rng = XorShift(states[1])  # negatives
    k = params.negative
    pairs = 0
    kept_total = 0
    loss = 0.0
    for s in range(s0, s1):
        start, stop = int(offsets[s]), int(offsets[s + 1])
        kept = []
        for w in ids[start:stop]:
            w = int(w)
            if w < 0:
                continue
            p = float(np.float32(keep_prob[w]))
            if p < 1.0 and rng.rand_float() >= p:
                continue
            kept.append(w)
        kept_total += len(kept)
        progress = (word_pos + (start - int(offsets[s0])) * pos_scale) / params.total_words
        lr = params.lr0 - (params.lr0 - params.min_lr) * min(progress, 1.0)
        n = len(kept)
        for i in range(n):
            eff = params.window - rng.below(params.window) if params.shrink_window \
                else params.window
            lo, hi = max(0, i - eff), min(n, i + eff + 1)
            window_tokens = [kept[j] for j in range(lo, hi) if j != i]
            w = kept[i]
            if params.sg:
                p, l_ = _sg(W, C, kept, i, lo, hi, w, lr, k, params, tables, neg_rng,
                            window_tokens, lock)
            else:
                p, l_ = _cbow(W, C, kept, i, lo, hi, w, lr, k, params, tables, neg_rng,
                              window_tokens)
            pairs += p
            loss += l_
    return (pairs, kept_total, loss), (rng.state, neg_rng.state)


def _term(f: float, label: int) -> tuple[float, float]:
    """(label − σ(f), −log σ(±f))."""
    sig = sigmoid(f)
    nll = math.log1p(math.exp(-f)) if label == 1 else math.log1p(math.exp(f))
    return label - sig, nll


def _sg(W, C, kept, i, lo, hi, w, lr, k, params, tables, rng, window_tokens, lock=None):
    """Skip-gram on full-size ``W``/``C``; block limits select the pairs trained (see kernel)."""
    pairs, loss = 0, 0.0
    if not params.out_lo <= w < params.out_hi:
        return pairs, loss
    out_lo = params.out_lo
    local_window = [t - out_lo for t in window_tokens]  # tables are in the block's numbering
    if params.shared_negatives:
        negs = draw_negatives(rng, tables, w - out_lo, k, local_window)
        gout = {}
    for j in range(lo, hi):
        if j == i:
            continue
        cw = kept[j]
        if not params.in_lo <= cw < params.in_hi:
            continue
        if not params.shared_negatives:
            negs = draw_negatives(rng, tables, w - out_lo, k, local_window)
        targets = [(w, 1, True)] + [(n + out_lo, 0, used) for n, used in negs]
        pairs += 1
        v = W[cw].copy()
        gs = []
        for t, label, used in targets:  # pass 1: all scores from the current rows
            if used:
                g, nll = _term(float(v @ C[t]), label)
                gs.append(lr * g * (1.0 if label == 1 else params.neg_scale))
                loss += nll
            else:
                gs.append(0.0)
        # pass 2: a simultaneous step: every update uses the rows as they were before it
        neu = np.zeros_like(v)
        for (t, _, used), g in zip(targets, gs, strict=True):
            if used:
                neu += g * C[t]
        for (t, _, used), g in zip(targets, gs, strict=True):
            if not used:
                continue
            if params.shared_negatives:
                gout[len(gout)] = (t, g * v)
            else:
                C[t] += g * v
        if lock is None or not lock[cw]:
            W[cw] += neu
    if params.shared_negatives:
        for t, delta in gout.values():
            C[t] += delta
    return pairs, loss


def _cbow(W, C, kept, i, lo, hi, w, lr, k, params, tables, rng, window_tokens):
    ctx = [kept[j] for j in range(lo, hi) if j != i]
    if not ctx:
        return 0, 0.0
    h = W[ctx].sum(axis=0)
    if params.cbow_mean:
        h = h / len(ctx)
    negs = draw_negatives(rng, tables, w, k, window_tokens)
    loss = 0.0
    targets = [(w, 1, True)] + [(n, 0, u) for n, u in negs]
    gs = []
    for t, label, used in targets:  # all scores from the current rows
        if used:
            g, nll = _term(float(h @ C[t]), label)
            loss += nll
            gs.append(lr * g)
        else:
            gs.append(0.0)
    neu = np.zeros_like(h)
    for (t, _, used), g in zip(targets, gs, strict=True):
        if used:
            neu += g * C[t]
    for (t, _, used), g in zip(targets, gs, strict=True):
        if used:
            C[t] += g * h
    for c in ctx:
        W[c] += neu
    return 1, loss


def subword_train_chunk(W, C, indptr, rows, ids, offsets, s0, s1, word_pos, pos_scale,
                        keep_prob, params, tables, states):
    """Reference of the subword (fastText) kernel for one chunk; float64 ``W``/``C`` in place.

    Token t's input is the mean of ``W[rows[indptr[t]:indptr[t+1]]]``. Skip-gram: the centre's
    mean predicts each context (k negatives per pair, output rows updated per pair), and the
    summed input gradient is added to each centre row after the window. CBOW: the mean of the
    contexts' means predicts the centre; the gradient goes to every row of every context.
    Returns ``(pairs, kept_words, loss)``.
    """
    from embedkit.engine.subword_windows import SHARE_CONTEXTS

    rng = XorShift(states[0])
    neg_rng = XorShift(states[1])
    k = params.negative
    pairs, kept_total, loss = 0, 0, 0.0

    def rows_of(t):
        return rows[indptr[t]:indptr[t + 1]]

    def step(h, target, window_tokens, neu):
        negs = draw_negatives(neg_rng, tables, target, k, window_tokens)
        targets = [(target, 1, True)] + [(n, 0, u) for n, u in negs]
        gs, lss = [], 0.0
        for t, label, used in targets:
            if used:
                g, nll = _term(float(h @ C[t]), label)
                gs.append(lr * g)
                lss += nll
            else:
                gs.append(0.0)
        for (t, _, used), g in zip(targets, gs, strict=True):
            if used:
                neu += g * C[t]
        for (t, _, used), g in zip(targets, gs, strict=True):
            if used:
                C[t] += g * h
        return lss

    def shared_window(h, centre, window_tokens, neu):
        # each positive updates its output row at once; then one set of negatives (drawn for
        # the centre; one equal to the centre or a context is skipped) per group of
        # SHARE_CONTEXTS contexts, each negative standing for its group's pairs: gradient
        # times the group size, loss counted that many times
        m = len(window_tokens)
        lss = 0.0
        for c in window_tokens:
            g, nll = _term(float(h @ C[c]), 1)
            neu += lr * g * C[c]
            C[c] += lr * g * h
            lss += nll
        done = 0
        while k > 0 and done < m:
            group = min(SHARE_CONTEXTS, m - done)
            negs = [(n, u and n not in window_tokens)
                    for n, u in draw_negatives(neg_rng, tables, centre, k, window_tokens)]
            gs = []
            for t, used in negs:
                if used:
                    g, nll = _term(float(h @ C[t]), 0)
                    gs.append(lr * g * group)
                    lss += group * nll
                else:
                    gs.append(0.0)
            for (t, _), g in zip(negs, gs, strict=True):
                neu += g * C[t]
            for (t, _), g in zip(negs, gs, strict=True):
                C[t] += g * h
            done += group
        return lss

    for s in range(s0, s1):
        start, stop = int(offsets[s]), int(offsets[s + 1])
        kept = []
        for w in ids[start:stop]:
            w = int(w)
            if w < 0:
                continue
            p = float(np.float32(keep_prob[w]))
            if p < 1.0 and rng.rand_float() >= p:
                continue
            kept.append(w)
        kept_total += len(kept)
        progress = (word_pos + (start - int(offsets[s0])) * pos_scale) / params.total_words
        lr = params.lr0 - (params.lr0 - params.min_lr) * min(progress, 1.0)
        n = len(kept)
        for i in range(n):
            eff = params.window - rng.below(params.window) if params.shrink_window \
                else params.window
            lo, hi = max(0, i - eff), min(n, i + eff + 1)
            window_tokens = [kept[j] for j in range(lo, hi) if j != i]
            if not window_tokens:
                continue
            neu = np.zeros(W.shape[1])
            if params.sg and params.shared_negatives:
                h = W[rows_of(kept[i])].mean(axis=0)
                loss += shared_window(h, kept[i], window_tokens, neu)
                pairs += len(window_tokens)
                for r in rows_of(kept[i]):
                    W[r] += neu
            elif params.sg:  # h moves by the gradient so far after each pair (fastText)
                h0 = W[rows_of(kept[i])].mean(axis=0)
                for c in window_tokens:
                    loss += step(h0 + neu, c, window_tokens, neu)
                    pairs += 1
                for r in rows_of(kept[i]):
                    W[r] += neu
            else:
                h = np.mean([W[rows_of(c)].mean(axis=0) for c in window_tokens], axis=0)
                loss += step(h, kept[i], window_tokens, neu)
                pairs += 1
                for c in window_tokens:
                    for r in rows_of(c):
                        W[r] += neu
    return pairs, kept_total, loss
