"""Tests for the softmax / NCE objectives, the one-window kernel wrapper and the timing utility."""

from __future__ import annotations

import numpy as np
import pytest

from embedkit.engine import EngineConfig, KernelParams, train
from embedkit.engine.kernels import N_STATS, STAT_LOSS, STAT_PAIRS, train_chunks
from embedkit.engine.modes import Nce, Softmax
from embedkit.engine.objectives import OBJECTIVES, get_objective
from embedkit.engine.softmax import noise_log_kq
from embedkit.engine.window import train_window
from embedkit.rng import engine_states
from embedkit.samplers import Unigram, alias_probabilities, make_tables
from embedkit.theory import ZipfCorpus, cooccurrence_matrix, time_per_update


def _params(lr, negative=2, window=1):
    return KernelParams(window=window, negative=negative, sg=True, shrink_window=False,
                        shared_negatives=False, cbow_mean=True, lr0=lr, min_lr=lr,
                        total_words=1.0, compute_loss=True)


def _run(objective, W, C, seq, lr, tables, negative=2, seed=0):
    ids = np.asarray(seq, np.int32)
    offsets = np.array([0, ids.size], np.int64)
    stats = np.zeros((1, N_STATS))
    train_chunks(W, C, ids, offsets, np.array([0, 1], np.int64), np.zeros(1), 1.0,
                 np.ones(W.shape[0], np.float32), _params(lr, negative), tables,
                 engine_states(seed, 0, 0, 1), stats, objective=objective)
    return stats[0]


def _log_softmax_objective(W, C, pairs):
    """sum over (input, output) pairs of log p(output | input), float64."""
    total = 0.0
    for i, o in pairs:
        s = C @ W[i]
        total += s[o] - np.log(np.exp(s - s.max()).sum()) - s.max()
    return total


def test_registry_has_softmax_and_nce():
    assert OBJECTIVES["softmax"].window is Softmax
    assert get_objective("nce").window is Nce
    assert not get_objective("nce").table_samplers and get_objective("ns").cbow
    with pytest.raises(ValueError, match="unknown objective"):
        get_objective("hs")


def test_softmax_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    n, d = 5, 3
    W0 = rng.normal(0, 0.5, (n, d))
    C0 = rng.normal(0, 0.5, (n, d))
    W, C = W0.astype(np.float32), C0.astype(np.float32)
    lr = 1e-3
    seq = [1, 3]  # trains (input 3 -> output 1) and (input 1 -> output 3)
    stats = _run("softmax", W, C, seq, lr, make_tables(np.ones(n)))
    pairs = [(3, 1), (1, 3)]
    # the reference works on the float32 starting point the kernel saw
    W0, C0 = W0.astype(np.float32).astype(float), C0.astype(np.float32).astype(float)
    eps = 1e-6
    for M, upd in ((W0, W), (C0, C)):
        grad = np.zeros_like(M)
        for idx in np.ndindex(M.shape):
            old = M[idx]
            M[idx] = old + eps
            up = _log_softmax_objective(W0, C0, pairs)
            M[idx] = old - eps
            down = _log_softmax_objective(W0, C0, pairs)
            M[idx] = old
            grad[idx] = (up - down) / (2 * eps)
        step = (upd.astype(float) - M) / lr
        np.testing.assert_allclose(step, grad, rtol=2e-2, atol=2e-3)
        assert np.abs(grad).max() > 0.05
    assert stats[STAT_PAIRS] == 2
    np.testing.assert_allclose(stats[STAT_LOSS], -_log_softmax_objective(W0, C0, pairs),
                               rtol=1e-2)


def _corpus():
    corpus = ZipfCorpus(15, 20_000, n_topics=3, exponent=0.7, sentence_length=10, seed=5)
    return corpus, corpus.build_vocab(min_count=1, subsample=0.0)


def test_softmax_converges_to_conditional_entropy():
    """The trained model's cross-entropy on the expected pair counts reaches H(out | in)."""
    corpus = ZipfCorpus(15, 20_000, n_topics=4, exponent=1.0, sentence_length=10, seed=5)
    vocab = corpus.build_vocab(min_count=1, subsample=0.0)
    counts = cooccurrence_matrix(corpus, vocab, window=2, shrink_window=False).toarray()
    cond = counts / counts.sum(axis=1, keepdims=True)  # P(output | input)
    entropy = -(counts * np.log(np.where(counts > 0, cond, 1))).sum() / counts.sum()
    marginal = counts.sum(axis=0) / counts.sum()
    unigram_entropy = -(marginal * np.log(marginal)).sum()
    assert unigram_entropy - entropy > 0.05  # the target is informative
    cfg = EngineConfig(dim=15, window=2, shrink_window=False, epochs=8, lr=0.02, min_lr=1e-4,
                       objective="softmax")
    W, C, hist = train(corpus, vocab, Unigram(), cfg, seed=0, threads=1, progress=False)
    s = W.astype(float) @ C.astype(float).T
    log_p = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    cross_entropy = -(counts * log_p).sum() / counts.sum()
    assert cross_entropy == pytest.approx(entropy, abs=0.005)
    assert hist[-1].loss == pytest.approx(entropy, abs=0.02)  # the kernel's own loss tally


def test_nce_learns_self_normalised_log_probabilities():
    corpus, vocab = _corpus()
    counts = cooccurrence_matrix(corpus, vocab, window=2, shrink_window=False).toarray()
    cfg = EngineConfig(dim=15, window=2, negative=10, shrink_window=False, epochs=15, lr=0.02,
                       min_lr=1e-4, objective="nce")
    W, C, hist = train(corpus, vocab, Unigram(1.0), cfg, seed=0, threads=1, progress=False)
    logp = np.log(counts / counts.sum(axis=1, keepdims=True))
    dots = W.astype(float) @ C.astype(float).T
    freq = counts > np.quantile(counts, 0.5)
    assert np.corrcoef(dots[freq], logp[freq])[0, 1] > 0.9
    assert abs(np.mean(dots[freq] - logp[freq])) < 0.15  # self-normalised: no free shift
    # the log partition function is close to 0 for every input word
    logz = np.log(np.exp(dots).sum(axis=1))
    assert np.abs(logz).max() < 0.25


def test_noise_log_kq_matches_alias_probabilities():
    w = np.array([5.0, 1.0, 3.0, 0.5])
    t = make_tables(w)
    np.testing.assert_allclose(noise_log_kq(t.alias_prob, t.alias_idx, 5.0),
                               np.log(5 * alias_probabilities(t.alias_prob, t.alias_idx)),
                               rtol=1e-6)


@pytest.mark.parametrize("objective", ["softmax", "nce"])
def test_objectives_are_deterministic_and_validate(objective):
    corpus, vocab = _corpus()
    cfg = EngineConfig(dim=4, epochs=1, objective=objective)
    a = train(corpus, vocab, Unigram(), cfg, seed=3, threads=1, progress=False)[0]
    b = train(corpus, vocab, Unigram(), cfg, seed=3, threads=1, progress=False)[0]
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="skip-gram"):
        train(corpus, vocab, Unigram(), EngineConfig(dim=4, epochs=1, sg=False,
                                                     objective=objective),
              seed=0, threads=1, progress=False)


def test_nce_rejects_tables_that_change_the_noise_distribution():
    W = np.zeros((3, 2), np.float32)
    tables = make_tables(np.ones(3), cand_indptr=[0, 1, 1, 1], cand_ids=[2], cand_mix=0.5)
    with pytest.raises(ValueError, match="noise probability"):
        _run("nce", W, W.copy(), [0, 1], 0.1, tables)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_one_window_update_is_the_closed_form_sgns_step():
    """Pair (b -> a): input v_b, output u_a, negatives b and c, one step of the engine's code."""
    a, b, c = 0, 1, 2
    rng = np.random.default_rng(1)
    W = rng.normal(0, 0.5, (3, 4)).astype(np.float32)
    C = rng.normal(0, 0.5, (3, 4)).astype(np.float32)
    tables = make_tables(np.ones(3), cand_indptr=[0, 2, 2, 2], cand_ids=[b, c], cand_mix=1.0)
    lr = 0.1
    for state in range(1, 50):
        W1, C1 = W.copy(), C.copy()
        out = train_window(W1, C1, np.array([a, b]), 0, 0, 2, lr=lr, params=_params(lr),
                           tables=tables, state=state)
        if sorted(out["targets"][1:].tolist()) == [b, c]:
            break
    assert out["targets"][0] == a and out["mask"].all()
    v, u = W.astype(float), C.astype(float)
    g = lr * np.array([1 - _sigmoid(v[b] @ u[a]), -_sigmoid(v[b] @ u[b]),
                       -_sigmoid(v[b] @ u[c])])
    np.testing.assert_allclose(W1[b], v[b] + g[0] * u[a] + g[1] * u[b] + g[2] * u[c],
                               rtol=1e-5, atol=1e-6)
    for t, x in zip((a, b, c), g, strict=True):
        np.testing.assert_allclose(C1[t], u[t] + x * v[b], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(W1[[a, c]], W[[a, c]])  # only the input row of b moves
    after_v, after_u = W1.astype(float), C1.astype(float)
    assert after_v[b] @ after_u[a] > v[b] @ u[a]
    assert after_v[b] @ after_u[b] < v[b] @ u[b]
    assert after_v[b] @ after_u[c] < v[b] @ u[c]


@pytest.mark.parametrize("n_vocab", [100, 1600])
def test_softmax_updates_every_output_row_and_negative_sampling_k_plus_one(n_vocab):
    """The cost per update, counted in output rows written rather than timed (timing belongs
    to benchmarks: examples/softmax_vs_negative_sampling.py prints the seconds per update).

    One two-word sentence gives two updates (window 1); every other word stands alone and
    trains nothing. The full softmax writes all |V| output rows, NCE and negative sampling at
    most 2 (k + 1), whatever |V| is.
    """
    from embedkit import Word2Vec

    words = [f"w{i}" for i in range(n_vocab)]
    sents = [words[:2]] + [[w] for w in words[2:]]
    written = {}
    for objective in ("ns", "nce", "softmax"):
        model = Word2Vec(dim=8, window=1, negative=5, epochs=1, min_count=1, subsample=0.0,
                         objective=objective, threads=1, random_state=0,
                         progress=False).fit(sents)
        assert model.epoch_stats_[0].pairs == 2
        written[objective] = int(np.any(model.embeddings_.context_vectors != 0, axis=1).sum())
    assert written["softmax"] == n_vocab, written
    assert 2 <= written["ns"] <= 2 * 6 and 2 <= written["nce"] <= 2 * 6, written


def test_time_per_update_reports_its_columns():
    df = time_per_update([50], ("ns", "softmax"), n_tokens=2000, dim=16, repeats=1)
    assert list(df.columns) == ["objective", "vocab_size", "tokens", "pairs", "seconds",
                                "us_per_update"]
    assert (df["pairs"] > 0).all() and (df["us_per_update"] > 0).all()
