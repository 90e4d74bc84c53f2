"""The rare/unseen-word evaluation (``embedkit.eval.unseen``) on hand-made vectors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from embedkit import Embeddings
from embedkit.eval.unseen import (
    drop_words,
    evaluate_heldout_pairs,
    evaluate_unseen_inflections,
    inflection_holdout,
)
from embedkit.subwords import SubwordEmbeddings

COUNTS = {"play": 50, "played": 9, "plays": 7, "playing": 2, "government": 80,
          "governments": 12, "quick": 30, "quickly": 6, "cat": 40, "cats": 3, "run": 90,
          "runs": 20, "x1s": 99, "x1": 99, "governmentsly": 6}


def test_inflection_holdout_rules_and_determinism():
    pairs = inflection_holdout(COUNTS, n=10, min_count=5, min_stem_count=20)
    assert pairs == inflection_holdout(COUNTS, n=10, min_count=5, min_stem_count=20)
    held = {w for w, _ in pairs}
    stems = [s for _, s in pairs]
    for w, s in pairs:
        assert w.startswith(s) and COUNTS[w] >= 5 and COUNTS[s] >= 20 and len(s) >= 4
    assert len(stems) == len(set(stems)) and not held & set(stems)
    # rare inflection (playing: 2), short stem (runs), rare stem (cats), non-alphabetic (x1s)
    assert not held & {"playing", "runs", "cats", "x1s"}
    assert ("quickly", "quick") in pairs
    assert len([p for p in pairs if p[1] == "play"]) == 1
    assert "governments" not in {w for w, _ in inflection_holdout(COUNTS, exclude={"government"})}
    assert inflection_holdout(COUNTS, n=0) == []
    with pytest.raises(ValueError, match="n must be"):
        inflection_holdout(COUNTS, n=-1)


def test_drop_words():
    assert list(drop_words(["a b  c b\n", "b"], {"b"})) == ["a c", ""]


def _subword_model():
    keys = ["play", "cat", "dog", "tree"]
    ngv = np.random.default_rng(0).normal(size=(500, 4)).astype(np.float32)
    emb = SubwordEmbeddings(np.eye(4, dtype=np.float32), keys, ngram_vectors=ngv, minn=3,
                            maxn=6)
    # make "play"'s vector the unseen "plays"'s n-gram mean: its stem must then rank first
    emb.vectors[0] = emb["plays"]
    return emb


def test_unseen_inflections_ranks():
    emb = _subword_model()
    res = evaluate_unseen_inflections(emb, [("plays", "play"), ("cats", "cat"),
                                            ("zebras", "zebra")])  # stem unknown: skipped
    assert res.n_words == 2 and res.coverage == 1.0
    assert res.hits_at_1 >= 0.5 and res.hits_at_10 == 1.0
    assert res.mean_cosine <= 1.0 + 1e-6
    plain = evaluate_unseen_inflections(Embeddings(emb.vectors, emb.index_to_key),
                                        [("plays", "play")])
    assert plain.coverage == 0 and plain.median_rank == math.inf and math.isnan(plain.mean_cosine)
    with pytest.raises(ValueError, match="stem"):
        evaluate_unseen_inflections(emb, [("zebras", "zebra")])


def test_heldout_pairs_null_vector_convention():
    vecs = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [1, 1]], np.float32)
    emb = Embeddings(vecs, ["a", "b", "c", "d", "e"])
    pairs = [("a", "b", 9), ("c", "d", 8), ("a", "c", 1), ("b", "d", 2), ("a", "zz", 5),
             ("e", "zz", 4)]
    res = evaluate_heldout_pairs(emb, pairs, heldout={"zz"})
    assert res.n_pairs == 6 and res.n_heldout == 2 and res.coverage == 0.0
    assert math.isnan(res.spearman_heldout) and 0 < res.spearman_all <= 1
    # "d" held out as well: a pair with a held-out word that the model still answers
    res = evaluate_heldout_pairs(emb, pairs, heldout={"zz", "d"})
    assert res.n_heldout == 4 and res.coverage == 0.5
