"""In-process block training (``parallel="blocks"``): threads own disjoint rows."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from embedkit import Kmer2Vec, Word2Vec
from embedkit.engine.blocks import BlockTrainer
from embedkit.engine.kernels import STAT_PAIRS, STAT_WORDS, KernelParams, train_chunks
from embedkit.rng import engine_states
from embedkit.samplers import make_tables


def _lambda():
    from embedkit import datasets

    return datasets.lambda_genome_path()


def _fit(parallel, threads, **kw):
    params = dict(k=5, dim=16, epochs=2, random_state=3, progress=False)
    params.update(kw)
    return Kmer2Vec(parallel=parallel, threads=threads, **params).fit(_lambda())


def test_two_block_threads_are_bit_reproducible_and_train_every_pair_once():
    a = _fit("blocks", 2)
    b = _fit("blocks", 2)
    np.testing.assert_array_equal(a.embeddings_.vectors, b.embeddings_.vectors)
    np.testing.assert_array_equal(a.embeddings_.context_vectors, b.embeddings_.context_vectors)
    assert a.loss_history_ == b.loss_history_
    ref = _fit("hogwild", 1)
    # the same subsample, windows and hence pairs as one thread, split over the cells
    assert [s.pairs for s in a.epoch_stats_] == [s.pairs for s in ref.epoch_stats_]
    assert [s.trained_words for s in a.epoch_stats_] == \
        [s.trained_words for s in ref.epoch_stats_]
    assert not np.array_equal(a.embeddings_.vectors, ref.embeddings_.vectors)


def test_one_thread_blocks_is_the_hogwild_computation():
    a = _fit("blocks", 1)
    b = _fit("hogwild", 1)
    np.testing.assert_array_equal(a.embeddings_.vectors, b.embeddings_.vectors)


def test_one_block_trainer_matches_the_kernel_bit_for_bit():
    """BlockTrainer with K = 1 runs the cell kernels; they must equal train_chunks exactly."""
    rng = np.random.default_rng(0)
    n, d = 40, 16
    counts = np.sort(rng.integers(5, 200, n))[::-1].astype(np.int64)
    ids = rng.choice(n, size=3000, p=counts / counts.sum()).astype(np.int32)
    offsets = np.array([0, 700, 1500, 3000], dtype=np.int64)
    bounds = np.array([0, 1, 3], dtype=np.int64)
    keep = np.ones(n, dtype=np.float32)
    params = KernelParams(5, 5, True, True, True, True, 0.05, 1e-4, 3000.0, True)
    tables = make_tables(counts ** 0.75)
    W0 = rng.normal(0, 0.3, (n, d)).astype(np.float32)
    C0 = rng.normal(0, 0.3, (n, d)).astype(np.float32)
    pos = np.array([0.0, 700.0])
    W1, C1 = W0.copy(), C0.copy()
    stats = np.zeros((2, 6))
    old = numba.get_num_threads()
    numba.set_num_threads(1)  # chunks in turn, as the one cell runs them
    try:
        train_chunks(W1, C1, ids, offsets, bounds, pos, 1.0, keep, params, tables,
                     engine_states(9, 0, 0, 2), stats)
    finally:
        numba.set_num_threads(old)
    W2, C2 = W0.copy(), C0.copy()
    trainer = BlockTrainer(counts, keep, tables, params, 1)
    try:
        totals = trainer.train_batch(W2, C2, ids, offsets, bounds, pos, 1.0,
                                     engine_states(9, 0, 0, 2))
    finally:
        trainer.close()
    np.testing.assert_array_equal(W1, W2)
    np.testing.assert_array_equal(C1, C2)
    assert totals[STAT_PAIRS] == stats[:, STAT_PAIRS].sum()
    assert totals[STAT_WORDS] == stats[:, STAT_WORDS].sum()


def test_three_blocks_touch_only_their_rows_per_round():
    """Every pair once across the K*K cells; rows outside the vocabulary's blocks untouched."""
    rng = np.random.default_rng(1)
    n, d = 30, 8
    counts = np.sort(rng.integers(5, 100, n))[::-1].astype(np.int64)
    ids = rng.choice(n, size=2000, p=counts / counts.sum()).astype(np.int32)
    offsets = np.array([0, 2000], dtype=np.int64)
    bounds = np.array([0, 1], dtype=np.int64)
    keep = np.ones(n, dtype=np.float32)
    params = KernelParams(3, 5, True, True, True, True, 0.05, 1e-4, 2000.0, True)
    tables = make_tables(counts ** 0.75)
    W = rng.normal(0, 0.3, (n, d)).astype(np.float32)
    C = rng.normal(0, 0.3, (n, d)).astype(np.float32)
    ref_stats = np.zeros((1, 6))
    train_chunks(W.copy(), C.copy(), ids, offsets, bounds, np.zeros(1), 1.0, keep, params,
                 tables, engine_states(4, 0, 0, 1), ref_stats)
    trainer = BlockTrainer(counts, keep, tables, params, 3)
    try:
        assert trainer.plan.n_blocks == 3
        totals = trainer.train_batch(W, C, ids, offsets, bounds, np.zeros(1), 1.0,
                                     engine_states(4, 0, 0, 1))
    finally:
        trainer.close()
    assert totals[STAT_PAIRS] == ref_stats[0, STAT_PAIRS]
    assert np.isfinite(W).all() and np.isfinite(C).all()


def test_blocks_refuse_what_they_cannot_train():
    lines = [("the quick brown fox jumps over the lazy dog " * 30).split()] * 20
    with pytest.raises(ValueError, match="parallel='blocks' needs a sampler"):
        Word2Vec(parallel="blocks", threads=2, sampler="hard", min_count=1, epochs=1,
                 progress=False).fit(lines)
    with pytest.raises(ValueError, match="skip-gram"):
        Word2Vec(parallel="blocks", threads=2, sg=False, min_count=1, epochs=1,
                 progress=False).fit(lines)
    with pytest.raises(ValueError, match="parallel must be one of"):
        Word2Vec(parallel="locks", min_count=1, progress=False).fit(lines)
    # one thread is one block: nothing to refuse
    m = Word2Vec(parallel="blocks", threads=1, sg=False, min_count=1, epochs=1,
                 progress=False).fit(lines)
    assert np.isfinite(m.embeddings_.vectors).all()


def test_blocks_learn_text_as_well_as_hogwild():
    """Word2Vec on the bundled corpus: block training's WordSim-353 score is close to Hogwild's."""
    from embedkit import datasets

    scores = {}
    for parallel in ("hogwild", "blocks"):
        m = Word2Vec(dim=50, epochs=3, threads=2, parallel=parallel, random_state=0,
                     progress=False, tokenizer="split").fit(datasets.text_corpus_path())
        scores[parallel] = m.embeddings_.evaluate_word_pairs(datasets.wordsim353_path()).spearman
    # (3 epochs here: Hogwild 0.338, blocks 0.300; an untrained model scores about 0)
    assert scores["blocks"] > 0.25, scores
    assert scores["blocks"] > scores["hogwild"] - 0.06, scores
