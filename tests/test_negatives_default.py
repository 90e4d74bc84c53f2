"""Issue 14: graphs and k-mers default to per-pair negatives, text keeps shared negatives.

Per-pair negatives (k fresh negatives for every (centre, context) pair, window marker
``SgPairs``) are what word2vec.c, gensim and PecanPy do; shared negatives (one set per centre
window) are faster but cost k-mer alignment agreement (0.472 against 0.489 on E. coli, 3 seeds)
and, on a held-out lexical graph, node-classification macro-F1 (see
``benchmarks/quality_by_negatives.py`` and the README's "Which negatives?").
"""

from __future__ import annotations

import naive
import networkx as nx
import numba
import numpy as np
import pytest
from controls import ENGINE, check_quality, group_separation

from embedkit import DeepWalk, Kmer2Vec, Metapath2Vec, Node2Vec, Word2Vec
from embedkit.cli import build_parser
from embedkit.cli.text import sgns_params
from embedkit.contexts.base import make_batch
from embedkit.engine.kernels import N_STATS, STAT_PAIRS, KernelParams, train_chunks
from embedkit.engine.modes import SgPairs, SgPairs6, SgShared6
from embedkit.engine.objectives import kernel_mode
from embedkit.eval.graphs import node_classification
from embedkit.rng import engine_states
from embedkit.samplers import Unigram, make_tables
from embedkit.vocab import Vocab

FAST = dict(dim=16, walk_length=20, walks_per_node=8, window=5, progress=False)


@pytest.mark.parametrize("cls", [Node2Vec, DeepWalk, Metapath2Vec, Kmer2Vec])
def test_graph_and_kmer_models_default_to_per_pair(cls):
    assert cls().get_params()["shared_negatives"] is False


def test_text_keeps_shared_negatives():
    assert Word2Vec().get_params()["shared_negatives"] is True


@pytest.mark.parametrize(("argv", "default"), [
    (["train", "text", "c.txt", "-o", "v.npz"], True),
    (["train", "graph", "e.txt", "-o", "v.npz"], False),
    (["train", "kmers", "s.fa", "-o", "v.npz"], False),
])
def test_cli_negatives_flags(argv, default, capsys):
    parser = build_parser()
    assert sgns_params(parser.parse_args(argv))["shared_negatives"] is default
    assert sgns_params(parser.parse_args([*argv, "--shared-negatives"]))["shared_negatives"]
    assert not sgns_params(parser.parse_args([*argv, "--per-pair-negatives"]))[
        "shared_negatives"]
    with pytest.raises(SystemExit):
        parser.parse_args([*argv, "--shared-negatives", "--per-pair-negatives"])
    assert "not allowed with" in capsys.readouterr().err


def test_default_fit_is_the_per_pair_fit():
    """The default reaches the engine: one thread + seed, bit-identical to an explicit
    ``shared_negatives=False`` fit and different from a shared-negatives fit."""
    G = nx.karate_club_graph()
    kw = dict(**FAST, threads=1, random_state=3)
    default = Node2Vec(**kw).fit(G).embeddings_.vectors
    pairs = Node2Vec(**kw, shared_negatives=False).fit(G).embeddings_.vectors
    shared = Node2Vec(**kw, shared_negatives=True).fit(G).embeddings_.vectors
    np.testing.assert_array_equal(default, pairs)
    assert not np.array_equal(default, shared)


@pytest.mark.parametrize("control", ENGINE)
def test_default_recovers_planted_communities(control):
    """Default Node2Vec on a planted partition (8 groups of 30, p_in 0.2, p_out 0.01).

    One thread, seed 0: cosine group separation 0.25 and macro-F1 0.98 at a 50 % split.
    Controls (tests/controls.py): flipped gradients, shuffled walks and frozen vectors
    separate 0.00 with F1 0.10-0.12 (8 balanced classes: chance is 0.125); no negatives
    separates only 0.06 (its F1 stays 0.89: a classifier on standardised features still
    finds communities in collapsed vectors, hence the cosine separation is asserted too).
    """
    G = nx.planted_partition_graph(8, 30, 0.2, 0.01, seed=4)
    labels = {n: n // 30 for n in G}

    def run():
        model = Node2Vec(**FAST, subsample=0.0, threads=1, random_state=0).fit(G)
        res = node_classification(model, labels, train_ratios=[0.5], n_repeats=3)
        return group_separation(model.embeddings_, labels), float(res.loc[0.5, "macro_f1"])

    check_quality(control, run, lambda r: r[0] > 0.15 and r[1] > 0.9)


def _params(**kw) -> KernelParams:
    base = dict(window=3, negative=5, sg=True, shrink_window=True, shared_negatives=False,
                cbow_mean=True, lr0=0.05, min_lr=0.001, total_words=500.0, compute_loss=True)
    return KernelParams(**(base | kw))


def test_per_pair_k5_takes_the_fused_window():
    vocab = Vocab(["a", "b", "c"], np.array([5, 3, 2]))
    plain = Unigram(0.75).tables(vocab)
    assert type(kernel_mode(_params(), plain).window) is SgPairs6
    assert type(kernel_mode(_params(negative=3), plain).window) is SgPairs
    assert type(kernel_mode(_params(shared_negatives=True), plain).window) is SgShared6
    pooled = make_tables(Unigram().weights(vocab), pool=4)  # pools need the scalar window
    assert type(kernel_mode(_params(), pooled).window) is SgPairs


@pytest.mark.parametrize(("n_vocab", "kw"), [
    (3, {}),  # 3 tokens, 5 negatives: nearly every pair repeats an output row
    (3, dict(shrink_window=False, compute_loss=False)),
    (40, dict(window=5)),
    (12, dict(in_lo=2, in_hi=9, out_lo=4, out_hi=12, neg_scale=0.7)),  # a block cell
])
def test_fused_per_pair_window_matches_reference(n_vocab, kw):
    """The fused k = 5 window against ``naive.train_chunk``, repeated output rows included
    (a negative equal to the centre or to another negative: the fused pass must not lose the
    earlier copy's update)."""
    rng = np.random.default_rng(n_vocab)
    counts = np.sort(rng.integers(1, 60, size=n_vocab))[::-1]
    vocab = Vocab([f"w{i}" for i in range(n_vocab)], counts, subsample=0.02)
    seqs = [rng.choice(n_vocab, size=rng.integers(1, 16)).astype(np.int32) for _ in range(10)]
    batch = make_batch(seqs)
    W = (rng.random((n_vocab, 8)) - 0.5).astype(np.float32)
    C = (rng.random((n_vocab, 8)) - 0.5).astype(np.float32) * 0.3
    params = _params(**kw)
    out_lo, out_hi = params.out_lo, min(params.out_hi, n_vocab)
    tables = Unigram(0.75).tables(Vocab(vocab.index_to_key[out_lo:out_hi],
                                        vocab.counts[out_lo:out_hi]))
    assert type(kernel_mode(params, tables).window) is SgPairs6
    bounds = np.array([0, 4, batch.offsets.size - 1], dtype=np.int64)
    chunk_pos = batch.offsets[bounds[:-1]].astype(np.float64)
    states = engine_states(7, 0, 0, 2)
    Wk = W[params.in_lo:min(params.in_hi, n_vocab)].copy()
    Ck = C[out_lo:out_hi].copy()
    stats = np.zeros((2, N_STATS))
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        train_chunks(Wk, Ck, batch.ids, batch.offsets, bounds, chunk_pos, 1.0, vocab.keep_prob,
                     params, tables, states.copy(), stats)
    finally:
        numba.set_num_threads(old)
    Wn, Cn = W.astype(np.float64), C.astype(np.float64)
    pairs = loss = 0.0
    for c in range(2):
        (p, _, l_), _ = naive.train_chunk(
            Wn, Cn, batch.ids, batch.offsets, bounds[c], bounds[c + 1], chunk_pos[c], 1.0,
            vocab.keep_prob, params, tables, (int(states[2 * c]), int(states[2 * c + 1])))
        pairs += p
        loss += l_
    assert stats[:, STAT_PAIRS].sum() == pairs > 0
    assert not np.allclose(Ck, C[out_lo:out_hi])
    np.testing.assert_allclose(Wk, Wn[params.in_lo:min(params.in_hi, n_vocab)], rtol=2e-4,
                               atol=2e-6)
    np.testing.assert_allclose(Ck, Cn[out_lo:out_hi], rtol=2e-4, atol=2e-6)
    if params.compute_loss:
        np.testing.assert_allclose(stats[:, 0].sum(), loss, rtol=1e-5)


def test_fused_per_pair_is_bit_identical_with_one_thread_and_a_seed():
    seqs = ["ACGTTGCAAGGCTTACGATCGATCGGATCCA" * 6, "TTGACCGGTAACGTAGCTAGCATCGAT" * 5]
    kw = dict(k=3, dim=16, window=5, negative=5, epochs=2, threads=1, progress=False)
    a = Kmer2Vec(**kw, random_state=5).fit(seqs).embeddings_.vectors
    b = Kmer2Vec(**kw, random_state=5).fit(seqs).embeddings_.vectors
    c = Kmer2Vec(**kw, random_state=6).fit(seqs).embeddings_.vectors
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
