"""Add edges (and the nodes they bring) to a :class:`~embedkit.contexts.graph.Graph`.

Used by ``Node2Vec.partial_fit``: old node ids keep their numbers, new nodes are appended, and
the walks of the new round start only near the change (:func:`neighbourhood`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from embedkit.contexts.csr import build_csr
from embedkit.contexts.graph import Graph, as_graph

__all__ = ["merge_edges", "neighbourhood"]


def _arcs(g: Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    src = np.repeat(np.arange(g.n_nodes, dtype=np.int64), np.diff(g.indptr))
    w = np.ones(g.indices.size) if g.weights is None else g.weights
    return src, g.indices.astype(np.int64), w


def merge_edges(graph: Graph, edges: Any) -> tuple[Graph, np.ndarray, np.ndarray]:
    """``graph`` plus ``edges`` (anything :func:`as_graph` takes), directedness kept.

    An edge already present keeps the larger weight. Unweighted graphs stay unweighted unless
    the new edges carry weights (old edges then weigh 1).

    Returns
    -------
    merged : Graph
        Old nodes keep their ids; new nodes follow in first-seen order.
    new_nodes : ndarray of int64
        Ids of the added nodes.
    touched : ndarray of int64
        Ids of the endpoints of new edges between two old nodes.

    Examples
    --------
    >>> g = as_graph([("a", "b")])
    >>> m, new, touched = merge_edges(g, [("b", "c")])
    >>> m.labels, new.tolist(), touched.tolist()
    (['a', 'b', 'c'], [2], [])
    """
    add = as_graph(edges, directed=graph.directed)
    old_labels = list(graph.labels)
    index = dict(graph.label_to_id)
    labels = list(old_labels)
    remap = np.empty(add.n_nodes, dtype=np.int64)
    for i, lab in enumerate(add.labels):
        j = index.get(lab)
        if j is None:
            j = index[lab] = len(labels)
            labels.append(lab)
        remap[i] = j
    s0, t0, w0 = _arcs(graph)
    s1, t1, w1 = _arcs(add)
    s1, t1 = remap[s1], remap[t1]
    weighted = graph.weights is not None or add.weights is not None
    indptr, indices, weights = build_csr(
        np.concatenate((s0, s1)), np.concatenate((t0, t1)),
        np.concatenate((w0, w1)) if weighted else None, len(labels), directed=True,
        duplicates="max")
    merged = Graph(indptr, indices, weights, labels, directed=graph.directed)
    new_nodes = np.arange(len(old_labels), len(labels), dtype=np.int64)
    old = (s1 < len(old_labels)) & (t1 < len(old_labels))
    return merged, new_nodes, np.unique(np.concatenate((s1[old], t1[old])))


def neighbourhood(graph: Graph, seeds: np.ndarray, hops: int) -> np.ndarray:
    """Node ids within ``hops`` out-steps of ``seeds`` (seeds included), sorted."""
    if not isinstance(hops, (int, np.integer)) or isinstance(hops, bool) or hops < 0:
        raise ValueError(f"hops must be an int >= 0, got {hops!r}")
    seen = np.zeros(graph.n_nodes, dtype=bool)
    frontier = np.unique(np.asarray(seeds, dtype=np.int64))
    seen[frontier] = True
    for _ in range(int(hops)):
        if frontier.size == 0:
            break
        lo, hi = graph.indptr[frontier], graph.indptr[frontier + 1]
        nxt = np.concatenate([graph.indices[a:b] for a, b in zip(lo, hi, strict=True)]
                             or [np.zeros(0, np.int32)]).astype(np.int64)
        nxt = np.unique(nxt[~seen[nxt]])
        seen[nxt] = True
        frontier = nxt
    return np.flatnonzero(seen).astype(np.int64)
