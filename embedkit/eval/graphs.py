"""Evaluation of node embeddings: node classification and link prediction.

Both follow the protocols of the DeepWalk and node2vec papers and need scikit-learn (the
``eval`` extra).

* :func:`node_classification`: one-vs-rest logistic regression on the vectors, micro- and
  macro-F1 averaged over repeated random splits for each training ratio; single- or
  multi-label (multi-label predictions take the top-k labels, k = the node's true label count,
  as in DeepWalk's evaluation).
* :func:`link_prediction`: hide a fraction of the edges (optionally keeping the remaining graph
  connected), sample as many non-edges, embed the remaining graph, and score node pairs with
  the Hadamard, average, L1 and L2 edge operators plus a logistic regression, and with the plain
  dot product; ROC-AUC on the hidden edges versus non-edges.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from embedkit.contexts.graph import Graph, _from_arrays, as_graph

__all__ = [
    "EDGE_OPERATORS",
    "node_classification",
    "link_prediction",
    "split_edges",
    "read_node_labels",
]

#: Edge operators: (u, v) node vectors -> edge features (node2vec paper, Table 1).
EDGE_OPERATORS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "hadamard": lambda u, v: u * v,
    "average": lambda u, v: (u + v) / 2.0,
    "l1": lambda u, v: np.abs(u - v),
    "l2": lambda u, v: (u - v) ** 2,
}


def _sklearn():
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "graph evaluation needs scikit-learn: pip install 'embedkit[eval]'"
        ) from exc


def _vectors_of(embeddings: Any):
    """(key_to_index, matrix) from an Embeddings, a fitted model or a {key: vector} mapping."""
    emb = getattr(embeddings, "embeddings_", embeddings)
    if hasattr(emb, "key_to_index") and hasattr(emb, "vectors"):
        return emb.key_to_index, np.asarray(emb.vectors)
    if isinstance(emb, Mapping):
        keys = list(emb)
        return {k: i for i, k in enumerate(keys)}, np.asarray([emb[k] for k in keys], float)
    raise TypeError(
        "embeddings must be an Embeddings object, a fitted model with embeddings_, or a "
        f"mapping node -> vector, got {type(embeddings).__name__}"
    )


def read_node_labels(path: str, *, sep: str | None = None) -> dict[Hashable, list[str]]:
    """Read a node label file: ``node<sep>label`` lines (a header line is detected).

    A node may appear on several lines (multi-label), or one line may hold several labels
    separated by the same separator. Node names that are all plain integers become ``int``.

    Returns
    -------
    dict
        node -> list of labels.

    Examples
    --------
    >>> from embedkit.datasets import dataset_path
    >>> labels = read_node_labels(dataset_path("drosophila_labels"))
    >>> len(labels), labels[0]
    (209, ['K'])
    """
    from embedkit._io import open_text
    from embedkit.contexts.graph import _INT_RE

    rows: list[tuple[str, list[str]]] = []
    with open_text(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            s = sep or ("\t" if "\t" in line else ("," if "," in line else None))
            fields = [x.strip() for x in line.split(s)]
            if len(fields) < 2 or not fields[0] or not all(fields[1:]):
                raise ValueError(f"{path}, line {lineno}: expected 'node<TAB>label', got "
                                 f"{line[:80]!r}")
            rows.append((fields[0], fields[1:]))
    if rows and rows[0][0].lower() in ("node", "id", "name", "vertex") and len(rows) > 1:
        rows = rows[1:]
    if not rows:
        raise ValueError(f"{path}: no node labels found")
    to_int = all(_INT_RE.match(n) for n, _ in rows)
    out: dict[Hashable, list[str]] = {}
    for n, labs in rows:
        out.setdefault(int(n) if to_int else n, []).extend(labs)
    return out


def _normalise_labels(labels: Any) -> tuple[list[Hashable], list[list[Hashable]]]:
    """Nodes and their label lists from a mapping, Series or (node, label) DataFrame."""
    if isinstance(labels, pd.DataFrame):
        if labels.shape[1] < 2:
            raise ValueError("a label DataFrame needs a node column and a label column")
        groups: dict[Hashable, list] = {}
        for n, lab in zip(labels.iloc[:, 0], labels.iloc[:, 1], strict=True):
            groups.setdefault(n, []).append(lab)
        labels = groups
    elif isinstance(labels, pd.Series):
        labels = labels.to_dict()
    if not isinstance(labels, Mapping):
        raise TypeError("labels must be a mapping node -> label (or list of labels), a pandas "
                        f"Series or a (node, label) DataFrame, got {type(labels).__name__}")
    nodes, lists = [], []
    for n, lab in labels.items():
        if isinstance(lab, (str, bytes)) or not isinstance(lab, Iterable):
            lab = [lab]
        lab = list(lab)
        if not lab:
            continue
        nodes.append(n)
        lists.append(lab)
    if not nodes:
        raise ValueError("no labelled nodes")
    return nodes, lists


def _select(key_to_index, nodes, missing: str):
    idx = [key_to_index.get(n, -1) for n in nodes]
    unknown = [n for n, i in zip(nodes, idx, strict=True) if i < 0]
    if unknown and missing == "error":
        few = ", ".join(repr(n) for n in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        raise KeyError(
            f"{len(unknown)} labelled node(s) have no vector ({few}); "
            "isolated nodes get no vector. Pass missing='drop' to evaluate on the others"
        )
    if unknown:
        warnings.warn(f"dropping {len(unknown)} labelled node(s) without a vector", UserWarning,
                      stacklevel=3)
    keep = np.array([i >= 0 for i in idx])
    return np.array(idx)[keep], keep


def node_classification(
    embeddings: Any,
    labels: Any,
    *,
    train_ratios: Iterable[float] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
    n_repeats: int = 5,
    C: float = 1.0,
    normalize: bool = False,
    standardize: bool = True,
    missing: str = "error",
    random_state: int = 0,
    per_split: bool = False,
    callback: Callable[[dict], None] | None = None,
) -> pd.DataFrame:
    """Node classification by one-vs-rest logistic regression on node vectors.

    Parameters
    ----------
    embeddings : Embeddings, fitted model, or mapping node -> vector
    labels : mapping, pandas Series or DataFrame
        node -> label, or node -> list of labels (multi-label); a DataFrame has a node column
        and a label column, a node may repeat (multi-label).
    train_ratios : iterable of float in (0, 1)
        Fractions of labelled nodes used for training.
    n_repeats : int, default 5
        Random splits per ratio (stratified when every class allows it).
    C : float, default 1.0
        Inverse regularisation of the logistic regression.
    normalize : bool, default False
        L2-normalise the vectors first.
    standardize : bool, default True
        Standardise each feature (mean 0, variance 1, fitted on the training split) before
        the logistic regression, so that the regularisation strength does not depend on the
        scale of the vectors (short training gives small vectors that a plain ``C = 1``
        logistic regression underfits).
    missing : {"error", "drop"}
        What to do with labelled nodes that have no vector.
    random_state : int, default 0
        Seed of the splits.
    per_split : bool, default False
        Return one row per split instead of the mean over splits.
    callback : callable, optional
        Called with each split's result row (a dict: ``train_ratio``, ``repeat``,
        ``micro_f1``, ``macro_f1``, ``n_train``, ``n_test``) as soon as it is done, e.g. to
        report progress on large graphs.

    Returns
    -------
    pandas.DataFrame
        Index ``train_ratio``; columns ``micro_f1``, ``macro_f1``, their ``_std``, ``n_train``,
        ``n_test`` (or one row per split with a ``repeat`` column).

    Examples
    --------
    >>> import networkx as nx
    >>> from embedkit import DeepWalk
    >>> G = nx.karate_club_graph()
    >>> model = DeepWalk(dim=16, walks_per_node=5, random_state=0, progress=False).fit(G)
    >>> club = {n: G.nodes[n]["club"] for n in G}
    >>> res = node_classification(model, club, train_ratios=[0.5], n_repeats=2)
    >>> list(res.columns)[:2]
    ['micro_f1', 'macro_f1']
    """
    _sklearn()
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MultiLabelBinarizer, StandardScaler

    if missing not in ("error", "drop"):
        raise ValueError(f"missing must be 'error' or 'drop', got {missing!r}")
    ratios = [float(r) for r in train_ratios]
    if not ratios or any(not 0.0 < r < 1.0 for r in ratios):
        raise ValueError(f"train_ratios must be fractions in (0, 1), got {ratios}")
    if not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive int, got {n_repeats!r}")
    key_to_index, V = _vectors_of(embeddings)
    nodes, lists = _normalise_labels(labels)
    idx, keep = _select(key_to_index, nodes, missing)
    lists = [lab for lab, k in zip(lists, keep, strict=True) if k]
    X = V[idx].astype(np.float64)
    if normalize:
        X /= np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    multilabel = any(len(lab) > 1 for lab in lists)
    mlb = MultiLabelBinarizer()
    Y = mlb.fit_transform(lists)
    n_classes = Y.shape[1]
    if n_classes < 2:
        raise ValueError("node classification needs at least 2 distinct labels")
    y_single = None if multilabel else Y.argmax(axis=1)
    rows = []
    for ratio in ratios:
        n_train = int(round(ratio * len(X)))
        if n_train < 1 or n_train >= len(X):
            raise ValueError(f"train ratio {ratio} leaves an empty train or test set "
                             f"({len(X)} labelled nodes)")
        splitter = ShuffleSplit(n_splits=n_repeats, train_size=n_train,
                                random_state=random_state)
        if y_single is not None and np.bincount(y_single).min() >= 2 and \
                min(n_train, len(X) - n_train) >= n_classes:
            splitter = StratifiedShuffleSplit(n_splits=n_repeats, train_size=n_train,
                                              random_state=random_state)
        for rep, (tr, te) in enumerate(splitter.split(X, y_single)):
            present = Y[tr].sum(axis=0) > 0
            base = LogisticRegression(C=C, max_iter=1000)
            if standardize:
                base = make_pipeline(StandardScaler(), base)
            clf = OneVsRestClassifier(base)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf.fit(X[tr], Y[tr][:, present])
                scores = np.full((len(te), n_classes), -np.inf)
                # per-label probabilities (comparable across labels for top-k ranking)
                scores[:, present] = clf.predict_proba(X[te]).reshape(len(te), -1)
            pred = np.zeros_like(Y[te])
            if multilabel:
                k = Y[te].sum(axis=1)
                order = np.argsort(-scores, axis=1)
                for r in range(len(te)):
                    pred[r, order[r, :k[r]]] = 1
            else:
                pred[np.arange(len(te)), scores.argmax(axis=1)] = 1
            rows.append({
                "train_ratio": ratio, "repeat": rep,
                "micro_f1": f1_score(Y[te], pred, average="micro", zero_division=0),
                "macro_f1": f1_score(Y[te], pred, average="macro", zero_division=0),
                "n_train": len(tr), "n_test": len(te),
            })
            if callback is not None:
                callback(rows[-1])
    df = pd.DataFrame(rows)
    if per_split:
        return df
    agg = df.groupby("train_ratio").agg(
        micro_f1=("micro_f1", "mean"), macro_f1=("macro_f1", "mean"),
        micro_f1_std=("micro_f1", "std"), macro_f1_std=("macro_f1", "std"),
        n_train=("n_train", "first"), n_test=("n_test", "first"),
    )
    return agg


# ---------------------------------------------------------------------------------------------
# Link prediction
# ---------------------------------------------------------------------------------------------


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
    train = _from_arrays(u[mask], v[mask], None if w is None else w[mask], g.labels,
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
    _sklearn()
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
    key_to_index, V = _vectors_of(emb)
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
