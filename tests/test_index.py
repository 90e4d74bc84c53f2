"""Neighbour search: batched exact search vs brute force, pynndescent recall, missing extra."""

import sys

import numpy as np
import pytest

from embedkit import Embeddings
from embedkit.index import ExactIndex, recall_at_k


def clustered(n=1500, dim=16, clusters=30, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    x = centres[rng.integers(0, clusters, n)] + 0.35 * rng.normal(size=(n, dim))
    return Embeddings(x.astype(np.float32), [f"k{i}" for i in range(n)])


def brute(emb, queries, k, exclude=None, limit=None):
    v = emb.vectors.astype(np.float64)[:limit]
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    sims = q @ (v / np.linalg.norm(v, axis=1, keepdims=True)).T
    if exclude is not None:
        sims[np.arange(len(q)), exclude] = -np.inf
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(sims, order, axis=1)


@pytest.mark.parametrize("block", [10_000, 1 << 24])
def test_batched_exact_search_matches_brute_force(block):
    emb = clustered(n=700)
    rng = np.random.default_rng(5)
    queries = rng.normal(size=(45, emb.dim))
    idx, cos = ExactIndex(emb.vectors, block_entries=block).query(
        (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32), 9)
    ref, ref_cos = brute(emb, queries, 9)
    np.testing.assert_array_equal(idx, ref)
    np.testing.assert_allclose(cos, ref_cos, atol=1e-5)
    # through Embeddings.search: raw vectors, keys (self excluded), restrict_vocab
    got, _ = emb.search(queries, topn=9)
    np.testing.assert_array_equal(got, ref)
    keys = ["k3", "k100", "k699"]
    rows = np.array([3, 100, 699])
    got, got_cos = emb.search(keys, topn=6)
    ref, ref_cos = brute(emb, emb.vectors[rows].astype(np.float64), 6, exclude=rows)
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_allclose(got_cos, ref_cos, atol=1e-5)
    got, _ = emb.search(keys, topn=5, restrict_vocab=200)  # k100 is a candidate, k699 not
    ref_rows = [[i for i in r if i != q][:5] for r, q in zip(
        brute(emb, emb.vectors[rows].astype(np.float64), 6, limit=200)[0], rows, strict=True)]
    np.testing.assert_array_equal(got, ref_rows)
    # one search per key gives the same as most_similar
    for key, row in zip(keys, emb.search(keys, topn=4)[0], strict=True):
        assert [k for k, _ in emb.most_similar(key, topn=4)] == [f"k{i}" for i in row]


def test_search_bad_input():
    emb = clustered(n=50)
    with pytest.raises(ValueError, match="columns"):
        emb.search(np.ones((2, 3)))
    with pytest.raises(KeyError, match="nope"):
        emb.search(["nope"])
    with pytest.raises(ValueError, match="NaN"):
        emb.search(np.full((1, emb.dim), np.nan))
    with pytest.raises(ValueError, match="method"):
        emb.build_index("annoy")
    with pytest.raises(TypeError, match="unexpected"):
        emb.build_index("exact", n_neighbors=5)


def test_build_index_without_pynndescent_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynndescent", None)
    emb = clustered(n=30)
    with pytest.raises(ImportError, match=r"pip install 'embedkit\[ann\]'"):
        emb.build_index("pynndescent")
    assert emb.nn_index is None  # still exact
    assert len(emb.most_similar("k1", topn=3)) == 3


@pytest.mark.slow  # pynndescent's Numba compilation takes ~1 minute in a fresh process
def test_pynndescent_recall_on_clustered_vectors():
    pytest.importorskip("pynndescent")
    emb = clustered()
    exact_rows, _ = emb.search(emb.index_to_key[:200], topn=10)
    exact_list = emb.most_similar("k7", topn=10)
    emb.build_index("pynndescent", n_neighbors=15, random_state=0, n_jobs=1)
    assert emb.nn_index.method == "pynndescent"
    approx_rows, approx_cos = emb.search(emb.index_to_key[:200], topn=10)
    assert recall_at_k(approx_rows, exact_rows) >= 0.95
    # returned cosines are exact for the rows found, sorted, and the query key is excluded
    v = emb.vectors.astype(np.float64)
    u = v / np.linalg.norm(v, axis=1, keepdims=True)
    np.testing.assert_allclose(
        approx_cos, np.einsum("qkd,qd->qk", u[approx_rows], u[:200]), atol=1e-5)
    assert (np.diff(approx_cos, axis=1) <= 1e-7).all()
    assert not (approx_rows == np.arange(200)[:, None]).any()
    got = emb.most_similar("k7", topn=10)
    assert len({k for k, _ in got} & {k for k, _ in exact_list}) >= 8
    # restrict_vocab falls back to exact search
    assert emb.most_similar("k7", topn=5, restrict_vocab=100) == \
        clustered().most_similar("k7", topn=5, restrict_vocab=100)
    assert len(emb.similar_by_vector(emb.vectors[3], topn=3)) == 3
