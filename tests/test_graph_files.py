"""Large-graph inputs: the Numba CSR builder, integer edge lists, .npz and .npy graph files."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from embedkit import Node2Vec
from embedkit.cli import main
from embedkit.contexts.csr import build_csr
from embedkit.contexts.graph import as_graph, read_binary_graph, read_edgelist
from embedkit.contexts.graph_files import save_edges


def _reference_csr(src, dst, w, n, directed, duplicates):
    """The NumPy construction: symmetrise, stable argsort of row-major keys, reduceat."""
    src = np.asarray(src, np.int64)
    dst = np.asarray(dst, np.int64)
    if w is not None:
        keep = w > 0
        src, dst, w = src[keep], dst[keep], w[keep]
    if not directed:
        loop = src == dst
        src, dst = np.concatenate([src, dst[~loop]]), np.concatenate([dst, src[~loop]])
        if w is not None:
            w = np.concatenate([w, w[~loop]])
    key = src * n + dst
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.ones(key.size, bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    if w is not None:
        op = np.add if duplicates == "sum" else np.maximum
        w = op.reduceat(w[order], starts)
    key = key[starts]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(key // n, minlength=n), out=indptr[1:])
    return indptr, (key % n).astype(np.int32), w


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("duplicates", ["max", "sum"])
def test_build_csr_matches_the_numpy_construction(directed, weighted, duplicates):
    rng = np.random.default_rng(7)
    n, m = 60, 900  # dense enough for many repeated pairs and self-loops
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.choice([0.0, 0.1, 0.7, 1 / 3, 2.5], m) if weighted else None
    got = build_csr(src, dst, w, n, directed=directed, duplicates=duplicates)
    ref = _reference_csr(src, dst, w, n, directed, duplicates)
    np.testing.assert_array_equal(got[0], ref[0])
    np.testing.assert_array_equal(got[1], ref[1])
    if weighted and duplicates == "max":
        np.testing.assert_array_equal(got[2], ref[2])
    elif weighted:  # sums in input order; NumPy's reduceat may pair terms differently
        np.testing.assert_allclose(got[2], ref[2], rtol=1e-14, atol=0)
    else:
        assert got[2] is None


def test_build_csr_rejects_out_of_range_ids():
    with pytest.raises(ValueError, match=r"0\.\.2"):
        build_csr(np.array([0, 3]), np.array([1, 1]), None, 3, directed=False)
    with pytest.raises(ValueError, match="-1"):
        build_csr(np.array([0, -1]), np.array([1, 1]), None, 3, directed=False)


@pytest.fixture
def small_graph(tmp_path):
    """One random graph with ids 0..n-1 in every format (unweighted and weighted)."""
    rng = np.random.default_rng(3)
    n, m = 40, 160
    src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    src[:n], dst[:n] = np.arange(n), (np.arange(n) + 1) % n  # every id appears
    pairs = np.unique(np.stack([np.minimum(src, dst), np.maximum(src, dst)], 1), axis=0)
    src, dst = pairs[:, 0], pairs[:, 1]
    w = rng.choice([0.5, 1.0, 2.0, 3.5], src.size)
    order = rng.permutation(src.size)  # a file order unrelated to the ids
    src, dst, w = src[order], dst[order], w[order]
    paths = {k: tmp_path / f"g.{k}" for k in ("tsv", "wtsv", "npy", "npz", "wnpz", "edges",
                                              "wedges")}
    paths["tsv"].write_text("".join(f"{u}\t{v}\n" for u, v in zip(src, dst, strict=True)))
    paths["wtsv"].write_text("".join(f"{u} {v} {x}\n" for u, v, x in zip(src, dst, w,
                                                                         strict=True)))
    for k in ("npy", "npz", "wnpz", "edges", "wedges"):
        paths[k] = tmp_path / f"{k}.{'npy' if k == 'npy' else 'npz'}"
    np.save(paths["npy"], np.stack([src, dst], 1).astype(np.int32))
    sp.save_npz(paths["npz"], sp.csr_matrix((np.ones(src.size), (src, dst)), shape=(n, n)))
    sp.save_npz(paths["wnpz"], sp.coo_matrix((w, (src, dst)), shape=(n, n)))
    save_edges(paths["edges"], src, dst)
    save_edges(paths["wedges"], src, dst, w)
    return n, paths


def _same_graph(a, b):
    assert a.n_nodes == b.n_nodes and list(a.labels) == list(b.labels)
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    if a.weights is None:
        assert b.weights is None
    else:
        np.testing.assert_array_equal(a.weights, b.weights)


def test_binary_inputs_agree_exactly_with_the_edge_list(small_graph):
    n, paths = small_graph
    text = read_edgelist(paths["tsv"])
    assert text.identity_labels and text.labels == range(n)  # ids 0..n-1: no dictionary
    for key in ("npy", "npz", "edges"):
        g = as_graph(str(paths[key]))
        assert g.identity_labels
        _same_graph(text, g)
    wtext = read_edgelist(paths["wtsv"])
    assert wtext.weighted
    for key in ("wnpz", "wedges"):
        _same_graph(wtext, as_graph(paths[key]))
    # the integer fast path gives what the string path gives, relabelled
    strings = read_edgelist(paths["tsv"], nodetype=str)
    ids = np.array([int(x) for x in strings.labels])
    A, B = text.to_scipy().toarray(), strings.to_scipy().toarray()
    np.testing.assert_array_equal(A[np.ix_(ids, ids)], B)


def test_node2vec_vectors_are_identical_from_every_input(small_graph):
    _, paths = small_graph

    def fit(path):
        return Node2Vec(dim=8, walk_length=8, walks_per_node=2, p=0.5, q=2.0, threads=1,
                        random_state=5, progress=False).fit(str(path)).embeddings_

    ref = fit(paths["tsv"])
    for key in ("npz", "npy", "edges"):
        emb = fit(paths[key])
        assert list(emb.index_to_key) == list(ref.index_to_key)
        np.testing.assert_array_equal(emb.vectors, ref.vectors)


def test_integer_edge_list_that_is_not_0_to_n_keeps_first_seen_labels(tmp_path):
    f = tmp_path / "g.txt"
    f.write_text("# comment\n10 7\n7 30\n\n30 -4\n")
    g = read_edgelist(f)
    assert g.labels == [10, 7, 30, -4] and not g.identity_labels
    assert g.has_edge(30, -4) and g.neighbors(7) == [10, 30]
    f.write_text("src,dst,weight\n1,0,2.5\n0,2,1\n")  # header, commas: still the int path
    g = read_edgelist(f)
    assert g.identity_labels and g.weights.tolist() == [2.5, 1.0, 2.5, 1.0]
    f.write_text("0 1 nan\n")
    with pytest.raises(ValueError, match="line 1.*NaN"):
        read_edgelist(f)
    f.write_text("0 1\n1 +2\n")  # "+2" is not a plain integer: string labels
    assert read_edgelist(f).labels == ["0", "1", "+2"]
    f.write_text("0 1\n1 2.0\n")
    assert read_edgelist(f).labels == ["0", "1", "2.0"]


def test_isolated_ids_from_binary_inputs(tmp_path):
    p = tmp_path / "g.npz"
    save_edges(p, [0, 1], [1, 2], n_nodes=5)
    g = as_graph(p)
    assert g.n_nodes == 5 and g.isolated().tolist() == [3, 4]
    assert g.node_ids([4, np.int64(2)]).tolist() == [4, 2]
    with pytest.raises(KeyError, match="node 5"):
        g.node_ids([5])
    with pytest.raises(KeyError):
        g.node_ids(["1"])


@pytest.mark.parametrize("make, match", [
    (lambda p: np.save(p, np.zeros((3, 3), np.int64)), r"shape \(m, 2\)"),
    (lambda p: np.save(p, np.zeros((3, 2), np.float64)), "must be integers"),
    (lambda p: np.save(p, np.array([[0, 1], [-1, 2]])), "negative node id"),
    (lambda p: np.save(p, np.zeros((0, 2), np.int64)), "empty graph"),
    (lambda p: p.write_bytes(b"not numpy"), "not a readable .npy"),
])
def test_bad_npy_files(tmp_path, make, match):
    p = tmp_path / "g.npy"
    make(p)
    with pytest.raises(ValueError, match=match):
        as_graph(p)


def _truncated(p):
    save_edges(p, np.arange(1000), np.arange(1, 1001))
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("make, match", [
    (lambda p: np.savez(p, a=np.arange(3)), r"holds arrays \['a'\]"),
    (lambda p: sp.save_npz(p, sp.csr_matrix(np.ones((2, 3)))), "must be square"),
    (lambda p: np.savez(p, src=np.array([0, 1]), dst=np.array([1])), "equal length"),
    (lambda p: np.savez(p, src=np.array([0, 4]), dst=np.array([1, 2]), n_nodes=3),
     "out of range"),
    (lambda p: np.savez(p, src=np.array([0]), dst=np.array([1]), weight=np.array([np.nan])),
     "not finite"),
    (lambda p: np.savez(p, src=np.array([0]), dst=np.array([1]), weight=np.array([1., 2.])),
     "shape"),
    (lambda p: np.savez(p, format=np.array("csr"), shape=np.array([3, 3]),
                        indptr=np.array([0, 1, 2]), indices=np.array([0, 1]),
                        data=np.array([1.0, 1.0])), "do not match"),
    (lambda p: np.savez(p, format=np.array("csr"), shape=np.array([2, 2]),
                        indptr=np.array([0, 1, 2]), indices=np.array([0, 7]),
                        data=np.array([1.0, 1.0])), "inconsistent"),
    (lambda p: np.savez(p, format=np.array("dia"), shape=np.array([2, 2])), "not supported"),
    (lambda p: sp.save_npz(p, sp.csr_matrix(np.array([[0, -1.0], [0, 0]]))), "negative"),
    (_truncated, "archive"),
    (lambda p: p.write_bytes(b"PK\x03\x04garbage"), "archive"),
])
def test_bad_npz_files(tmp_path, make, match):
    p = tmp_path / "g.npz"
    make(p)
    with pytest.raises(ValueError, match=match):
        read_binary_graph(p)


def test_binary_option_errors(tmp_path):
    p = tmp_path / "g.npy"
    np.save(p, np.array([[0, 1]]))
    with pytest.raises(ValueError, match="weighted=True"):
        as_graph(p, weighted=True)
    with pytest.raises(TypeError, match="binary graph file"):
        as_graph(p, sep=",")
    with pytest.raises(FileNotFoundError):
        as_graph(tmp_path / "missing.npz")
    q = tmp_path / "e.npz"
    save_edges(q, [0], [1])
    with pytest.raises(ValueError, match="no weight array"):
        as_graph(q, weighted=True)
    with pytest.raises(ValueError, match="out of range"):
        save_edges(q, [0, 5], [1, 2], n_nodes=3)


def test_cli_trains_from_npz_and_rejects_text_options(small_graph, tmp_path):
    _, paths = small_graph
    out = tmp_path / "v.npz"
    args = ["train", "graph", str(paths["npz"]), "-o", str(out), "--dim", "8",
            "--walk-length", "5", "--walks-per-node", "1", "--threads", "1", "--no-progress"]
    assert main(args) == 0 and out.exists()
    with pytest.raises(SystemExit):
        main(args + ["--sep", ","])


@pytest.mark.parametrize("labels", ["identity", "ints"])
def test_walk_id_mapping_without_dictionaries_matches_the_dictionary(tmp_path, labels):
    from embedkit.contexts.walks import RandomWalks

    rng = np.random.default_rng(11)
    n = 50
    src, dst = rng.integers(0, n, 300), rng.integers(0, n, 300)
    src[:n], dst[:n] = np.arange(n), (np.arange(n) + 7) % n
    names = np.arange(n) if labels == "identity" else rng.permutation(n) * 3 + 100
    f = tmp_path / "g.txt"
    f.write_text("".join(f"{names[u]} {names[v]}\n" for u, v in zip(src, dst, strict=True)))
    rw = RandomWalks(read_edgelist(f), walk_length=4, walks_per_node=1)
    assert rw.graph.identity_labels == (labels == "identity")
    vocab = rw.build_vocab(min_count=3)  # prunes some nodes: they map to -1
    assert 0 < len(vocab) < n
    got = rw._mapping(vocab)
    expected = [vocab.key_to_index.get(lab, -1) for lab in rw.graph.labels]
    np.testing.assert_array_equal(got, expected)
