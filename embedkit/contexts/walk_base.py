"""What every random-walk context generator shares: batching, streams, counting, export, shards.

A walk generator (:class:`~embedkit.contexts.walks.RandomWalks`,
:class:`~embedkit.contexts.metapath.MetapathWalks`, your own) subclasses :class:`WalkGenerator`,
sets ``graph``, ``walk_length``, ``walks_per_node``, ``batch_walks``, ``count_seed``,
``progress`` and ``start_nodes`` (one entry per walk of a round, "jobs"), and implements
:meth:`WalkGenerator.walk_batch`, which runs its Numba kernel on one batch of jobs. Everything
else (the ContextGenerator protocol, the ``Shardable`` protocol for Dask, ``walks()``,
``write_walks()``) comes from here.

Randomness: walk ``g`` of an epoch belongs to chunk ``g // CHUNK_WALKS`` whose xorshift stream is
``derive_seed(seed, epoch, chunk, walk_stream)``; the jobs are visited in a fresh random order in
each of the ``walks_per_node`` rounds of each epoch (``derive_seed(seed, epoch, round,
order_stream)``). The walks therefore depend only on the seed and epoch, never on the number of
threads or the batch size.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np
from numba import njit

from embedkit.contexts.base import SHARD_TOKENS, Counts, SeqBatch, shard_seed
from embedkit.rng import chunk_states, derive_seed
from embedkit.vocab import Vocab

__all__ = ["WalkGenerator", "WalkShard", "WalkBuffers", "CHUNK_WALKS"]

#: Walks per random stream (one parallel work unit).
CHUNK_WALKS = 64


class WalkBuffers(NamedTuple):
    """One batch of walks as a walk kernel reads and writes it (see ``walk_batch``)."""

    starts: np.ndarray  # int64 (n_walks,) start node (or job) of every walk
    states: np.ndarray  # uint64 (n_chunks, ...) one xorshift stream per chunk
    mapping: np.ndarray  # int32 (n_nodes,) node id -> output id
    out: np.ndarray  # int32 (n_walks * walk_length,) walk ``w`` at ``w * walk_length``
    lengths: np.ndarray  # int64 (n_walks,)


def int_array(values) -> np.ndarray | None:
    """``values`` as an int64 array if they all are (non-bool) ints, else ``None``."""
    if isinstance(values, range):
        return np.arange(values.start, values.stop, values.step, dtype=np.int64)
    if not len(values) or isinstance(values[0], (bool, np.bool_)):
        return None
    try:
        a = np.asarray(values)
    except (TypeError, ValueError, OverflowError):
        return None
    return a.astype(np.int64, copy=False) if a.ndim == 1 and a.dtype.kind in "iu" else None


def int_label_mapping(labels, keys) -> np.ndarray | None:
    """Vocabulary id of every node (-1 if none) for integer labels, by sorting (no dict).

    ``None`` when the labels or keys are not all integers, or a key is not a label: the caller
    then maps through the vocabulary's dictionary.
    """
    lab = int_array(labels)
    key = None if lab is None else int_array(keys)
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


class WalkGenerator:
    """Base class of walk generators (see the module docstring for what a subclass provides)."""

    #: Stream tags (subclasses with their own walk rule use their own tags).
    walk_stream = 0x3A1C
    order_stream = 0x3A1D

    graph: Any
    walk_length: int
    walks_per_node: int
    batch_walks: int
    count_seed: int
    progress: bool
    start_nodes: np.ndarray

    def _init_state(self) -> None:
        self.node_counts_: np.ndarray | None = None
        self._n_tokens: int | None = None
        self._mapping_cache: tuple[int, np.ndarray] | None = None

    def walk_batch(self, starts: np.ndarray, states: np.ndarray, mapping: np.ndarray,
                   out: np.ndarray, lengths: np.ndarray) -> None:
        """Generate one walk per entry of ``starts`` into ``out`` (stride ``walk_length``).

        Chunk ``c`` (walks ``c * CHUNK_WALKS ...``) must draw only from ``states[c]``; node
        ids are written through ``mapping``; ``lengths[w]`` is walk ``w``'s length.
        """
        raise NotImplementedError

    @property
    def n_walks(self) -> int:
        """Walks per epoch."""
        return int(self.start_nodes.size) * self.walks_per_node

    # -- core iteration -------------------------------------------------------------------------
    def _order(self, seed: int, epoch: int, rnd: int) -> np.ndarray:
        rng = np.random.default_rng(derive_seed(seed, epoch, rnd, self.order_stream))
        return self.start_nodes[rng.permutation(self.start_nodes.size)]

    def _iter_walks(self, seed: int, epoch: int, mapping: np.ndarray
                    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(ids, offsets)`` batches of one epoch's walks, ids through ``mapping``."""
        n_start = self.start_nodes.size
        total = self.n_walks
        L = self.walk_length
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
            states = chunk_states(seed, epoch, g0 // CHUNK_WALKS, n_chunks,
                                  self.walk_stream)
            buf = np.empty((g1 - g0) * L, dtype=np.int32)
            lengths = np.empty(g1 - g0, dtype=np.int64)
            self.walk_batch(starts, states, mapping, buf, lengths)
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
        mapping = int_label_mapping(self.graph.labels, vocab.index_to_key)
        if mapping is None:
            get = vocab.key_to_index.get
            mapping = np.fromiter((get(lab, -1) for lab in self.graph.labels), dtype=np.int32,
                                  count=self.graph.n_nodes)
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
        >>> from embedkit.contexts.walks import RandomWalks
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

    # -- Shardable protocol (distributed training) ----------------------------------------------
    def shards(self, n_shards: int | None = None) -> list[WalkShard]:
        """Split the walks by start jobs: shard ``s`` walks ``start_nodes[cuts[s]:cuts[s+1]]``."""
        n = int(self.start_nodes.size)
        if n_shards is None:
            n_shards = max(1, -(-self.n_walks * self.walk_length // SHARD_TOKENS))
        n_shards = max(1, min(n_shards, n))
        cuts = [n * s // n_shards for s in range(n_shards + 1)]
        return [WalkShard(self, a, b, s, n_shards)
                for s, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True))]


class WalkShard:
    """The walks of a :class:`WalkGenerator` started from ``start_nodes[lo:hi]``."""

    epoch_invariant = False

    def __init__(self, walks: WalkGenerator, lo: int, hi: int, shard: int, n_shards: int) -> None:
        self.walks = copy.copy(walks)
        self.walks.start_nodes = walks.start_nodes[lo:hi]
        self.walks._init_state()
        self.walks.count_seed = shard_seed(walks.count_seed, shard, n_shards)
        self.n_nodes = hi - lo

    def count(self) -> Counts:
        self.walks.build_vocab(min_count=1, max_vocab_size=None, subsample=0.0)
        counts = np.asarray(self.walks.node_counts_, dtype=np.int64)
        n = int(counts.sum())
        return Counts(self.walks.graph.labels, counts, n, (n,))

    def batches(self, vocab: Vocab, *, epoch: int, seed: int) -> Iterator[SeqBatch]:
        return self.walks.batches(vocab, epoch=epoch, seed=seed)

    def __repr__(self) -> str:
        return f"WalkShard({self.n_nodes} start nodes)"
