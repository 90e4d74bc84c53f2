"""Full-softmax and NCE skip-gram objectives: baselines next to negative sampling.

Both kernels have the signature of :func:`embedkit.engine.kernels.train_chunks` and share its
whole data path: chunks of whole sequences run in parallel with one random stream per
``(seed, epoch, chunk)``; ids < 0 are dropped, tokens are subsampled with ``keep_prob`` by the
engine's own ``_subsample``, the window is reduced to ``b ~ U{1..window}`` per centre, and the
learning rate decays linearly by raw position. As in the NS kernel the *context* token's input
vector v predicts the *centre* token's output vector u.

* ``"softmax"``: ``log p(c | w) = v_w·u_c - log Σ_j exp(v_w·u_j)``, exact normalisation over
  the whole vocabulary, so one update costs O(|V| d). Gradient ascent step:
  ``g_j = lr (1[j = c] - p_j)``; ``v_w += Σ_j g_j u_j``; ``u_j += g_j v_w``.
* ``"nce"``: noise-contrastive estimation (Gutmann & Hyvärinen 2010; Mnih & Teh 2012) with k
  noise samples from the sampler's base distribution ``P_n`` (the alias table): logits
  ``s(x) = v_w·u_x - log(k P_n(x))``, and the binary logistic loss of NS on them. At the optimum
  ``v_w·u_c = log p(c | w)`` (self-normalised). Noise samples equal to the target are kept (NCE
  counts them); candidate lists, pools and exclusions are rejected because they change the noise
  distribution away from ``P_n``. Negatives are drawn per pair (``shared_negatives`` is ignored).

Statistics follow :data:`embedkit.engine.kernels.N_STATS`: for softmax ``STAT_LOSS`` is the
cross-entropy ``-log p(c | w)`` and ``STAT_TERMS`` counts pairs (no negative terms).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from embedkit.engine.kernels import (
    FASTMATH,
    STAT_LOSS,
    STAT_PAIRS,
    STAT_TERMS,
    STAT_WORDS,
    KernelParams,
    _alias_draw,
    _axpy,
    _dot,
    _eff_window,
    _flush_loss,
    _sequence_lr,
    _sigmoid_loss,
    _subsample,
    _zero_rows,
)

__all__ = ["train_chunks_softmax", "train_chunks_nce", "noise_log_kq"]


@njit(nogil=True, cache=True, fastmath=FASTMATH, _nrt=False)
def _softmax_chunk(W, C, ids, offsets, s0, s1, word_pos, pos_scale, keep_prob, params, states,
                   c, acc, buf, scores, neu):
    n_vocab = C.shape[0]
    for s in range(s0, s1):
        start = offsets[s]
        n = _subsample(ids, start, offsets[s + 1], keep_prob, states, 2 * c, buf)
        acc[STAT_WORDS] += n
        lr = _sequence_lr(params, word_pos, start - offsets[s0], pos_scale)
        for i in range(n):
            eff = _eff_window(params, states, 2 * c)
            lo = max(0, i - eff)
            hi = min(n, i + eff + 1)
            w = buf[i]
            for j in range(lo, hi):
                if j == i:
                    continue
                cw = buf[j]
                acc[STAT_PAIRS] += 1.0
                mx = -np.inf
                for t in range(n_vocab):
                    f = np.float64(_dot(W, cw, C, t))
                    scores[t] = f
                    if f > mx:
                        mx = f
                z = 0.0
                for t in range(n_vocab):
                    e = np.exp(scores[t] - mx)
                    scores[t] = e
                    z += e
                if params.compute_loss:
                    acc[STAT_LOSS] += np.log(z) - np.log(scores[w])
                    acc[STAT_TERMS] += 1.0
                _zero_rows(neu)
                for t in range(n_vocab):
                    p = scores[t] / z
                    g = lr * np.float32((1.0 if t == w else 0.0) - p)
                    _axpy(g, C, t, neu, 0)
                    _axpy(g, W, cw, C, t)
                _axpy(np.float32(1.0), neu, 0, W, cw)


@njit(nogil=True, cache=True, parallel=True)
def _softmax_kernel(W, C, ids, offsets, chunk_seq, chunk_pos, pos_scale, keep_prob, params,
                    tables, states, stats):
    d = W.shape[1]
    n_vocab = C.shape[0]
    for c in prange(chunk_seq.shape[0] - 1):
        s0 = chunk_seq[c]
        s1 = chunk_seq[c + 1]
        maxlen = 0
        for s in range(s0, s1):
            maxlen = max(maxlen, offsets[s + 1] - offsets[s])
        _softmax_chunk(W, C, ids, offsets, s0, s1, chunk_pos[c], pos_scale, keep_prob, params,
                       states, c, stats[c], np.empty(maxlen, dtype=np.int32),
                       np.empty(n_vocab, dtype=np.float64), np.empty((1, d), dtype=np.float32))


@njit(nogil=True, cache=True)
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


@njit(nogil=True, cache=True, fastmath=FASTMATH, _nrt=False)
def _nce_chunk(W, C, ids, offsets, s0, s1, word_pos, pos_scale, keep_prob, params, tables,
               log_kq, states, c, acc, buf, targets, gs, neu):
    k1 = targets.shape[0]
    for s in range(s0, s1):
        start = offsets[s]
        n = _subsample(ids, start, offsets[s + 1], keep_prob, states, 2 * c, buf)
        acc[STAT_WORDS] += n
        lr = _sequence_lr(params, word_pos, start - offsets[s0], pos_scale)
        for i in range(n):
            eff = _eff_window(params, states, 2 * c)
            lo = max(0, i - eff)
            hi = min(n, i + eff + 1)
            targets[0] = buf[i]
            for j in range(lo, hi):
                if j == i:
                    continue
                cw = buf[j]
                for t in range(1, k1):
                    targets[t] = _alias_draw(tables, states, 2 * c + 1)
                acc[STAT_PAIRS] += 1.0
                for t in range(k1):
                    x = targets[t]
                    f = _dot(W, cw, C, x) - log_kq[x]
                    gs[t] = lr * _sigmoid_loss(f, 1 if t == 0 else 0, params.compute_loss, acc)
                _flush_loss(params.compute_loss, acc)
                _zero_rows(neu)
                for t in range(k1):
                    _axpy(gs[t], C, targets[t], neu, 0)
                    _axpy(gs[t], W, cw, C, targets[t])
                _axpy(np.float32(1.0), neu, 0, W, cw)
    _flush_loss(params.compute_loss, acc, True)


@njit(nogil=True, cache=True, parallel=True)
def _nce_kernel(W, C, ids, offsets, chunk_seq, chunk_pos, pos_scale, keep_prob, params, tables,
                states, stats):
    d = W.shape[1]
    k1 = params.negative + 1
    log_kq = noise_log_kq(tables.alias_prob, tables.alias_idx, np.float64(params.negative))
    for c in prange(chunk_seq.shape[0] - 1):
        s0 = chunk_seq[c]
        s1 = chunk_seq[c + 1]
        maxlen = 0
        for s in range(s0, s1):
            maxlen = max(maxlen, offsets[s + 1] - offsets[s])
        _nce_chunk(W, C, ids, offsets, s0, s1, chunk_pos[c], pos_scale, keep_prob, params,
                   tables, log_kq, states, c, stats[c], np.empty(maxlen, dtype=np.int32),
                   np.empty(k1, dtype=np.int64), np.empty(k1, dtype=np.float32),
                   np.empty((1, d), dtype=np.float32))


def _check_whole_vocabulary(params, name: str) -> None:
    """Softmax and NCE train the whole vocabulary: reject block-training parameters."""
    # the fields with defaults are exactly the block-training ones; defaults mean "no blocks"
    if any(getattr(params, f) != v for f, v in KernelParams._field_defaults.items()):
        raise ValueError(f"the {name} objective does not support block (distributed) training")


def train_chunks_softmax(W, C, ids, offsets, chunk_seq, chunk_pos, pos_scale, keep_prob, params,
                         tables, states, stats):
    """Full-softmax skip-gram over a batch; arguments as :func:`~embedkit.engine.train_chunks`.

    ``tables`` is accepted for the common signature and unused. Skip-gram only.

    Examples
    --------
    >>> from embedkit.engine import EngineConfig, train
    >>> from embedkit.contexts.text import TextCorpus
    >>> from embedkit.samplers import Unigram
    >>> corpus = TextCorpus([["a", "b", "c", "a"]] * 20)
    >>> vocab = corpus.build_vocab(min_count=1, max_vocab_size=None, subsample=0.0)
    >>> cfg = EngineConfig(dim=4, epochs=1, objective="softmax")
    >>> W, C, hist = train(corpus, vocab, Unigram(), cfg, seed=0, threads=1, progress=False)
    >>> hist[0].pairs > 0
    True
    """
    if not params.sg:
        raise ValueError("the softmax objective supports skip-gram only (sg=True)")
    _check_whole_vocabulary(params, "softmax")
    _softmax_kernel(W, C, ids, offsets, chunk_seq, chunk_pos, pos_scale, keep_prob, params,
                    tables, states, stats)


def train_chunks_nce(W, C, ids, offsets, chunk_seq, chunk_pos, pos_scale, keep_prob, params,
                     tables, states, stats):
    """NCE skip-gram over a batch; arguments as :func:`~embedkit.engine.train_chunks`.

    The noise distribution is the base alias table of ``tables``; ``params.negative`` noise
    samples per pair. Skip-gram only.

    Examples
    --------
    >>> from embedkit.engine import EngineConfig, train
    >>> from embedkit.contexts.text import TextCorpus
    >>> from embedkit.samplers import Unigram
    >>> corpus = TextCorpus([["a", "b", "c", "a"]] * 20)
    >>> vocab = corpus.build_vocab(min_count=1, max_vocab_size=None, subsample=0.0)
    >>> cfg = EngineConfig(dim=4, epochs=1, objective="nce")
    >>> W, C, hist = train(corpus, vocab, Unigram(), cfg, seed=0, threads=1, progress=False)
    >>> hist[0].pairs > 0
    True
    """
    if not params.sg:
        raise ValueError("the NCE objective supports skip-gram only (sg=True)")
    _check_whole_vocabulary(params, "NCE")
    if params.negative < 1:
        raise ValueError("the NCE objective needs negative >= 1 noise samples")
    if (tables.cand_mix > 0.0 or tables.pool > 1 or tables.exclude_window
            or tables.excl_indptr.shape[0] > 1):
        raise ValueError(
            "NCE needs the exact noise probability of every sample: use a sampler with a plain "
            "base distribution (no candidate lists, pools or exclusions), e.g. 'unigram'"
        )
    _nce_kernel(W, C, ids, offsets, chunk_seq, chunk_pos, pos_scale, keep_prob, params, tables,
                states, stats)
