"""Graph input: every front end gives the same CSR; bad input gives clear errors."""

from __future__ import annotations

import gzip

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from embedkit.contexts.graph import Graph, as_graph, read_edgelist

EDGES = [("a", "b", 2.0), ("b", "c", 1.5), ("c", "a", 0.5), ("c", "d", 3.0), ("d", "d", 1.0)]


def _dense(g: Graph, order) -> np.ndarray:
    """Adjacency of ``g`` as a dense matrix in the given label order."""
    idx = g.node_ids(order)
    return g.to_scipy().toarray()[np.ix_(idx, idx)]


def _expected(directed: bool) -> np.ndarray:
    order = ["a", "b", "c", "d"]
    M = np.zeros((4, 4))
    for u, v, w in EDGES:
        M[order.index(u), order.index(v)] = w
        if not directed:
            M[order.index(v), order.index(u)] = w
    return M


@pytest.mark.parametrize("directed", [False, True])
def test_all_front_ends_agree(directed, tmp_path):
    order = ["a", "b", "c", "d"]
    G = (nx.DiGraph if directed else nx.Graph)()
    G.add_weighted_edges_from(EDGES)
    df = pd.DataFrame(EDGES, columns=["from_", "to_", "w"])
    f = tmp_path / "g.tsv"
    f.write_text("source\ttarget\tweight\n" + "".join(f"{u}\t{v}\t{w}\n" for u, v, w in EDGES))
    graphs = [
        as_graph(G),
        as_graph(df, source="from_", target="to_", weight="w", directed=directed),
        as_graph(EDGES, directed=directed),
        read_edgelist(f, directed=directed),
        as_graph(str(f), directed=directed),
    ]
    for g in graphs:
        assert g.directed == directed and g.weighted
        np.testing.assert_array_equal(_dense(g, order), _expected(directed))
        assert g.n_edges == 5
        # neighbour lists are sorted (binary search in the walk kernel relies on it)
        for i in range(g.n_nodes):
            row = g.indices[g.indptr[i]:g.indptr[i + 1]]
            assert np.all(np.diff(row) > 0)
        assert g.indptr.dtype == np.int64 and g.indices.dtype == np.int32
        assert g.weights.dtype == np.float64
    A = sp.csr_matrix(_expected(directed))
    g = as_graph(A, directed=directed)
    np.testing.assert_array_equal(g.to_scipy().toarray(), _expected(directed))
    assert list(g.labels) == [0, 1, 2, 3]


def test_networkx_labels_kept_and_isolated_nodes():
    G = nx.Graph()
    G.add_edge(("x", 1), frozenset({2}))
    G.add_node("alone")
    g = as_graph(G)
    assert g.labels == [("x", 1), frozenset({2}), "alone"]
    assert g.isolated().tolist() == [2]
    assert not g.weighted and g.has_edge(frozenset({2}), ("x", 1))


def test_weighted_option_and_duplicates():
    edges = [(1, 2, 2.0), (2, 1, 5.0), (2, 3, 1.0), (2, 3, 1.0)]
    assert as_graph(edges).to_scipy()[0, 1] == 5.0  # max over u-v and v-u
    assert as_graph(edges, duplicates="sum").to_scipy()[0, 1] == 7.0
    assert as_graph(edges, directed=True, duplicates="sum").to_scipy()[1, 2] == 2.0
    assert not as_graph(edges, weighted=False).weighted
    G = nx.karate_club_graph()
    assert as_graph(G).weighted and not as_graph(G, weighted=False).weighted
    assert not as_graph(nx.path_graph(3)).weighted
    with pytest.raises(ValueError, match="no edge has a 'weight'"):
        as_graph(nx.path_graph(3), weighted=True)
    # a DiGraph made undirected is symmetrised
    D = nx.DiGraph([(0, 1), (1, 2)])
    g = as_graph(D, directed=False)
    assert not g.directed and g.has_edge(1, 0) and g.n_edges == 2


def test_zero_weights_are_dropped():
    g = as_graph([(0, 1, 0.0), (1, 2, 1.0)])
    assert g.n_edges == 1 and g.isolated().tolist() == [0]


@pytest.mark.parametrize("text,sep", [
    ("1 2\n2 3\n3 1\n", None), ("1,2\n2,3\n3,1\n", None), ("1\t2\n2\t3\n3\t1\n", None),
    ("# comment\n\nsrc dst\n1 2\n2  3\n3 1\n", None), ("1;2\n2;3\n3;1\n", ";"),
])
def test_edge_list_formats(tmp_path, text, sep):
    f = tmp_path / "g.txt"
    f.write_text(text)
    g = read_edgelist(f, sep=sep)
    assert g.labels == [1, 2, 3] and g.n_edges == 3 and not g.weighted
    fz = tmp_path / "g.txt.gz"
    with gzip.open(fz, "wt") as fh:
        fh.write(text)
    gz = read_edgelist(fz, sep=sep)
    assert gz.labels == g.labels and np.array_equal(gz.indices, g.indices)


def test_edge_list_node_types(tmp_path):
    f = tmp_path / "g.txt"
    f.write_text("007 1\n1 2\n")
    assert read_edgelist(f).labels == ["007", "1", "2"]  # not all plain integers: strings
    assert read_edgelist(f, nodetype=str).labels == ["007", "1", "2"]
    f.write_text("a b 1\nb c x1\n")
    with pytest.raises(ValueError, match=r"line 2: weight 'x1' is not a number"):
        read_edgelist(f)
    assert read_edgelist(f, weighted=False).n_edges == 2


@pytest.mark.parametrize("text,match", [
    ("a b\nb c\nc\n", r"line 3: expected 2 whitespace-separated fields"),
    ("a\tb\nb\tc\td\te\n", r"line 2: expected 2 tab-separated fields"),
    ("a,b,1\nb,c,nan\n", r"line 2: NaN weight"),
    ("# c\nsrc\tdst\tweight\n\na\tb\t1\nb\tc\t-2\n", r"line 5: negative weight"),
    ("a b 1\nb c inf\n", r"line 2: infinite weight"),
    ("a\tb\t1\n\tc\t2\n", r"line 2: (empty node name|expected)"),
    ("# nothing here\n\n", r"empty graph"),
    ("src\tdst\n", r"empty graph"),
])
def test_malformed_edge_lists_name_the_line(tmp_path, text, match):
    f = tmp_path / "bad.tsv"
    f.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        read_edgelist(f)
    assert "bad.tsv" in str(info.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="edge-list file not found"):
        read_edgelist(tmp_path / "nope.tsv")
    with pytest.raises(ValueError, match="is a directory"):
        read_edgelist(tmp_path)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0])
def test_bad_weights_everywhere(bad):
    G = nx.Graph()
    G.add_edge("u", "v", weight=1.0)
    G.add_edge("v", "w", weight=bad)
    with pytest.raises(ValueError, match=r"edge \('v', 'w'\): (NaN|infinite|negative) weight"):
        as_graph(G)
    as_graph(G, weighted=False)  # ignored weights are not checked
    df = pd.DataFrame({"source": ["u", "v"], "target": ["v", "w"], "weight": [1.0, bad]})
    with pytest.raises(ValueError, match=r"DataFrame row 1 \('v' -> 'w'\)"):
        as_graph(df)
    A = sp.csr_matrix(np.array([[0, 1.0], [bad, 0]]))
    with pytest.raises(ValueError, match=r"adjacency matrix entry \(1, 0\)"):
        as_graph(A)
    with pytest.raises(ValueError, match=r"edge 1 \('v', 'w'\)"):
        as_graph([("u", "v", 1.0), ("v", "w", bad)])


def test_empty_graphs():
    with pytest.raises(ValueError, match="empty graph"):
        as_graph(nx.empty_graph(4))
    with pytest.raises(ValueError, match="empty graph"):
        as_graph(sp.csr_matrix((3, 3)))
    with pytest.raises(ValueError, match="empty graph"):
        as_graph(pd.DataFrame({"source": [], "target": []}))
    with pytest.raises(ValueError, match="empty graph"):
        as_graph([])


def test_wrong_types():
    with pytest.raises(TypeError, match="dense numpy array is ambiguous"):
        as_graph(np.eye(3))
    with pytest.raises(TypeError, match="graph must be"):
        as_graph(42)
    with pytest.raises(TypeError, match="weight column 'weight' must be numeric"):
        as_graph(pd.DataFrame({"source": [1], "target": [2], "weight": ["heavy"]}))
    G = nx.Graph()
    G.add_edge(1, 2, weight="3")
    with pytest.raises(TypeError, match="must be a real number"):
        as_graph(G)
    with pytest.raises(TypeError, match="real number"):
        as_graph([(1, 2, "3")])
    with pytest.raises(TypeError, match="directed must be"):
        as_graph(nx.path_graph(3), directed="yes")
    with pytest.raises(ValueError, match="square"):
        as_graph(sp.csr_matrix(np.ones((2, 3))))
    with pytest.raises(TypeError, match="dtype"):
        as_graph(sp.csr_matrix(np.ones((2, 2), dtype=complex)))
    with pytest.raises(ValueError, match="duplicates"):
        as_graph(nx.path_graph(3), duplicates="min")
    with pytest.raises(ValueError, match="missing node"):
        as_graph(pd.DataFrame({"source": ["a", None], "target": ["b", "c"]}))


def test_unknown_node_queries():
    g = as_graph(nx.path_graph(3))
    with pytest.raises(KeyError, match="node 'zz' is not in the graph"):
        g.neighbors("zz")
    with pytest.raises(KeyError, match="node 7 is not in the graph"):
        g.has_edge(0, 7)
    assert g.neighbors(1) == [0, 2]
