"""Graph input: networkx graphs, scipy.sparse matrices, pandas edge tables and edge-list files.

Every input becomes one :class:`Graph`: a compressed sparse row (CSR) adjacency, with the
out-neighbours of each node sorted by id, plus a node label <-> id mapping.

* ``indptr`` (int64, ``n_nodes + 1``), ``indices`` (int32), ``weights`` (float64, or ``None``
  for an unweighted graph).
* Undirected graphs are stored symmetrised: every edge ``{u, v}`` appears as ``u -> v`` and
  ``v -> u`` (a self-loop once).
* Duplicate edges are merged (``duplicates="max"`` keeps the largest weight, ``"sum"`` adds
  them up). Zero-weight edges are dropped (a walk can never take them).
* NaN, infinite or negative weights, malformed edge-list lines and empty graphs are rejected
  with a ``ValueError`` naming the file and line (or the edge).
"""

from __future__ import annotations

import logging
import numbers
import os
import re
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np

from embedkit.contexts.csr import build_csr

__all__ = ["Graph", "as_graph"]

logger = logging.getLogger("embedkit")

_DUPLICATES = ("max", "sum")
INT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")


class Graph:
    """A graph in CSR form with a node label <-> id mapping.

    Build one with :func:`as_graph` (any supported input) or :func:`read_edgelist` (a file).

    Parameters
    ----------
    indptr : ndarray of int64, shape (n_nodes + 1,)
    indices : ndarray of int32
        Out-neighbours of node ``i`` are ``indices[indptr[i]:indptr[i + 1]]``, sorted, unique.
    weights : ndarray of float64 or None
        Edge weights aligned with ``indices`` (all > 0), or ``None`` for an unweighted graph.
    labels : sequence of hashable
        Original label of each node id. ``range(n)`` (node ids are the labels, as for the
        binary inputs and integer edge lists numbered ``0..n-1``) is kept as a range: no
        per-node Python objects and no label dictionary.
    directed : bool
        Whether edges are directed (an undirected graph is stored symmetrised).
    check_labels : bool, default True
        Check that the labels are unique now (which builds :attr:`label_to_id`). ``False``
        is for labels unique by construction, such as the output of a factorization: a large
        graph then holds no label dictionary until a query needs one.

    Attributes
    ----------
    n_nodes : int
    n_edges : int
        Edges as the user sees them: arcs for a directed graph, unordered pairs (self-loops
        once) for an undirected one.
    label_to_id : dict
        Node id of each label (built on first use).

    Examples
    --------
    >>> g = as_graph([("a", "b"), ("b", "c")])
    >>> g.n_nodes, g.n_edges, g.neighbors("b")
    (3, 2, ['a', 'c'])
    """

    def __init__(
        self,
        indptr: np.ndarray,
        indices: np.ndarray,
        weights: np.ndarray | None,
        labels: Sequence[Hashable],
        *,
        directed: bool,
        check_labels: bool = True,
    ) -> None:
        self.indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(indices, dtype=np.int32)
        self.weights = None if weights is None else np.ascontiguousarray(weights, np.float64)
        identity = isinstance(labels, range) and labels.start == 0 and labels.step == 1
        self.labels: Sequence[Hashable] = labels if identity else list(labels)
        self.directed = bool(directed)
        if self.indptr.size != len(self.labels) + 1:
            raise ValueError("indptr must have len(labels) + 1 entries")
        if self.weights is not None and self.weights.size != self.indices.size:
            raise ValueError("weights must align with indices")
        self._label_to_id: dict | None = None
        if check_labels and not identity:
            _ = self.label_to_id  # checks uniqueness

    @property
    def identity_labels(self) -> bool:
        """Whether the labels are the node ids ``0..n-1`` (no label dictionary needed)."""
        return isinstance(self.labels, range)

    @property
    def label_to_id(self) -> dict:
        if self._label_to_id is None:
            index = {lab: i for i, lab in enumerate(self.labels)}
            if len(index) != len(self.labels):
                raise ValueError("node labels must be unique")
            self._label_to_id = index
        return self._label_to_id

    # -- sizes ----------------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return len(self.labels)

    @property
    def n_arcs(self) -> int:
        """Stored directed arcs (``len(indices)``)."""
        return int(self.indices.size)

    @property
    def n_edges(self) -> int:
        if self.directed:
            return self.n_arcs
        rows = np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))
        loops = int(np.count_nonzero(rows == self.indices))
        return (self.n_arcs - loops) // 2 + loops

    @property
    def weighted(self) -> bool:
        return self.weights is not None

    def out_degree(self) -> np.ndarray:
        """Number of out-neighbours of each node id (int64)."""
        return np.diff(self.indptr)

    def isolated(self) -> np.ndarray:
        """Ids of nodes with no edge in either direction."""
        deg = self.out_degree().copy()
        if self.directed:
            deg += np.bincount(self.indices, minlength=self.n_nodes)
        return np.flatnonzero(deg == 0)

    # -- queries ----------------------------------------------------------------------------
    def node_ids(self, nodes: Iterable[Hashable]) -> np.ndarray:
        """Ids of the given node labels; an unknown label raises a ``KeyError`` naming it."""
        out = []
        if self.identity_labels:
            n = self.n_nodes

            def get(node):
                ok = isinstance(node, (int, np.integer)) and not isinstance(node, bool)
                return int(node) if ok and 0 <= node < n else None
        else:
            get = self.label_to_id.get
        for node in nodes:
            i = get(node)
            if i is None:
                raise KeyError(f"node {node!r} is not in the graph ({self.n_nodes} nodes)")
            out.append(i)
        return np.asarray(out, dtype=np.int64)

    def neighbors(self, node: Hashable) -> list[Hashable]:
        """Labels of the out-neighbours of ``node`` (sorted by node id)."""
        i = int(self.node_ids([node])[0])
        return [self.labels[j] for j in self.indices[self.indptr[i]:self.indptr[i + 1]]]

    def has_edge(self, u: Hashable, v: Hashable) -> bool:
        """Whether the arc ``u -> v`` (or the edge ``{u, v}`` if undirected) exists."""
        i, j = (int(x) for x in self.node_ids([u, v]))
        row = self.indices[self.indptr[i]:self.indptr[i + 1]]
        k = int(np.searchsorted(row, j))
        return k < row.size and row[k] == j

    def to_scipy(self):
        """The adjacency as a ``scipy.sparse.csr_matrix`` (weights, or ones)."""
        import scipy.sparse as sp

        data = self.weights if self.weights is not None else np.ones(self.n_arcs)
        return sp.csr_matrix((data, self.indices, self.indptr), shape=(self.n_nodes,) * 2)

    def __repr__(self) -> str:
        kind = "directed" if self.directed else "undirected"
        w = "weighted" if self.weighted else "unweighted"
        return f"Graph({self.n_nodes} nodes, {self.n_edges} edges, {kind}, {w})"


# ---------------------------------------------------------------------------------------------
# CSR construction
# ---------------------------------------------------------------------------------------------


def _check_weights(w: np.ndarray, describe) -> None:
    """Raise a ValueError naming the first NaN, infinite or negative weight."""
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        kind = "NaN" if np.isnan(w[k]) else ("infinite" if np.isinf(w[k]) else "negative")
        raise ValueError(
            f"{describe(k)}: {kind} weight {float(w[k])!r}; weights must be finite and >= 0"
        )


def from_arrays(
    src: np.ndarray,
    dst: np.ndarray,
    w: np.ndarray | None,
    labels: Sequence[Hashable],
    *,
    directed: bool,
    duplicates: str,
    check_labels: bool = True,
) -> Graph:
    """CSR from id arrays (weights already validated); see :func:`.csr.build_csr`."""
    n = len(labels)
    if w is not None and not (w > 0).all():
        logger.info("dropping %d zero-weight edges", int((w <= 0).sum()))
    indptr, indices, weights = build_csr(src, dst, w, n, directed=directed,
                                         duplicates=duplicates)
    return Graph(indptr, indices, weights, labels, directed=directed,
                 check_labels=check_labels)


def factorize_labels(src_labels: Sequence[Hashable], dst_labels: Sequence[Hashable],
               nodes: Sequence[Hashable] | None = None):
    """Map labels to ids in first-seen order (``nodes`` first, if given)."""
    import pandas as pd

    both = pd.Index(list(nodes) if nodes is not None else []).append(
        pd.Index(list(src_labels))).append(pd.Index(list(dst_labels)))
    codes, uniques = pd.factorize(both, sort=False)
    k = 0 if nodes is None else len(nodes)
    m = len(src_labels)
    return codes[k:k + m], codes[k + m:], list(uniques)


def check_graph_options(directed: Any, weighted: Any, duplicates: str) -> None:
    if directed is not None and not isinstance(directed, (bool, np.bool_)):
        raise TypeError(f"directed must be True, False or None, got {directed!r}")
    if weighted is not None and not isinstance(weighted, (bool, np.bool_)):
        raise TypeError(f"weighted must be True, False or None, got {weighted!r}")
    if duplicates not in _DUPLICATES:
        raise ValueError(f"duplicates must be one of {_DUPLICATES}, got {duplicates!r}")


def finish_graph(g: Graph, what: str) -> Graph:
    if g.n_nodes == 0 or g.n_arcs == 0:
        raise ValueError(f"{what} is an empty graph (no edges); node embeddings need edges")
    return g


# ---------------------------------------------------------------------------------------------
# Front ends
# ---------------------------------------------------------------------------------------------


def as_graph(
    data: Any,
    *,
    directed: bool | None = None,
    weighted: bool | None = None,
    weight: str = "weight",
    source: str | None = None,
    target: str | None = None,
    duplicates: str = "max",
    **read_kwargs: Any,
) -> Graph:
    """Turn any supported graph input into a :class:`Graph`.

    Parameters
    ----------
    data : Graph, networkx graph, scipy.sparse matrix, pandas.DataFrame, path, or edge list
        * a networkx ``Graph``/``DiGraph`` (or multigraph; parallel edges are merged), with
          any hashable node labels; nodes without edges are kept (isolated);
        * a square scipy.sparse matrix or array (row -> column; labels ``0..n-1``);
        * a pandas DataFrame of edges: ``source``/``target`` columns (default: columns named
          ``source``/``target``, else ``src``/``dst``, else the first two) and an optional
          weight column (``weight``; else a third column if there are exactly three);
        * a path to an edge-list file (see :func:`read_edgelist`; ``read_kwargs`` go there);
        * a path to a binary graph file, ``.npz`` or ``.npy`` (see :func:`read_binary_graph`);
        * a list of ``(u, v)`` or ``(u, v, weight)`` tuples.
    directed : bool or None
        ``None``: a networkx graph keeps its own kind, everything else is undirected (as in
        node2vec and PecanPy). ``False`` symmetrises a directed input.
    weighted : bool or None
        ``None``: use weights when the input has them (networkx ``weight`` attribute on any
        edge, a weight column, a sparse matrix whose values are not all 1). ``False`` ignores
        weights, ``True`` requires them.
    weight : str, default "weight"
        Name of the edge attribute (networkx) or column (DataFrame) holding weights.
    source, target : str, optional
        DataFrame column names.
    duplicates : {"max", "sum"}, default "max"
        How repeated edges (and, for undirected graphs, ``u v`` plus ``v u``) are merged.

    Returns
    -------
    Graph

    Raises
    ------
    ValueError
        Empty graph, NaN/infinite/negative weight (naming the edge), malformed file line.
    TypeError
        Unsupported input type, or non-numeric weights.

    Examples
    --------
    >>> import networkx as nx
    >>> g = as_graph(nx.karate_club_graph(), weighted=False)
    >>> g.n_nodes, g.n_edges, g.directed
    (34, 78, False)
    """
    check_graph_options(directed, weighted, duplicates)
    if isinstance(data, Graph):
        if directed is not None and bool(directed) != data.directed:
            if directed:
                raise ValueError("cannot make an undirected Graph directed")
            return _graph_from_csr_graph(data, duplicates)
        if weighted is False and data.weighted:
            return Graph(data.indptr, data.indices, None, data.labels, directed=data.directed)
        if weighted and not data.weighted:
            raise ValueError("weighted=True but the Graph has no weights")
        return data
    if isinstance(data, (str, os.PathLike)):
        from embedkit.contexts.edgelist import read_binary_graph, read_edgelist

        name = os.fspath(data)
        if name.lower().endswith((".npz", ".npy")):
            if read_kwargs:
                raise TypeError(f"unexpected arguments for a binary graph file: "
                                f"{sorted(read_kwargs)}")
            return read_binary_graph(name, directed=bool(directed), weighted=weighted,
                                     duplicates=duplicates)
        return read_edgelist(data, directed=bool(directed), weighted=weighted,
                             duplicates=duplicates, **read_kwargs)
    if read_kwargs:
        raise TypeError(f"unexpected arguments for a {type(data).__name__}: {sorted(read_kwargs)}")
    mod = type(data).__module__ or ""
    if mod.startswith("networkx"):
        return _from_networkx(data, directed, weighted, weight, duplicates)
    if mod.startswith("scipy.sparse"):
        return from_sparse_matrix(data, bool(directed), weighted, duplicates)
    if mod.startswith("pandas") and hasattr(data, "columns"):
        return _from_frame(data, bool(directed), weighted, weight, source, target, duplicates)
    if isinstance(data, np.ndarray):
        raise TypeError(
            "a dense numpy array is ambiguous as a graph; pass scipy.sparse.csr_matrix(array) "
            "for an adjacency matrix, or a DataFrame / list of (u, v[, w]) tuples for edges"
        )
    if isinstance(data, (list, tuple)):
        return _from_tuples(data, bool(directed), weighted, duplicates)
    raise TypeError(
        "graph must be a networkx graph, a scipy.sparse matrix, a pandas DataFrame of edges, "
        f"an edge-list file path or a list of (u, v[, weight]) tuples, got {type(data).__name__}"
    )


def _graph_from_csr_graph(g: Graph, duplicates: str) -> Graph:
    rows = np.repeat(np.arange(g.n_nodes, dtype=np.int64), np.diff(g.indptr))
    return from_arrays(rows, g.indices, g.weights, g.labels, directed=False,
                        duplicates=duplicates)


def _from_networkx(G, directed, weighted, weight, duplicates) -> Graph:
    nodes = list(G.nodes())
    index = {node: i for i, node in enumerate(nodes)}
    m = G.number_of_edges()
    src = np.empty(m, dtype=np.int64)
    dst = np.empty(m, dtype=np.int64)
    w = np.empty(m, dtype=np.float64)
    has_weight = False
    for k, (u, v, d) in enumerate(G.edges(data=True)):
        src[k] = index[u]
        dst[k] = index[v]
        x = d.get(weight, None)
        if x is None:
            w[k] = 1.0
        else:
            if not isinstance(x, numbers.Real) or isinstance(x, bool):
                raise TypeError(
                    f"edge ({u!r}, {v!r}): weight attribute {weight!r} must be a real number, "
                    f"got {type(x).__name__} {x!r}"
                )
            has_weight = True
            w[k] = float(x)
    if weighted and not has_weight:
        raise ValueError(f"weighted=True but no edge has a {weight!r} attribute")
    use_w = has_weight if weighted is None else bool(weighted)
    if use_w:
        edges = None

        def describe(k):
            nonlocal edges
            if edges is None:
                edges = list(G.edges())
            return f"edge ({edges[k][0]!r}, {edges[k][1]!r})"

        _check_weights(w, describe)
    is_directed = G.is_directed() if directed is None else bool(directed)
    return finish_graph(
        from_arrays(src, dst, w if use_w else None, nodes, directed=is_directed,
                     duplicates=duplicates),
        f"the networkx graph ({G.number_of_nodes()} nodes)",
    )


def from_sparse_matrix(A, directed, weighted, duplicates) -> Graph:
    import scipy.sparse as sp

    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"an adjacency matrix must be square, got shape {A.shape}")
    if not np.issubdtype(A.dtype, np.number) or np.issubdtype(A.dtype, np.complexfloating):
        raise TypeError(f"adjacency matrix dtype must be real numeric, got {A.dtype}")
    coo = sp.coo_matrix(A)
    w = coo.data.astype(np.float64)
    _check_weights(w, lambda k: f"adjacency matrix entry ({coo.row[k]}, {coo.col[k]})")
    nz = w != 0
    src, dst, w = coo.row[nz], coo.col[nz], w[nz]
    has_weight = bool(w.size) and not np.all(w == 1.0)
    use_w = has_weight if weighted is None else bool(weighted)
    return finish_graph(
        from_arrays(src, dst, w if use_w else None, range(A.shape[0]), directed=directed,
                     duplicates=duplicates),
        f"the {A.shape[0]}x{A.shape[1]} adjacency matrix",
    )


def _pick_column(columns: list, wanted: str | None, defaults: tuple[str, ...], pos: int, what):
    if wanted is not None:
        if wanted not in columns:
            raise ValueError(f"{what} column {wanted!r} not in DataFrame columns {columns}")
        return wanted
    for name in defaults:
        if name in columns:
            return name
    if len(columns) <= pos:
        raise ValueError(f"an edge DataFrame needs at least 2 columns, got {columns}")
    return columns[pos]


def _from_frame(df, directed, weighted, weight, source, target, duplicates) -> Graph:
    import pandas as pd

    cols = list(df.columns)
    s = _pick_column(cols, source, ("source", "src"), 0, "source")
    t = _pick_column(cols, target, ("target", "dst"), 1, "target")
    wcol = None
    if weight in cols and weight not in (s, t):
        wcol = weight
    elif len(cols) == 3 and weight not in cols:
        wcol = next(c for c in cols if c not in (s, t))
    if weighted and wcol is None:
        raise ValueError(f"weighted=True but the DataFrame has no weight column {weight!r}")
    use_w = wcol is not None and weighted is not False
    for c in (s, t):
        null = df[c].isna().to_numpy()
        if null.any():
            raise ValueError(f"DataFrame row {df.index[int(np.flatnonzero(null)[0])]!r}: "
                             f"missing node in column {c!r}")
    w = None
    if use_w:
        col = df[wcol]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            raise TypeError(f"weight column {wcol!r} must be numeric, got dtype {col.dtype}")
        w = col.to_numpy(dtype=np.float64, na_value=np.nan)
        _check_weights(w, lambda k: f"DataFrame row {df.index[k]!r} ({df[s].iloc[k]!r} -> "
                                    f"{df[t].iloc[k]!r})")
    src, dst, labels = factorize_labels(df[s].tolist(), df[t].tolist())
    return finish_graph(from_arrays(src, dst, w, labels, directed=directed, duplicates=duplicates),
                   "the edge DataFrame")


def _from_tuples(edges, directed, weighted, duplicates) -> Graph:
    if not edges:
        raise ValueError("the edge list is an empty graph (no edges); node embeddings need edges")
    sizes = {len(e) if isinstance(e, (tuple, list)) else -1 for e in edges}
    if not sizes <= {2, 3} or len(sizes) != 1:
        raise ValueError(
            "an edge list must hold (u, v) or (u, v, weight) tuples, all the same size")
    src = [e[0] for e in edges]
    dst = [e[1] for e in edges]
    w = None
    if 3 in sizes and weighted is not False:
        vals = [e[2] for e in edges]
        for k, x in enumerate(vals):
            if not isinstance(x, numbers.Real) or isinstance(x, bool):
                raise TypeError(f"edge {k} ({src[k]!r}, {dst[k]!r}): weight must be a real "
                                f"number, got {type(x).__name__} {x!r}")
        w = np.asarray(vals, dtype=np.float64)
        _check_weights(w, lambda k: f"edge {k} ({src[k]!r}, {dst[k]!r})")
    elif weighted:
        raise ValueError("weighted=True but the edges have no weights")
    s, t, labels = factorize_labels(src, dst)
    return finish_graph(from_arrays(s, t, w, labels, directed=directed, duplicates=duplicates),
                   "the edge list")


# ---------------------------------------------------------------------------------------------
# Edge-list files
# ---------------------------------------------------------------------------------------------


def __getattr__(name: str) -> Any:
    """``read_edgelist`` and ``read_binary_graph`` live in :mod:`embedkit.contexts.edgelist`."""
    if name in ("read_edgelist", "read_binary_graph"):
        from embedkit.contexts import edgelist

        return getattr(edgelist, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
