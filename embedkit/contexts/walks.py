"""Random walks on graphs (DeepWalk, node2vec) as a streaming context generator.

Walks are integer node-id sequences generated in parallel by Numba kernels, one batch of walks
at a time, and handed to the SGNS engine as :class:`~embedkit.contexts.base.SeqBatch` objects
(node id -> vocabulary id through a mapping array). Nothing is ever turned into strings and the
whole walk set is never held in memory: peak memory is one batch (about ``2**20`` steps) per
prefetched batch, whatever ``walks_per_node`` is.

Transition rules (Perozzi et al. 2014; Grover & Leskovec 2016):

* first order (DeepWalk, and node2vec's first step): from ``v`` go to out-neighbour ``x`` with
  probability ``w_vx / sum_y w_vy`` (uniform if unweighted), drawn in O(1) from a per-node
  alias table (Walker/Vose) stored alongside the CSR arrays;
* second order (node2vec, arrived at ``v`` from ``t``): ``P(x) ∝ w_vx * a(t, x)`` with
  ``a = 1/p`` if ``x == t``, ``1`` if the arc ``t -> x`` exists (``d_tx = 1``), else ``1/q``.
  On directed graphs ``d_tx = 1`` means that ``x`` is an out-neighbour of ``t`` (the same
  reading as PecanPy; the original reference script tests the arc ``x -> t``); on undirected
  graphs both readings agree.

The node2vec step is exact rejection sampling that needs no memory beyond the graph (never
O(sum degree^2) transition tables): propose ``x`` from the first-order distribution and accept
with probability ``a(t, x) / M``, ``M = max(1, 1/q)``; when ``1/p > M`` the surplus mass
``w_vt (1/p - M)`` of the return move is an extra envelope region that returns to ``t``
directly (the "outlier folding" of KnightKing, Yang et al. 2019). ``d_tx`` is a binary search in
``t``'s sorted neighbour list, so a step costs O(M log deg(t)) expected time, also on hubs.

Batching, random streams, counting, export and sharding are those of every walk generator
(:mod:`embedkit.contexts.walk_base`): the walks depend only on the seed and epoch, never on the
number of threads or the batch size.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, NamedTuple

import numpy as np
from numba import njit, prange

from embedkit.alias import build_alias_tables
from embedkit.contexts.graph import Graph, as_graph
from embedkit.contexts.walk_base import CHUNK_WALKS, WalkGenerator
from embedkit.rng import next_u64, rand_below, rand_float
from embedkit.validation import check_positive_float, check_positive_int

__all__ = ["RandomWalks", "CHUNK_WALKS", "build_alias_tables"]

logger = logging.getLogger("embedkit")



# ---------------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------------


@njit(nogil=True, cache=True, inline="always")
def _find(indices, lo, hi, x):
    """Position of ``x`` in the sorted ``indices[lo:hi]``, or -1."""
    while lo < hi:
        mid = (lo + hi) >> 1
        y = indices[mid]
        if y == x:
            return mid
        if y < x:
            lo = mid + 1
        else:
            hi = mid
    return -1


@njit(nogil=True, cache=True, inline="always")
def first_order_step(indices, lo, deg, alias_prob, alias_idx, weighted, states, c):
    """One first-order step from a row starting at ``lo`` with ``deg`` arcs."""
    if weighted:
        r = next_u64(states, c)
        k = np.int64(((r >> np.uint64(32)) * np.uint64(deg)) >> np.uint64(32))
        u = np.float64(r & np.uint64(0xFFFFFFFF)) * (1.0 / 4294967296.0)
        if u >= alias_prob[lo + k]:
            k = np.int64(alias_idx[lo + k])
        return indices[lo + k]
    return indices[lo + rand_below(states, c, deg)]


class WalkGraph(NamedTuple):
    """The CSR graph as the walk kernel reads it (empty weight arrays: unweighted)."""

    indptr: np.ndarray  # int64 (n + 1,)
    indices: np.ndarray  # int32 (arcs,), each row sorted
    weights: np.ndarray  # float64 (arcs,) or (0,)
    alias_prob: np.ndarray  # float64 (arcs,) per-row alias tables, or (0,)
    alias_idx: np.ndarray  # int32 (arcs,), or (0,)
    row_weight: np.ndarray  # float64 (n,) total weight of each row, or (0,)


class WalkParams(NamedTuple):
    """Walk length and the node2vec return / in-out parameters (as 1/p, 1/q)."""

    walk_length: int
    inv_p: float
    inv_q: float
    second_order: bool  # False: first-order (DeepWalk) steps only


@njit(nogil=True, cache=True, parallel=True)
def _walk_kernel(graph, walk, starts, states, mapping, out, lengths):
    """Generate ``starts.size`` walks; walk ``w`` goes to ``out[w * walk_length:]``.

    Chunk ``c`` (walks ``c * CHUNK_WALKS ...``) uses the stream ``states[c]``. Node ids are
    written through ``mapping`` (node id -> output id).
    """
    indptr, indices, weights = graph.indptr, graph.indices, graph.weights
    alias_prob, alias_idx, row_weight = graph.alias_prob, graph.alias_idx, graph.row_weight
    walk_length, inv_p, inv_q = walk.walk_length, walk.inv_p, walk.inv_q
    second_order = walk.second_order
    n_walks = starts.shape[0]
    weighted = alias_prob.shape[0] > 0
    env = max(1.0, inv_q)  # envelope of the non-return moves
    for c in prange(states.shape[0]):
        w_end = min((c + 1) * CHUNK_WALKS, n_walks)
        for w in range(c * CHUNK_WALKS, w_end):
            v = np.int64(starts[w])
            base = w * walk_length
            out[base] = mapping[v]
            t = np.int64(-1)
            n = 1
            while n < walk_length:
                lo = indptr[v]
                deg = indptr[v + 1] - lo
                if deg == 0:
                    break  # dead end: the walk stops here
                if second_order and t >= 0:
                    extra = 0.0
                    if inv_p > env:
                        k = _find(indices, lo, lo + deg, t)
                        if k >= 0:
                            extra = (weights[k] if weighted else 1.0) * (inv_p - env)
                    body = (row_weight[v] if weighted else np.float64(deg)) * env
                    t_lo = indptr[t]
                    t_hi = indptr[t + 1]
                    while True:
                        if extra > 0.0 and rand_float(states, c) * (body + extra) >= body:
                            x = np.int64(t)
                            break
                        x = np.int64(first_order_step(indices, lo, deg, alias_prob, alias_idx,
                                                  weighted, states, c))
                        if x == t:
                            a = min(inv_p, env)
                        elif _find(indices, t_lo, t_hi, x) >= 0:
                            a = 1.0
                        else:
                            a = inv_q
                        if a >= env or rand_float(states, c) * env < a:
                            break
                else:
                    x = np.int64(first_order_step(indices, lo, deg, alias_prob, alias_idx,
                                              weighted, states, c))
                out[base + n] = mapping[x]
                t = v
                v = x
                n += 1
            lengths[w] = n


# ---------------------------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------------------------


class RandomWalks(WalkGenerator):
    """DeepWalk / node2vec random walks on a graph, streamed as id batches.

    Parameters
    ----------
    graph : Graph or any input of :func:`embedkit.contexts.graph.as_graph`
        A networkx graph, scipy.sparse matrix, edge DataFrame, edge-list path, ...
    walk_length : int, default 80
        Nodes per walk (including the start node). A walk that reaches a node without
        out-edges (a dead end of a directed graph) stops there, shorter.
    walks_per_node : int, default 10
        Walks started from every node in one epoch; each of these rounds visits the start
        nodes in a fresh random order.
    p, q : float, default 1.0
        node2vec return and in-out parameters. ``p = q = 1`` is DeepWalk (first-order walks;
        the fast path is used automatically).
    directed, weighted : bool or None
        Passed to :func:`~embedkit.contexts.graph.as_graph` (``weighted=False`` walks uniformly
        on a weighted graph).
    batch_walks : int, optional
        Walks per :class:`SeqBatch` (rounded up to a multiple of :data:`CHUNK_WALKS`). Default:
        about ``2**20`` steps per batch.
    count_seed : int, default 0
        Seed of the vocabulary counting pass (see Notes).
    progress : bool, default False
        Show a progress bar during the counting pass.

    Attributes
    ----------
    graph : Graph
    start_nodes : ndarray of int64
        Node ids walks start from: every node with at least one edge.
    isolated : ndarray of int64
        Ids of nodes without any edge. They are not walked and get no vector (a warning
        lists them).
    node_counts_ : ndarray of int64 or None
        Visits of each node id in the counting pass (set by :meth:`build_vocab`).

    Notes
    -----
    *Vocabulary counts.* :meth:`build_vocab` runs one counting pass: it generates the walks of
    epoch 0 with seed ``count_seed`` batch by batch and counts node visits without storing the
    walks, so the counts are exactly what a walk-then-word2vec pipeline (PecanPy + gensim) sees
    for one pass over its walks. The counts drive the noise distribution ``count^0.75`` and
    frequent-node subsampling. :class:`embedkit.Node2Vec` sets ``count_seed`` to its integer
    ``random_state``, so the counts are those of the walks of the first training epoch.

    *Epochs.* Every epoch generates a new walk set with fresh streams (seed, epoch, chunk):
    more epochs means more (different) walks, not repeated passes over one stored set.

    Examples
    --------
    >>> import networkx as nx
    >>> rw = RandomWalks(nx.karate_club_graph(), walk_length=5, walks_per_node=2, p=0.5, q=2)
    >>> vocab = rw.build_vocab(min_count=1, max_vocab_size=None, subsample=0.0)
    >>> batch = next(rw.batches(vocab, epoch=0, seed=1))
    >>> batch.offsets.size - 1, batch.n_raw
    (68, 340)
    """

    def __init__(
        self,
        graph: Any,
        *,
        walk_length: int = 80,
        walks_per_node: int = 10,
        p: float = 1.0,
        q: float = 1.0,
        directed: bool | None = None,
        weighted: bool | None = None,
        batch_walks: int | None = None,
        count_seed: int = 0,
        progress: bool = False,
    ) -> None:
        self.walk_length = check_positive_int("walk_length", walk_length)
        self.walks_per_node = check_positive_int("walks_per_node", walks_per_node)
        self.p = check_positive_float("p", p)
        self.q = check_positive_float("q", q)
        if batch_walks is None:
            batch_walks = max(1, (1 << 20) // self.walk_length)
        batch_walks = check_positive_int("batch_walks", batch_walks)
        self.batch_walks = -(-batch_walks // CHUNK_WALKS) * CHUNK_WALKS
        self.count_seed = int(count_seed)
        self.progress = bool(progress)
        self.graph: Graph = as_graph(graph, directed=directed, weighted=weighted)
        g = self.graph
        if g.n_nodes >= 2**31 - 1:
            raise ValueError(f"graphs with {g.n_nodes} nodes are too large (max 2**31 - 2)")
        self.isolated = g.isolated()
        keep = np.ones(g.n_nodes, dtype=bool)
        keep[self.isolated] = False
        self.start_nodes = np.flatnonzero(keep).astype(np.int64)
        if self.isolated.size:
            names = ", ".join(repr(g.labels[i]) for i in self.isolated[:5])
            more = ", ..." if self.isolated.size > 5 else ""
            warnings.warn(
                f"{self.isolated.size} isolated node(s) without any edge ({names}{more}) are not "
                "walked and get no vector", UserWarning, stacklevel=2,
            )
        self.second_order = not (self.p == 1.0 and self.q == 1.0)
        if g.weighted:
            self._alias_prob, self._alias_idx = build_alias_tables(g.indptr, g.weights)
            rows = np.repeat(np.arange(g.n_nodes), np.diff(g.indptr))
            self._row_weight = np.bincount(rows, weights=g.weights, minlength=g.n_nodes)
            self._weights = g.weights
        else:
            self._alias_prob = np.zeros(0, np.float64)
            self._alias_idx = np.zeros(0, np.int32)
            self._row_weight = np.zeros(0, np.float64)
            self._weights = np.zeros(0, np.float64)
        self._init_state()
        if self.second_order:
            env = max(1.0, 1.0 / self.q)
            logger.info(
                "node2vec walks (p=%g, q=%g): rejection sampling with envelope %g over the "
                "first-order %s proposal; memory O(edges), no per-edge transition tables",
                self.p, self.q, env, "alias" if g.weighted else "uniform",
            )
        else:
            logger.info("first-order (DeepWalk) walks, %s",
                        "weight-proportional alias tables" if g.weighted else "uniform")

    def __repr__(self) -> str:
        return (f"RandomWalks({self.graph!r}, walk_length={self.walk_length}, "
                f"walks_per_node={self.walks_per_node}, p={self.p}, q={self.q})")

    def walk_batch(self, starts, states, mapping, out, lengths) -> None:
        g = self.graph
        graph = WalkGraph(g.indptr, g.indices, self._weights, self._alias_prob,
                          self._alias_idx, self._row_weight)
        walk = WalkParams(int(self.walk_length), 1.0 / self.p, 1.0 / self.q,
                          bool(self.second_order))
        _walk_kernel(graph, walk, starts, states, mapping, out, lengths)
