"""The Numba SGNS kernels against the NumPy reference, gradients, sampling and subsampling."""

from __future__ import annotations

import naive
import numpy as np
import pytest
from numba import njit
from scipy import stats

from embedkit.contexts.base import make_batch
from embedkit.engine.kernels import (
    N_STATS,
    STAT_PAIRS,
    STAT_WORDS,
    KernelParams,
    train_chunks,
)
from embedkit.engine.negatives import alias_draw
from embedkit.engine.train import chunk_bounds, init_weights
from embedkit.rng import engine_states
from embedkit.samplers import Unigram, alias_probabilities, build_alias_table, make_tables
from embedkit.vocab import Vocab, keep_probability


def _params(**kw) -> KernelParams:
    base = dict(window=3, negative=3, sg=True, shrink_window=True, shared_negatives=True,
                cbow_mean=True, lr0=0.05, min_lr=0.001, total_words=500.0, compute_loss=True)
    base.update(kw)
    return KernelParams(**base)


def _tiny_problem(seed=0, n_vocab=12, n_seqs=9, dim=6):
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.integers(1, 60, size=n_vocab))[::-1]
    vocab = Vocab([f"w{i}" for i in range(n_vocab)], counts, subsample=0.02)
    seqs = []
    for _ in range(n_seqs):
        s = rng.choice(n_vocab, size=rng.integers(1, 14), p=counts / counts.sum())
        s = s.astype(np.int32)
        s[rng.random(s.size) < 0.1] = -1  # out-of-vocabulary positions
        seqs.append(s)
    batch = make_batch(seqs)
    W = (rng.random((n_vocab, dim)) - 0.5).astype(np.float32)
    C = (rng.random((n_vocab, dim)) - 0.5).astype(np.float32) * 0.3
    return vocab, batch, W, C


def _run_both(params, tables, n_chunks=3, seed=0):
    vocab, batch, W, C = _tiny_problem(seed)
    assert np.any(vocab.keep_prob < 1), "the test must exercise subsampling"
    bounds = np.linspace(0, batch.offsets.size - 1, n_chunks + 1).astype(np.int64)
    chunk_pos = batch.offsets[bounds[:-1]].astype(np.float64) + 17.0
    states = engine_states(123, 1, 0, n_chunks)
    stats_k = np.zeros((n_chunks, N_STATS))
    Wk, Ck = W.copy(), C.copy()
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(1)  # chunks then run in order, as the reference does
    try:
        train_chunks(Wk, Ck, batch.ids, batch.offsets, bounds, chunk_pos, 1.0, vocab.keep_prob,
                     params, tables, states.copy(), stats_k)
    finally:
        numba.set_num_threads(old)
    Wn, Cn = W.astype(np.float64), C.astype(np.float64)
    totals = np.zeros(3)
    for c in range(n_chunks):
        (pairs, kept, loss), _ = naive.train_chunk(
            Wn, Cn, batch.ids, batch.offsets, bounds[c], bounds[c + 1], chunk_pos[c], 1.0,
            vocab.keep_prob, params, tables, (int(states[2 * c]), int(states[2 * c + 1])))
        totals += (pairs, kept, loss)
    return (Wk, Ck, stats_k.sum(axis=0)), (Wn, Cn, totals), (W, C)


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(shared_negatives=False),
        dict(shrink_window=False),
        dict(sg=False),
        dict(sg=False, cbow_mean=False),
        dict(negative=0),
        dict(window=1, negative=7),
        # the fused passes group output rows by six, then two, then one: cover each path
        dict(negative=5),
        dict(negative=5, shared_negatives=False),
        dict(negative=12, shared_negatives=False),
        dict(negative=12, sg=False),
    ],
)
def test_kernel_matches_reference(kw):
    params = _params(**kw)
    vocab, *_ = _tiny_problem()
    tables = Unigram(0.75).tables(vocab)
    (Wk, Ck, sk), (Wn, Cn, sn), (W0, C0) = _run_both(params, tables)
    assert sk[STAT_PAIRS] == sn[0] > 0
    assert sk[STAT_WORDS] == sn[1]
    assert not np.allclose(Wk, W0), "the kernel must have changed the vectors"
    np.testing.assert_allclose(Wk, Wn, rtol=2e-4, atol=2e-6)
    np.testing.assert_allclose(Ck, Cn, rtol=2e-4, atol=2e-6)
    np.testing.assert_allclose(sk[0], sn[2], rtol=1e-5)


def test_kernel_matches_reference_with_candidate_lists_and_exclusions():
    vocab, *_ = _tiny_problem()
    n = len(vocab)
    rng = np.random.default_rng(5)
    indptr = np.concatenate(([0], np.cumsum(rng.integers(0, 4, size=n)))).astype(np.int64)
    cand = rng.integers(0, n, size=indptr[-1]).astype(np.int32)
    excl_indptr = np.concatenate(([0], np.cumsum(rng.integers(0, 3, size=n)))).astype(np.int64)
    excl = rng.integers(0, n, size=excl_indptr[-1]).astype(np.int32)
    tables = make_tables(Unigram().weights(vocab), cand_indptr=indptr, cand_ids=cand,
                         cand_mix=0.6, exclude_window=True, excl_indptr=excl_indptr,
                         excl_ids=excl)
    for kw in (dict(), dict(shared_negatives=False), dict(sg=False)):
        (Wk, Ck, sk), (Wn, Cn, sn), _ = _run_both(_params(**kw), tables)
        assert sk[STAT_PAIRS] == sn[0]
        np.testing.assert_allclose(Wk, Wn, rtol=2e-4, atol=2e-6)
        np.testing.assert_allclose(Ck, Cn, rtol=2e-4, atol=2e-6)


@pytest.mark.parametrize("shared", [True, False])
def test_block_training_matches_reference(shared):
    """A (input block, output block) cell trains exactly the pairs the reference selects."""
    vocab, batch, W, C = _tiny_problem(seed=2)
    n = len(vocab)
    in_lo, in_hi, out_lo, out_hi = 0, 7, 4, n
    params = _params(shared_negatives=shared, in_lo=in_lo, in_hi=in_hi, out_lo=out_lo,
                     out_hi=out_hi, neg_scale=0.7)
    tables = Unigram().tables(Vocab(vocab.index_to_key[out_lo:out_hi],
                                    vocab.counts[out_lo:out_hi]))
    bounds = np.array([0, batch.offsets.size - 1])
    states = engine_states(5, 0, 0, 1)
    Wk, Ck = W[in_lo:in_hi].copy(), C[out_lo:out_hi].copy()
    st = np.zeros((1, N_STATS))
    train_chunks(Wk, Ck, batch.ids, batch.offsets, bounds, np.zeros(1), 1.0, vocab.keep_prob,
                 params, tables, states.copy(), st)
    Wn, Cn = W.astype(np.float64), C.astype(np.float64)
    (pairs, _, loss), _ = naive.train_chunk(Wn, Cn, batch.ids, batch.offsets, 0, bounds[1], 0.0,
                                            1.0, vocab.keep_prob, params, tables,
                                            (int(states[0]), int(states[1])))
    assert st[0, STAT_PAIRS] == pairs > 0
    np.testing.assert_allclose(Wk, Wn[in_lo:in_hi], rtol=2e-4, atol=2e-6)
    np.testing.assert_allclose(Ck, Cn[out_lo:out_hi], rtol=2e-4, atol=2e-6)
    # rows outside the cell are untouched by the reference too
    np.testing.assert_array_equal(Wn[in_hi:], W[in_hi:].astype(np.float64))


def test_update_is_the_sgns_gradient_by_finite_differences():
    """One tiny batch with a small lr moves (W, C) by lr × ∇J, J the summed SGNS objective."""
    rng = np.random.default_rng(3)
    n, d = 4, 5
    W = rng.normal(0, 0.5, (n, d)).astype(np.float32)
    C = rng.normal(0, 0.5, (n, d)).astype(np.float32)
    vocab = Vocab(["a", "b", "c", "d"], [4, 3, 2, 1], subsample=0)
    # Every negative comes from the one-element candidate list of the positive target, so the
    # negatives are fully known whatever the random stream: a -> (c, c), b -> (d, d).
    negs_of = {0: [2, 2], 1: [3, 3]}
    indptr = np.array([0, 1, 2, 2, 2], dtype=np.int64)
    cand = np.array([2, 3], dtype=np.int32)
    tables = make_tables(np.ones(n), cand_indptr=indptr, cand_ids=cand, cand_mix=1.0)
    batch = make_batch([np.array([0, 1], dtype=np.int32)])  # pairs (ctx 1 -> a), (ctx 0 -> b)
    lr = 1e-4
    params = _params(window=1, negative=2, shrink_window=False, lr0=lr, min_lr=lr)
    Wk, Ck = W.copy(), C.copy()
    stats_k = np.zeros((1, N_STATS))
    train_chunks(Wk, Ck, batch.ids, batch.offsets, np.array([0, 1]), np.zeros(1), 1.0,
                 vocab.keep_prob, params, tables, engine_states(1, 0, 0, 1), stats_k)

    def objective(flat):
        Wx = flat[: n * d].reshape(n, d)
        Cx = flat[n * d:].reshape(n, d)
        total = 0.0
        for centre, ctx in ((0, 1), (1, 0)):  # input = context's v, output = centre's u
            total += naive.sgns_objective(Wx[ctx], Cx[centre], Cx[negs_of[centre]])
        return total

    x0 = np.concatenate([W.ravel(), C.ravel()]).astype(np.float64)
    eps = 1e-6
    grad = np.array([(objective(x0 + eps * e) - objective(x0 - eps * e)) / (2 * eps)
                     for e in np.eye(x0.size)])
    step = np.concatenate([(Wk - W).ravel(), (Ck - C).ravel()]).astype(np.float64) / lr
    assert np.abs(grad).max() > 0.1
    np.testing.assert_allclose(step, grad, rtol=2e-2, atol=2e-3)
    # the loss the kernel reports is -J at the starting point (up to the tiny step)
    assert stats_k[0, 0] == pytest.approx(-objective(x0), rel=1e-3)


@njit(cache=True)
def _draw_many(tables, state, n):
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        out[i] = alias_draw(tables, state, 0)
    return out


@pytest.mark.parametrize("power", [0.0, 0.5, 0.75, 1.0, -0.5])
def test_alias_draws_follow_unigram_power_chi_square(power):
    counts = np.array([500, 200, 120, 60, 30, 20, 10, 5, 3, 1])
    vocab = Vocab([str(i) for i in range(counts.size)], counts)
    tables = Unigram(power).tables(vocab)
    expected_p = counts.astype(float) ** power / (counts.astype(float) ** power).sum()
    np.testing.assert_allclose(alias_probabilities(tables.alias_prob, tables.alias_idx),
                               expected_p, rtol=1e-12)
    n = 200_000
    draws = _draw_many(tables, np.array([987654321], dtype=np.uint64), n)
    observed = np.bincount(draws, minlength=counts.size)
    p = stats.chisquare(observed, expected_p * n).pvalue
    assert p > 1e-4, (power, observed, expected_p * n)


def test_alias_chi_square_detects_a_wrong_distribution():
    """The chi-square check above has power: draws from α=0.75 fail against α=1."""
    counts = np.array([500, 200, 120, 60, 30, 20, 10, 5, 3, 1])
    vocab = Vocab([str(i) for i in range(counts.size)], counts)
    draws = _draw_many(Unigram(0.75).tables(vocab), np.array([42], dtype=np.uint64), 200_000)
    wrong = counts / counts.sum()
    assert stats.chisquare(np.bincount(draws, minlength=10), wrong * 200_000).pvalue < 1e-6


def test_build_alias_table_rejects_bad_weights():
    for bad in ([], [0.0, 0.0], [1.0, np.nan], [1.0, -1.0]):
        with pytest.raises(ValueError):
            build_alias_table(np.array(bad, dtype=float))


def test_keep_probability_formula():
    counts = np.array([10_000, 1_000, 100, 10, 1])
    total = counts.sum()
    t = 1e-3
    f = counts / total
    expected = np.minimum(1.0, np.sqrt(t / f) + t / f)
    np.testing.assert_allclose(keep_probability(counts, t), expected, rtol=1e-6)
    assert np.all(keep_probability(counts, 0.0) == 1.0)
    with pytest.raises(ValueError):
        keep_probability(counts, -1.0)


def test_observed_keep_rate_matches_keep_probability():
    counts = np.array([40_000, 20_000, 5_000, 1_000, 200])
    vocab = Vocab([str(i) for i in range(5)], counts, subsample=1e-3)
    rng = np.random.default_rng(0)
    ids = rng.permutation(np.repeat(np.arange(5), counts)).astype(np.int32)
    # one id per sequence: no pairs, so only the subsampling decision is exercised
    offsets = np.arange(ids.size + 1, dtype=np.int64)
    kept = np.zeros(5)
    for w in range(5):  # count per word by masking the others out
        masked = np.where(ids == w, ids, -1).astype(np.int32)
        st = np.zeros((1, N_STATS))
        W, C = init_weights(5, 4, 0)
        train_chunks(W, C, masked, offsets, np.array([0, ids.size]), np.zeros(1), 1.0,
                     vocab.keep_prob, _params(lr0=0.0, min_lr=0.0), Unigram().tables(vocab),
                     engine_states(7, 0, w, 1), st)
        kept[w] = st[0, STAT_WORDS]
    p = vocab.keep_prob.astype(float)
    sd = np.sqrt(counts * p * (1 - p)) + 1e-9
    z = (kept - counts * p) / sd
    assert np.all(np.abs(z) < 4.5), (kept, counts * p)
    assert p[0] < 0.1 < 0.9 < p[-1]  # the test spans strong and no subsampling


def test_chunk_bounds_cover_all_sequences():
    offsets = np.array([0, 5, 5, 30, 31, 60, 100], dtype=np.int64)
    for cw in (1, 10, 35, 1000):
        b = chunk_bounds(offsets, cw)
        assert b[0] == 0 and b[-1] == offsets.size - 1
        assert np.all(np.diff(b) > 0)
