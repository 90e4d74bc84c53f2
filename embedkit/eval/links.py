"""Link prediction for node embeddings (node2vec paper protocol).

Hide a fraction of the edges (optionally keeping the remaining graph connected), sample as many
non-edges, embed the remaining graph, and score node pairs with the Hadamard, average, L1 and L2
edge operators plus a logistic regression, and with the plain dot product; ROC-AUC on the
hidden edges versus non-edges. Needs scikit-learn (the ``eval`` extra).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from embedkit.contexts.graph import Graph, as_graph, from_arrays
from embedkit.eval.common import require_sklearn, vectors_of

__all__ = ["EDGE_OPERATORS", "link_prediction", "split_edges"]

#: Edge operators: (u, v) node vectors -> edge features (node2vec paper, Table 1).
EDGE_OPERATORS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "hadamard": lambda u, v: u * v,
    "average": lambda u, v: (u + v) / 2.0,
    "l1": lambda u, v: np.abs(u - v),
    "l2": lambda u, v: (u - v) ** 2,
}


# Link prediction


def _edge_list(g: Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Arcs (directed) or unordered edges u <= v (undirected), with weights."""
    rows = np.repeat(np.arange(g.n_nodes, dtype=np.int64), np.diff(g.indptr))
    cols = g.indices.astype(np.int64)
    w = g.weights
    if not g.directed:
        keep = rows <= cols
        rows, cols = rows[keep], cols[keep]
        w = None if w is None else w[keep]
    return rows, cols, w


def _spanning_forest(n: int, u: np.ndarray, v: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Mask of edges forming a spanning forest (union-find, edges visited in ``order``)."""
    parent = np.arange(n)

    def find(a: int) -> int:
        root = a
        while parent[root] != root:
            root = parent[root]
        while parent[a] != root:
            parent[a], a = root, parent[a]
        return root

    tree = np.zeros(u.size, dtype=bool)
    for e in order:
        a, b = find(int(u[e])), find(int(v[e]))
        if a != b:
            parent[a] = b
            tree[e] = True
    return tree


def split_edges(
    graph: Any,
    *,
    test_fraction: float = 0.5,
    keep_connected: bool = True,
    random_state: int = 0,
    directed: bool | None = None,
    weighted: bool | None = None,
) -> tuple[Graph, np.ndarray, np.ndarray]:
    """Hide a fraction of the edges for link prediction.

    Parameters
    ----------
    graph : any :func:`~embedkit.contexts.graph.as_graph` input
    test_fraction : float, default 0.5
        Fraction of edges hidden (the node2vec paper hides 50%).
    keep_connected : bool, default True
        Never hide an edge of a random spanning forest, so the remaining graph has the same
        (weakly) connected components. If fewer edges than requested can be hidden, a warning
        says how many were.
    random_state : int

    Returns
    -------
    train_graph : Graph
        Same nodes (and labels), without the hidden edges.
    test_edges : ndarray of int64, shape (m, 2)
        Hidden edges as node ids.
    test_non_edges : ndarray of int64, shape (m, 2)
        As many node pairs that are not edges of the full graph.

    Examples
    --------
    >>> import networkx as nx
    >>> train, pos, neg = split_edges(nx.karate_club_graph(), test_fraction=0.2)
    >>> train.n_edges + len(pos), len(pos) == len(neg)
    (78, True)
    """
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    g = as_graph(graph, directed=directed, weighted=weighted)
    rng = np.random.default_rng(random_state)
    u, v, w = _edge_list(g)
    m = u.size
    want = int(round(test_fraction * m))
    order = rng.permutation(m)
    removable = np.ones(m, dtype=bool)
    if keep_connected:
        removable &= ~_spanning_forest(g.n_nodes, u, v, order)
    cand = order[removable[order]]
    if cand.size < want:
        warnings.warn(f"only {cand.size} of the requested {want} edges can be hidden while "
                      "keeping the graph connected", UserWarning, stacklevel=2)
    test = np.sort(cand[:want])
    mask = np.ones(m, dtype=bool)
    mask[test] = False
    train = from_arrays(u[mask], v[mask], None if w is None else w[mask], g.labels,
                        directed=g.directed, duplicates="max")
    pos = np.stack([u[test], v[test]], axis=1)
    neg = _sample_non_edges(g, pos.shape[0], rng)
    return train, pos, neg


def _sample_non_edges(g: Graph, k: int, rng: np.random.Generator) -> np.ndarray:
    n = g.n_nodes
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.indptr))
    existing = set((rows * n + g.indices).tolist())
    max_pairs = n * (n - 1) // (1 if g.directed else 2)
    if k > max_pairs - len(existing) // (1 if g.directed else 2):
        raise ValueError(f"the graph has fewer than {k} non-edges to sample")
    out: set[int] = set()
    while len(out) < k:
        a = rng.integers(0, n, size=2 * (k - len(out)) + 16)
        b = rng.integers(0, n, size=a.size)
        for x, y in zip(a.tolist(), b.tolist(), strict=True):
            if x == y:
                continue
            if not g.directed and x > y:
                x, y = y, x
            key = x * n + y
            if key in existing or key in out:
                continue
            out.add(key)
            if len(out) == k:
                break
    keys = np.fromiter(out, dtype=np.int64, count=k)
    keys.sort()
    return np.stack([keys // n, keys % n], axis=1)


def link_prediction(
    graph: Any,
    model: Any,
    *,
    test_fraction: float = 0.5,
    keep_connected: bool = True,
    operators: Iterable[str] = ("hadamard", "average", "l1", "l2"),
    classifier_fraction: float = 0.5,
    random_state: int = 0,
    directed: bool | None = None,
    weighted: bool | None = None,
) -> pd.DataFrame:
    """Link prediction: hide edges, embed the rest, score hidden edges versus non-edges.

    Parameters
    ----------
    graph : any :func:`~embedkit.contexts.graph.as_graph` input
    model : estimator or callable
        An (unfitted) embedkit estimator such as ``Node2Vec(...)`` (a fresh copy with the same
        parameters is fitted on the remaining graph), or a callable ``Graph -> Embeddings``.
    test_fraction : float, default 0.5
        Fraction of edges hidden.
    keep_connected : bool, default True
        Keep the remaining graph's connected components (see :func:`split_edges`).
    operators : iterable of str
        Edge operators (keys of :data:`EDGE_OPERATORS`) scored with a logistic regression.
        The plain dot product ``u . v`` is always reported too (no classifier).
    classifier_fraction : float, default 0.5
        The hidden pairs (edges and non-edges) are split: this fraction trains each
        operator's classifier, the rest is the test set for every method (dot product too).
    random_state : int

    Returns
    -------
    pandas.DataFrame
        Index ``method`` (``"dot"`` and the operators); column ``roc_auc``; plus ``n_test``.

    Examples
    --------
    >>> import networkx as nx
    >>> from embedkit import DeepWalk
    >>> G = nx.karate_club_graph()
    >>> est = DeepWalk(dim=16, walks_per_node=5, random_state=0, progress=False)
    >>> res = link_prediction(G, est, test_fraction=0.3)
    >>> sorted(res.index)
    ['average', 'dot', 'hadamard', 'l1', 'l2']
    """
    require_sklearn()
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    ops = list(operators)
    for op in ops:
        if op not in EDGE_OPERATORS:
            raise ValueError(f"unknown edge operator {op!r}; known: {sorted(EDGE_OPERATORS)}")
    if not 0.0 < classifier_fraction < 1.0:
        raise ValueError(f"classifier_fraction must be in (0, 1), got {classifier_fraction}")
    train, pos, neg = split_edges(graph, test_fraction=test_fraction,
                                  keep_connected=keep_connected, random_state=random_state,
                                  directed=directed, weighted=weighted)
    if hasattr(model, "fit") and hasattr(model, "get_params"):
        est = type(model)(**model.get_params())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # isolated nodes after hiding edges
            est.fit(train)
        emb = est.embeddings_
    elif callable(model):
        emb = model(train)
    else:
        raise TypeError("model must be an embedkit estimator or a callable Graph -> Embeddings")
    key_to_index, V = vectors_of(emb)
    dim = V.shape[1]
    # node id -> row of V (zero vector for nodes that got none, e.g. isolated after hiding)
    Z = np.zeros((train.n_nodes, dim))
    has = np.zeros(train.n_nodes, dtype=bool)
    for i, lab in enumerate(train.labels):
        j = key_to_index.get(lab)
        if j is not None:
            Z[i] = V[j]
            has[i] = True
    pairs = np.concatenate([pos, neg])
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    rng = np.random.default_rng(random_state + 1)
    perm = rng.permutation(len(y))
    n_clf = int(round(classifier_fraction * len(y)))
    tr, te = perm[:n_clf], perm[n_clf:]
    if len(np.unique(y[tr])) < 2 or len(np.unique(y[te])) < 2:
        raise ValueError("too few hidden edges for link prediction; use a larger graph or "
                         "test_fraction")
    a, b = Z[pairs[:, 0]], Z[pairs[:, 1]]
    rows = [{"method": "dot", "roc_auc": roc_auc_score(y[te], np.sum(a[te] * b[te], axis=1)),
             "n_test": len(te)}]
    for op in ops:
        F = EDGE_OPERATORS[op](a, b)
        clf = LogisticRegression(max_iter=1000)
        clf.fit(F[tr], y[tr])
        rows.append({"method": op, "roc_auc": roc_auc_score(y[te], clf.decision_function(F[te])),
                     "n_test": len(te)})
    return pd.DataFrame(rows).set_index("method")
