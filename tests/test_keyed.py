"""KeyedVectors-style queries against brute-force NumPy and against gensim 4 on the same vectors."""

import numpy as np
import pytest

from embedkit import Embeddings

gensim_models = pytest.importorskip("gensim.models")


def make(n=80, dim=12, seed=3, counts=False):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    keys = [f"w{i}" for i in range(n)]
    return Embeddings(vectors, keys, counts=np.arange(n, 0, -1) if counts else None)


@pytest.fixture(scope="module")
def pair():
    emb = make()
    kv = gensim_models.KeyedVectors(emb.dim)
    kv.add_vectors(emb.index_to_key, emb.vectors.copy())
    return emb, kv


def unit(m):
    m = np.asarray(m, dtype=np.float64)
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


def same_list(got, expected, atol=1e-5):
    assert [k for k, _ in got] == [k for k, _ in expected]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], atol=atol)


def test_most_similar_several_words_matches_gensim_and_numpy(pair):
    emb, kv = pair
    pos, neg = ["w1", "w2", "w3"], ["w4", "w5"]
    got = emb.most_similar(positive=pos, negative=neg, topn=15)
    same_list(got, kv.most_similar(positive=pos, negative=neg, topn=15))
    u = unit(emb.vectors)
    target = unit(u[[1, 2, 3]].sum(0) - u[[4, 5]].sum(0))
    sims = u @ target
    order = [i for i in np.argsort(-sims, kind="stable") if i not in (1, 2, 3, 4, 5)][:15]
    assert [k for k, _ in got] == [f"w{i}" for i in order]
    same_list(emb.most_similar("w7", topn=10, restrict_vocab=40),
              kv.most_similar("w7", topn=10, restrict_vocab=40))


@pytest.mark.parametrize("pos,neg", [(["w1", "w2"], ["w3"]), (["w1", "w2", "w6"], ["w3", "w9"]),
                                     (["w4"], [])])
def test_most_similar_cosmul_matches_gensim_and_formula(pair, pos, neg):
    emb, kv = pair
    got = emb.most_similar_cosmul(positive=pos, negative=neg, topn=12, epsilon=1e-6)
    same_list(got, kv.most_similar_cosmul(positive=pos, negative=neg, topn=12), atol=1e-4)
    u = unit(emb.vectors)
    rows = lambda ws: [emb.key_to_index[w] for w in ws]  # noqa: E731
    shifted = (1 + u @ u.T) / 2
    num = np.prod(shifted[:, rows(pos)], axis=1)
    den = np.prod(shifted[:, rows(neg)], axis=1) if neg else np.ones(len(emb))
    scores = num / (den + 1e-6)
    scores[rows(pos + neg)] = -np.inf
    assert [k for k, _ in got] == [f"w{i}" for i in np.argsort(-scores, kind="stable")[:12]]


def test_cosmul_with_one_negative_is_the_3cosmul_analogy(pair):
    emb, _ = pair
    got = emb.most_similar_cosmul(positive=["w8", "w9"], negative=["w7"], topn=5)
    same_list(got, emb.analogy("w7", "w8", "w9", method="3cosmul", topn=5), atol=1e-4)
    with pytest.raises(ValueError, match="epsilon"):
        emb.most_similar_cosmul(positive=["w1"], epsilon=0)
    with pytest.raises(ValueError, match="at least one"):
        emb.most_similar_cosmul()
    with pytest.raises(KeyError, match="nope"):
        emb.most_similar_cosmul(positive=["nope"])


def test_doesnt_match_n_similarity_rank_closer_than_match_gensim(pair):
    emb, kv = pair
    rng = np.random.default_rng(0)
    for _ in range(5):
        words = [f"w{i}" for i in rng.choice(len(emb), 6, replace=False)]
        assert emb.doesnt_match(words) == kv.doesnt_match(words)
        a, b = words[:3], words[3:]
        assert emb.n_similarity(a, b) == pytest.approx(kv.n_similarity(a, b), abs=1e-6)
        assert emb.closer_than(words[0], words[1]) == kv.closer_than(words[0], words[1])
        assert emb.rank(words[0], words[1]) == kv.rank(words[0], words[1])
        rows = [emb.key_to_index[w] for w in words]
        u = unit(emb.vectors[rows])
        assert emb.doesnt_match(words) == words[int(np.argmin(u @ unit(u.mean(0))))]
        m1, m2 = (emb.vectors[r].astype(np.float64).mean(0) for r in (rows[:3], rows[3:]))
        assert emb.n_similarity(a, b) == pytest.approx(float(unit(m1) @ unit(m2)), abs=1e-6)
    # brute force for rank: position of w5 in the full neighbour list of w0
    order = [k for k, _ in emb.most_similar("w0", topn=None)]
    assert emb.rank("w0", "w5") == order.index("w5") + 1
    with pytest.warns(UserWarning, match="not in the vocabulary"):
        assert emb.doesnt_match(["w1", "w2", "zzz"]) in ("w1", "w2")
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="none of the keys"):
        emb.doesnt_match(["zzz"])
    with pytest.raises(TypeError, match="list of keys"):
        emb.doesnt_match("w1")
    with pytest.raises(ValueError, match="at least one key"):
        emb.n_similarity([], ["w1"])
    with pytest.raises(KeyError):
        emb.rank("w1", "zzz")


def test_get_mean_vector_and_similar_by_key_match_gensim(pair):
    emb, kv = pair
    keys, weights = ["w1", "w2", "w3"], [0.5, -2.0, 1.0]
    for pre in (True, False):
        for post in (True, False):
            np.testing.assert_allclose(
                emb.get_mean_vector(keys, weights, pre_normalize=pre, post_normalize=post),
                kv.get_mean_vector(keys, weights, pre_normalize=pre, post_normalize=post),
                rtol=1e-5, atol=1e-6)
    u = unit(emb.vectors)
    expected = (0.5 * u[1] - 2 * u[2] + u[3]) / 3.5
    np.testing.assert_allclose(emb.get_mean_vector(keys, weights), expected, atol=1e-6)
    # unknown keys are skipped by default, raise on request
    np.testing.assert_allclose(emb.get_mean_vector(["w1", "zzz"]), u[1], atol=1e-6)
    with pytest.raises(KeyError, match="zzz"):
        emb.get_mean_vector(["w1", "zzz"], ignore_missing=False)
    with pytest.raises(ValueError, match="none of the keys"):
        emb.get_mean_vector(["zzz"])
    with pytest.raises(ValueError, match="weights"):
        emb.get_mean_vector(keys, [1.0])
    with pytest.raises(ValueError, match="non-empty"):
        emb.get_mean_vector([])
    same_list(emb.similar_by_key("w11", topn=8), kv.similar_by_key("w11", topn=8))
    assert emb.similar_by_word("w11", topn=3) == emb.similar_by_key("w11", topn=3)


def test_add_vectors_append_and_replace():
    emb = make(n=5, dim=3, counts=True)
    emb.build_index("exact")
    old = emb.vectors.copy()
    emb.add_vectors(["w1", "new1", "new2"], np.ones((3, 3)), counts=[7, 8, 9])
    assert emb.index_to_key == [f"w{i}" for i in range(5)] + ["new1", "new2"]
    np.testing.assert_array_equal(emb.vectors[:5], old)  # w1 kept: replace=False
    np.testing.assert_array_equal(emb["new2"], [1, 1, 1])
    assert emb.counts.tolist() == [5, 4, 3, 2, 1, 8, 9]
    assert emb.nn_index is None and emb.key_to_index["new2"] == 6
    emb.add_vectors(["w1"], [[2.0, 0.0, 0.0]], replace=True)
    np.testing.assert_array_equal(emb["w1"], [2, 0, 0])
    assert emb.most_similar([np.array([1.0, 0, 0])], topn=1)[0][0] == "w1"  # caches dropped
    emb.add_vectors("solo", [0.0, 0.0, 3.0])
    assert emb.counts[-1] == 0 and len(emb) == 8
    with pytest.raises(ValueError, match="dimensions"):
        emb.add_vectors(["x"], np.ones((1, 4)))
    with pytest.raises(ValueError, match="duplicate"):
        emb.add_vectors(["x", "x"], np.ones((2, 3)))
    with pytest.raises(ValueError, match="rows"):
        emb.add_vectors(["x", "y"], np.ones((1, 3)))
    with pytest.raises(ValueError, match="non-finite"):
        emb.add_vectors(["x"], [[np.nan, 0, 0]])


def test_subset_and_restrict_copy_rows():
    rng = np.random.default_rng(1)
    emb = Embeddings(rng.normal(size=(6, 4)), list("abcdef"), counts=[6, 5, 4, 3, 2, 1],
                     context_vectors=rng.normal(size=(6, 4)))
    sub = emb.subset(["e", "b"])
    assert sub.index_to_key == ["e", "b"] and sub.counts.tolist() == [2, 5]
    np.testing.assert_array_equal(sub.vectors, emb.vectors[[4, 1]])
    np.testing.assert_array_equal(sub.context_vectors, emb.context_vectors[[4, 1]])
    sub.vectors[0] = 0
    assert emb.vectors[4].any()  # a copy
    top = emb.restrict(3)
    assert top.index_to_key == ["a", "b", "c"] and len(top.counts) == 3
    with pytest.raises(KeyError, match="'z'"):
        emb.subset(["z"])
    with pytest.raises(ValueError, match="duplicate"):
        emb.subset(["a", "a"])


def test_gensim_round_trip_both_ways():
    emb = make(n=30, dim=5, counts=True)
    kv = emb.to_gensim()
    assert kv.index_to_key == emb.index_to_key
    np.testing.assert_array_equal(kv.vectors, emb.vectors)
    assert [kv.get_vecattr(k, "count") for k in kv.index_to_key[:3]] == [30, 29, 28]
    back = Embeddings.from_gensim(kv)
    np.testing.assert_array_equal(back.vectors, emb.vectors)
    assert back.index_to_key == emb.index_to_key and back.counts.tolist() == emb.counts.tolist()
    # a trained gensim Word2Vec: counts and syn1neg as context vectors
    sentences = [["a", "b", "c", "a"], ["b", "c", "d"], ["a", "d"]] * 5
    model = gensim_models.Word2Vec(sentences, vector_size=4, min_count=1, workers=1, seed=1,
                                   epochs=1)
    emb2 = Embeddings.from_gensim(model)
    assert emb2.index_to_key == model.wv.index_to_key
    np.testing.assert_array_equal(emb2.context_vectors, model.syn1neg)
    assert emb2.counts.tolist() == [model.wv.get_vecattr(k, "count") for k in emb2.index_to_key]
    with pytest.raises(TypeError, match="KeyedVectors"):
        Embeddings.from_gensim(object())


def test_to_gensim_without_gensim_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "gensim.models", None)
    with pytest.raises(ImportError, match=r"embedkit\[gensim\]"):
        make(n=3, dim=2).to_gensim()
