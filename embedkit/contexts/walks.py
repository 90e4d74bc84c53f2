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

Randomness: walk ``g`` of an epoch belongs to chunk ``g // CHUNK_WALKS`` whose xorshift stream is
``derive_seed(seed, epoch, chunk, tag)``; start nodes are visited in a fresh random order in each
of the ``walks_per_node`` rounds of each epoch. The walks therefore depend only on the seed and
epoch, never on the number of threads or the batch size.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from numba import njit, prange

from embedkit.contexts.base import SeqBatch
from embedkit.contexts.graph import Graph, as_graph
from embedkit.rng import chunk_states, derive_seed, next_u64, rand_below, rand_float
from embedkit.samplers.base import vose_fill
from embedkit.vocab import Vocab

__all__ = ["RandomWalks", "CHUNK_WALKS", "build_alias_tables"]

logger = logging.getLogger("embedkit")

#: Walks per random stream (one parallel work unit).
CHUNK_WALKS = 64
_WALK_STREAM = 0x3A1C
_ORDER_STREAM = 0x3A1D


# ---------------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------------


@njit(nogil=True, cache=True)
def build_alias_tables(indptr, weights):
    """Per-node Vose alias tables over each CSR row (O(E) time and memory).

    Returns ``alias_prob`` (float64) and ``alias_idx`` (int32, a position inside the row), both
    aligned with the CSR arcs: to draw from row ``v``, pick ``k`` uniformly in the row, keep it
    with probability ``alias_prob[indptr[v] + k]``, else take ``alias_idx[indptr[v] + k]``.
    """
    n = indptr.shape[0] - 1
    prob = np.ones(weights.shape[0], dtype=np.float64)
    alias = np.zeros(weights.shape[0], dtype=np.int32)
    max_deg = 0
    for v in range(n):
        max_deg = max(max_deg, indptr[v + 1] - indptr[v])
    scaled = np.empty(max_deg, dtype=np.float64)
    small = np.empty(max_deg, dtype=np.int64)
    large = np.empty(max_deg, dtype=np.int64)
    for v in range(n):
        lo = indptr[v]
        d = indptr[v + 1] - lo
        if d > 0:
            vose_fill(weights, lo, d, prob, alias, scaled, small, large)
    return prob, alias


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
def _first_order(indices, lo, deg, alias_prob, alias_idx, weighted, states, c):
    """One first-order step from a row starting at ``lo`` with ``deg`` arcs."""
    if weighted:
        r = next_u64(states, c)
        k = np.int64(((r >> np.uint64(32)) * np.uint64(deg)) >> np.uint64(32))
        u = np.float64(r & np.uint64(0xFFFFFFFF)) * (1.0 / 4294967296.0)
        if u >= alias_prob[lo + k]:
            k = np.int64(alias_idx[lo + k])
        return indices[lo + k]
    return indices[lo + rand_below(states, c, deg)]


@njit(nogil=True, cache=True, parallel=True)
def _walk_kernel(indptr, indices, weights, alias_prob, alias_idx, row_weight, starts,
                 walk_length, inv_p, inv_q, second_order, states, mapping, out, lengths):
    """Generate ``starts.size`` walks; walk ``w`` goes to ``out[w * walk_length:]``.

    Chunk ``c`` (walks ``c * CHUNK_WALKS ...``) uses the stream ``states[c]``. Node ids are
    written through ``mapping`` (node id -> output id).
    """
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
                        x = np.int64(_first_order(indices, lo, deg, alias_prob, alias_idx,
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
                    x = np.int64(_first_order(indices, lo, deg, alias_prob, alias_idx,
                                              weighted, states, c))
                out[base + n] = mapping[x]
                t = v
                v = x
                n += 1
            lengths[w] = n


@njit(nogil=True, cache=True)
def _compact(out, lengths, walk_length, ids, offsets):
    """Pack the fixed-stride walk buffer into CSR (``ids``, ``offsets``)."""
    pos = 0
    offsets[0] = 0
    for w in range(lengths.shape[0]):
        base = w * walk_length
        for i in range(lengths[w]):
            ids[pos + i] = out[base + i]
        pos += lengths[w]
        offsets[w + 1] = pos


# ---------------------------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------------------------


def _check_pos_int(name: str, value: Any) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _check_pos_float(name: str, value: Any) -> float:
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a positive number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return value


def _int_array(values) -> np.ndarray | None:
    """``values`` as an int64 array if they all are (non-bool) ints, else ``None``."""
    if isinstance(values, range):
        return np.arange(values.start, values.stop, values.step, dtype=np.int64)
    if not values or isinstance(values[0], (bool, np.bool_)):
        return None
    try:
        a = np.asarray(values)
    except (TypeError, ValueError, OverflowError):
        return None
    return a.astype(np.int64, copy=False) if a.ndim == 1 and a.dtype.kind in "iu" else None


def _int_label_mapping(labels, keys) -> np.ndarray | None:
    """Vocabulary id of every node (-1 if none) for integer labels, by sorting (no dict)."""
    lab = _int_array(labels)
    key = None if lab is None else _int_array(keys)
    if key is None:
        return None
    mapping = np.full(lab.size, -1, dtype=np.int32)
    if isinstance(labels, range):  # ids are the labels
        node = key - labels.start
    else:
        sorter = np.argsort(lab, kind="stable")
        pos = np.searchsorted(lab, key, sorter=sorter).clip(max=lab.size - 1)
        node = sorter[pos]
        if not np.array_equal(lab[node], key):
            return None  # a key that is not a label: let the dictionary path decide
    if node.size and (node.min() < 0 or node.max() >= lab.size):
        return None
    mapping[node] = np.arange(key.size, dtype=np.int32)
    return mapping


class RandomWalks:
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
        self.walk_length = _check_pos_int("walk_length", walk_length)
        self.walks_per_node = _check_pos_int("walks_per_node", walks_per_node)
        self.p = _check_pos_float("p", p)
        self.q = _check_pos_float("q", q)
        if batch_walks is None:
            batch_walks = max(1, (1 << 20) // self.walk_length)
        batch_walks = _check_pos_int("batch_walks", batch_walks)
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
        self.node_counts_: np.ndarray | None = None
        self._n_tokens: int | None = None
        self._mapping_cache: tuple[int, np.ndarray] | None = None
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

    @property
    def n_walks(self) -> int:
        """Walks per epoch."""
        return int(self.start_nodes.size) * self.walks_per_node

    # -- core iteration -------------------------------------------------------------------------
    def _order(self, seed: int, epoch: int, rnd: int) -> np.ndarray:
        rng = np.random.default_rng(derive_seed(seed, epoch, rnd, _ORDER_STREAM))
        return self.start_nodes[rng.permutation(self.start_nodes.size)]

    def _iter_walks(self, seed: int, epoch: int, mapping: np.ndarray
                    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(ids, offsets)`` batches of one epoch's walks, ids through ``mapping``."""
        n_start = self.start_nodes.size
        total = self.n_walks
        L = self.walk_length
        inv_p, inv_q = 1.0 / self.p, 1.0 / self.q
        g = self.graph
        rnd, order = -1, None
        for g0 in range(0, total, self.batch_walks):
            g1 = min(total, g0 + self.batch_walks)
            parts = []
            pos = g0
            while pos < g1:
                r, i = divmod(pos, n_start)
                if r != rnd:
                    rnd, order = r, self._order(seed, epoch, r)
                take = min(n_start - i, g1 - pos)
                parts.append(order[i:i + take])
                pos += take
            starts = parts[0] if len(parts) == 1 else np.concatenate(parts)
            n_chunks = -(-(g1 - g0) // CHUNK_WALKS)
            states = chunk_states(seed, epoch, g0 // CHUNK_WALKS, n_chunks, _WALK_STREAM)
            buf = np.empty((g1 - g0) * L, dtype=np.int32)
            lengths = np.empty(g1 - g0, dtype=np.int64)
            _walk_kernel(g.indptr, g.indices, self._weights, self._alias_prob, self._alias_idx,
                         self._row_weight, starts, L, inv_p, inv_q, self.second_order, states,
                         mapping, buf, lengths)
            if int(lengths.sum()) == buf.size:
                offsets = np.arange(0, buf.size + 1, L, dtype=np.int64)
                yield buf, offsets
            else:
                ids = np.empty(int(lengths.sum()), dtype=np.int32)
                offsets = np.empty(lengths.size + 1, dtype=np.int64)
                _compact(buf, lengths, L, ids, offsets)
                yield ids, offsets

    def _identity(self) -> np.ndarray:
        return np.arange(self.graph.n_nodes, dtype=np.int32)

    # -- ContextGenerator protocol -------------------------------------------------------------
    def build_vocab(self, *, min_count: int = 1, max_vocab_size: int | None = None,
                    subsample: float = 0.0) -> Vocab:
        """Count node visits over one epoch of walks (not stored) and build the vocabulary.

        Keys are the original node labels. Isolated nodes are never visited and so never
        enter the vocabulary.
        """
        counts = np.zeros(self.graph.n_nodes, dtype=np.int64)
        ident = self._identity()
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.n_walks, unit="walk", unit_scale=True, leave=False,
                       desc="counting walks")
        try:
            for ids, offsets in self._iter_walks(self.count_seed, 0, ident):
                counts += np.bincount(ids, minlength=counts.size)
                if bar is not None:
                    bar.update(offsets.size - 1)
        finally:
            if bar is not None:
                bar.close()
        self.node_counts_ = counts
        self._n_tokens = int(counts.sum())
        return Vocab.from_arrays(self.graph.labels, counts, min_count=min_count,
                                 max_vocab_size=max_vocab_size, subsample=subsample)

    def tokens_per_epoch(self, vocab: Vocab) -> int:
        """Walk steps in one epoch: exact for the counting pass, an upper bound otherwise."""
        if self._n_tokens is not None:
            return self._n_tokens
        return self.n_walks * self.walk_length

    def _mapping(self, vocab: Vocab) -> np.ndarray:
        if self._mapping_cache is not None and self._mapping_cache[0] == id(vocab):
            return self._mapping_cache[1]
        n = self.graph.n_nodes
        mapping = _int_label_mapping(self.graph.labels, vocab.index_to_key)
        if mapping is None:
            get = vocab.key_to_index.get
            mapping = np.fromiter((get(lab, -1) for lab in self.graph.labels), dtype=np.int32,
                                  count=n)
        self._mapping_cache = (id(vocab), mapping)
        return mapping

    def batches(self, vocab: Vocab, *, epoch: int, seed: int) -> Iterator[SeqBatch]:
        """Stream one epoch of walks as vocabulary-id batches (one walk per sequence)."""
        mapping = self._mapping(vocab)
        for ids, offsets in self._iter_walks(seed, epoch, mapping):
            yield SeqBatch(ids, offsets, int(ids.size))

    # -- export ----------------------------------------------------------------------------------
    def iter_walks(self, *, epoch: int = 0, seed: int = 0
                   ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Stream one epoch of walks as ``(node_ids, offsets)`` CSR batches (int32, int64).

        Walk ``i`` of a batch is ``node_ids[offsets[i]:offsets[i + 1]]`` (graph node ids; map
        them to labels with ``graph.labels``). Memory stays at one batch.
        """
        yield from self._iter_walks(int(seed), int(epoch), self._identity())

    def walks(self, *, epoch: int = 0, seed: int = 0, labels: bool = False
              ) -> list[np.ndarray] | list[list]:
        """All walks of one epoch, in memory (for inspection or other tools).

        Parameters
        ----------
        epoch, seed : int
            The same ``(seed, epoch)`` gives the same walks as training with that seed.
        labels : bool, default False
            Return lists of node labels instead of int32 arrays of node ids.

        Returns
        -------
        list
            ``len == n_walks``; walks in generation order.

        Examples
        --------
        >>> import networkx as nx
        >>> rw = RandomWalks(nx.path_graph(3), walk_length=4, walks_per_node=1)
        >>> [len(w) for w in rw.walks(seed=3)]
        [4, 4, 4]
        """
        out: list = []
        lab = self.graph.labels
        for ids, offsets in self._iter_walks(int(seed), int(epoch), self._identity()):
            for i in range(offsets.size - 1):
                w = ids[offsets[i]:offsets[i + 1]]
                out.append([lab[j] for j in w] if labels else w.copy())
        return out

    def write_walks(self, path: str | os.PathLike, *, epoch: int = 0, seed: int = 0,
                    sep: str = " ") -> int:
        """Stream one epoch of walks to a text file, one walk of node labels per line.

        Returns the number of walks written. The file is written batch by batch, so memory
        stays bounded.
        """
        from embedkit._io import atomic_write

        lab = [str(x) for x in self.graph.labels]
        for s in lab:
            if sep in s or "\n" in s:
                raise ValueError(f"node label {s!r} contains the separator {sep!r} or a newline")
        n = 0
        with atomic_write(path) as f:
            for ids, offsets in self._iter_walks(int(seed), int(epoch), self._identity()):
                lines = []
                for i in range(offsets.size - 1):
                    lines.append(sep.join([lab[j] for j in ids[offsets[i]:offsets[i + 1]]]))
                f.write("\n".join(lines))
                f.write("\n")
                n += len(lines)
        return n

