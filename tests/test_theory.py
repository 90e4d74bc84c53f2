"""Tests for embedkit.theory: co-occurrence counts, PMI family, SVD, the implicit-matrix claim."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from embedkit.contexts.base import make_batch
from embedkit.contexts.text import TextCorpus
from embedkit.embeddings import Embeddings
from embedkit.engine import EngineConfig, train
from embedkit.samplers import Unigram
from embedkit.theory import (
    ZipfCorpus,
    compare_spectra,
    context_distribution,
    cooccurrence_matrix,
    implicit_matrix_report,
    implicit_pairs,
    implicit_spectrum,
    pmi_matrix,
    ppmi_matrix,
    sppmi_matrix,
    svd_embeddings,
    window_weights,
)
from embedkit.theory.svd import truncated_svd
from embedkit.vocab import Vocab


class ListCorpus:
    """A minimal ContextGenerator over fixed id lists (ids may be -1), several batches."""

    def __init__(self, seqs, vocab, per_batch=2):
        self.seqs, self.vocab, self.per_batch = seqs, vocab, per_batch

    def build_vocab(self, *, min_count=1, max_vocab_size=None, subsample=0.0):
        return self.vocab

    def tokens_per_epoch(self, vocab):
        return sum(len(s) for s in self.seqs)

    def batches(self, vocab, *, epoch=0, seed=0):
        for i in range(0, len(self.seqs), self.per_batch):
            yield make_batch([np.asarray(s, np.int32) for s in self.seqs[i:i + self.per_batch]])


def _random_corpus(seed=0, n_vocab=6, n_seq=12, oov=True):
    rng = np.random.default_rng(seed)
    seqs = []
    for _ in range(n_seq):
        s = rng.integers(0, n_vocab, rng.integers(1, 15))
        if oov:
            s[rng.random(s.size) < 0.15] = -1
        seqs.append(s.tolist())
    counts = np.bincount([t for s in seqs for t in s if t >= 0], minlength=n_vocab)
    order = np.argsort(-counts, kind="stable")
    relabel = np.empty(n_vocab, int)
    relabel[order] = np.arange(n_vocab)
    seqs = [[int(relabel[t]) if t >= 0 else -1 for t in s] for s in seqs]
    return seqs, np.maximum(counts[order], 1)


def _naive_counts(seqs, n, window, shrink, keep=None, mode="dirty"):
    """Expected pair counts by brute force: enumerate every keep/drop pattern of each sequence."""
    out = np.zeros((n, n))
    wt = window_weights(window, shrink)
    for s in seqs:
        toks = [t for t in s if t >= 0]
        if keep is None:
            for i in range(len(toks)):
                for j in range(len(toks)):
                    d = abs(i - j)
                    if 0 < d <= window:
                        out[toks[j], toks[i]] += wt[d]
            continue
        m = len(toks)
        for pattern in range(1 << m):
            kept = [(pos, toks[pos]) for pos in range(m) if pattern >> pos & 1]
            prob = np.prod([keep[toks[pos]] if pattern >> pos & 1 else 1 - keep[toks[pos]]
                            for pos in range(m)])
            if prob == 0:
                continue
            for i, (pi, ti) in enumerate(kept):
                for j, (pj, tj) in enumerate(kept):
                    d = abs(i - j) if mode == "dirty" else abs(pi - pj)
                    if 0 < d <= window:
                        out[tj, ti] += prob * wt[d]
    return out


@pytest.mark.parametrize("window,shrink", [(1, True), (3, True), (3, False), (5, True)])
def test_counts_equal_naive_count_with_exact_window_weights(window, shrink):
    seqs, counts = _random_corpus(1)
    vocab = Vocab(list(range(6)), counts, subsample=0.0)
    gen = ListCorpus(seqs, vocab)
    got = cooccurrence_matrix(gen, vocab, window=window, shrink_window=shrink, buffer_pairs=7)
    want = _naive_counts(seqs, 6, window, shrink)
    np.testing.assert_allclose(got.toarray(), want, rtol=1e-12, atol=1e-12)
    assert sp.isspmatrix_csr(got) or isinstance(got, sp.csr_matrix)
    np.testing.assert_allclose(got.toarray(), got.toarray().T)


@pytest.mark.parametrize("mode", ["dirty", "clean"])
def test_subsampled_counts_equal_exhaustive_expectation(mode):
    rng = np.random.default_rng(5)
    seqs = [rng.integers(0, 4, rng.integers(2, 9)).tolist() for _ in range(6)]
    counts = np.sort(np.bincount([t for s in seqs for t in s], minlength=4))[::-1]
    vocab = Vocab(list(range(4)), np.maximum(counts, 1), subsample=0.0)
    keep = np.array([0.3, 0.55, 0.8, 1.0])
    vocab.keep_prob = keep.astype(np.float32)
    got = cooccurrence_matrix(ListCorpus(seqs, vocab), vocab, window=2, subsampling=mode)
    want = _naive_counts(seqs, 4, 2, True, keep=vocab.keep_prob.astype(np.float64), mode=mode)
    np.testing.assert_allclose(got.toarray(), want, rtol=1e-9, atol=1e-12)
    off = cooccurrence_matrix(ListCorpus(seqs, vocab), vocab, window=2, subsampling="off")
    np.testing.assert_allclose(off.toarray(), _naive_counts(seqs, 4, 2, True), atol=1e-12)


def test_expected_pairs_match_the_engine_monte_carlo():
    """The engine's own pair count, averaged over epochs, converges to the matrix total."""
    corpus = ZipfCorpus(12, 3000, sentence_length=15, seed=2)
    vocab = corpus.build_vocab(min_count=1, subsample=0.02)
    assert vocab.keep_prob.min() < 0.6  # subsampling really acts
    m = cooccurrence_matrix(corpus, vocab, window=3)
    cfg = EngineConfig(dim=2, window=3, negative=1, epochs=60, lr=0.0, min_lr=0.0,
                       compute_loss=False)
    _, _, hist = train(corpus, vocab, Unigram(), cfg, seed=4, threads=1, progress=False)
    pairs = np.array([h.pairs for h in hist], float)
    se = pairs.std(ddof=1) / np.sqrt(pairs.size)
    assert abs(pairs.mean() - m.sum()) < 4 * se + 1e-9
    assert abs(pairs.mean() - m.sum()) / m.sum() < 0.01
    # "clean" and "off" give clearly different totals: the test can tell them apart
    clean = cooccurrence_matrix(corpus, vocab, window=3, subsampling="clean").sum()
    assert abs(clean - pairs.mean()) > 10 * se


def test_counts_from_text_corpus_and_validation():
    corpus = TextCorpus(["a b c", "c b a d"], batch_words=3)
    vocab = corpus.build_vocab(min_count=2, max_vocab_size=None, subsample=0.0)  # d is OOV
    m = cooccurrence_matrix(corpus, vocab, window=1).toarray()
    ids = vocab.key_to_index
    assert m[ids["a"], ids["b"]] == 2 and m[ids["a"], ids["c"]] == 0
    with pytest.raises(ValueError, match="subsampling"):
        cooccurrence_matrix(corpus, vocab, subsampling="maybe")
    with pytest.raises(ValueError, match="window"):
        cooccurrence_matrix(corpus, vocab, window=0)


def _dense_pmi(m, alpha=1.0, ctx=None, shift=1.0):
    m = np.asarray(m, float)
    row = m.sum(1)
    c = m.sum(0) if ctx is None else np.asarray(ctx, float)
    pc = c ** alpha / (c ** alpha).sum()
    out = np.full(m.shape, -np.inf)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m[i, j] > 0:
                out[i, j] = np.log(m[i, j] * m.sum() / (row[i] * m.sum() * pc[j])) - np.log(shift)
    return out


@pytest.mark.parametrize("alpha", [1.0, 0.75, 0.0])
def test_pmi_family_matches_dense_reference(alpha):
    rng = np.random.default_rng(3)
    m = rng.poisson(2.0, (7, 7)).astype(float)
    m = m + m.T
    ref = _dense_pmi(m, alpha)
    got = pmi_matrix(sp.csr_matrix(m), alpha=alpha)
    np.testing.assert_allclose(pmi_matrix(m, alpha=alpha, dense=True), ref, atol=1e-12)
    assert got.nnz == np.count_nonzero(m)
    mask = m > 0
    np.testing.assert_allclose(got.toarray()[mask], ref[mask], atol=1e-12)
    np.testing.assert_allclose(ppmi_matrix(m, alpha=alpha).toarray(),
                               np.where(mask, np.maximum(ref, 0), 0), atol=1e-12)
    np.testing.assert_allclose(sppmi_matrix(m, 5, alpha=alpha).toarray(),
                               np.where(mask, np.maximum(ref - np.log(5), 0), 0), atol=1e-12)
    ctx = np.arange(1, 8)
    np.testing.assert_allclose(pmi_matrix(m, alpha=alpha, context_counts=ctx, dense=True),
                               _dense_pmi(m, alpha, ctx), atol=1e-12)
    np.testing.assert_allclose(context_distribution(m, alpha).sum(), 1.0)


def test_pmi_rejects_bad_input():
    with pytest.raises(ValueError, match="square"):
        pmi_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        pmi_matrix(np.array([[1.0, -1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="context_counts"):
        pmi_matrix(np.ones((2, 2)), context_counts=[1.0, 2.0, 3.0])


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_svd_embeddings_match_numpy_svd(p):
    rng = np.random.default_rng(7)
    a = rng.random((30, 30))
    m = sppmi_matrix(a + a.T, 1)
    u, s, vt = np.linalg.svd(m.toarray())
    emb = svd_embeddings(m, [f"w{i}" for i in range(30)], dim=5, eig_weight=p)
    assert isinstance(emb, Embeddings)
    ref = u[:, :5] * s[:5] ** p
    got = emb.vectors.astype(float)
    signs = np.sign(np.sum(got * ref, axis=0))
    np.testing.assert_allclose(got, ref * signs, atol=1e-5)
    np.testing.assert_allclose(emb.vectors @ emb.context_vectors.T,
                               (u[:, :5] * s[:5]) @ vt[:5], atol=1e-5)
    np.testing.assert_allclose(implicit_spectrum(emb), s[:5], rtol=1e-5)
    small = svd_embeddings(np.diag([3.0, 2.0, 1.0]), ["a", "b", "c"], dim=3, eig_weight=p)
    np.testing.assert_allclose(np.sort(np.abs(small.vectors).max(0))[::-1],
                               np.array([3.0, 2.0, 1.0]) ** p, rtol=1e-6)
    with pytest.raises(ValueError, match="dim"):
        svd_embeddings(m, list(range(30)), dim=31)
    factors = truncated_svd(m, 5)
    again = svd_embeddings(m, [f"w{i}" for i in range(30)], eig_weight=p, svd=factors)
    np.testing.assert_allclose(again.vectors, emb.vectors, atol=1e-6)
    with pytest.raises(ValueError, match="svd must be"):
        svd_embeddings(m, [f"w{i}" for i in range(30)], svd=(factors[0][:3], *factors[1:]))


def test_implicit_claim_sgns_factorises_shifted_pmi():
    """Trained to convergence, v.u tracks PMI - log k and the shift moves by log(15/5)."""
    corpus = ZipfCorpus(20, 30_000, n_topics=4, exponent=0.7, sentence_length=10, seed=3)
    vocab = corpus.build_vocab(min_count=1, subsample=0.0)
    counts = cooccurrence_matrix(corpus, vocab, window=2, shrink_window=False)
    frequent = np.quantile(counts.data, 0.5)
    reports = {}
    for k in (5, 15):
        cfg = EngineConfig(dim=20, window=2, negative=k, shrink_window=False, epochs=20,
                           lr=0.02, min_lr=1e-4, compute_loss=False)
        W, C, _ = train(corpus, vocab, Unigram(1.0), cfg, seed=0, threads=1, progress=False)
        reports[k] = implicit_matrix_report((W, C), counts, k=k, alpha=1.0,
                                            context_counts=vocab.counts, min_count=frequent)
        assert reports[k].pearson > 0.95 and reports[k].spearman > 0.9
        exact = implicit_matrix_report((W, C), counts, k=k, context_counts=vocab.counts,
                                       min_count=frequent, skip_equal_negatives=True)
        assert abs(exact.mean_error) < abs(reports[k].mean_error)
        assert abs(exact.mean_error) < 0.03
    shift = reports[15].offset - reports[5].offset
    assert abs(shift - np.log(3)) < 0.1
    # an untrained model does not satisfy the claim: the test can fail
    rng = np.random.default_rng(0)
    noise = implicit_matrix_report((rng.normal(size=W.shape), rng.normal(size=W.shape)), counts,
                                   k=5, context_counts=vocab.counts, min_count=frequent)
    assert noise.pearson < 0.5
    bins = reports[5].by_frequency
    assert list(bins.columns[:4]) == ["bin", "min_count", "max_count", "n_pairs"]
    assert bins["n_pairs"].sum() == reports[5].n_pairs


def test_implicit_pairs_and_spectra_helpers():
    W = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    counts = np.array([[0.0, 2.0, 1.0], [2.0, 0.0, 3.0], [1.0, 3.0, 0.0]])
    df = implicit_pairs((W, W), counts, k=2)
    np.testing.assert_allclose(df["dot"], np.einsum("ij,ij->i", W[df.w], W[df.c]))
    np.testing.assert_allclose(df["target"], _dense_pmi(counts)[df.w, df.c] - np.log(2))
    np.testing.assert_allclose(implicit_spectrum((W, W)),
                               np.linalg.svd(W @ W.T, compute_uv=False)[:2])
    tab = compare_spectra({"a": (W, W), "b": (W, 2 * W)}, normalise=True)
    assert tab.shape == (2, 2) and np.allclose(tab.iloc[0], 1.0)
    with pytest.raises(ValueError, match="context_vectors"):
        implicit_spectrum(Embeddings(W, ["x", "y", "z"]))
