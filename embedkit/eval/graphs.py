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

from embedkit.eval.common import require_sklearn, vectors_of
from embedkit.eval.links import EDGE_OPERATORS, link_prediction, split_edges

__all__ = [
    "EDGE_OPERATORS",
    "node_classification",
    "link_prediction",
    "split_edges",
    "read_node_labels",
]

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
    from embedkit.contexts.graph import INT_RE

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
    to_int = all(INT_RE.match(n) for n, _ in rows)
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
    require_sklearn()
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
    key_to_index, V = vectors_of(embeddings)
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

