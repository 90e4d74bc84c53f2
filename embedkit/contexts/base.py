"""Contracts between context generators and the SGNS engine.

A context generator turns raw data (text, graphs, DNA) into

1. token counts, from which a :class:`~embedkit.vocab.Vocab` is built, and
2. a stream of :class:`SeqBatch` objects: compressed-row batches of int32 id sequences in the
   vocabulary's id space.

Sentences, random walks and k-mer runs all look the same to the engine. An id of ``-1`` means
"not in the vocabulary": the engine removes it before windowing, exactly as word2vec drops
unknown words, so a window spans across it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np

from embedkit.rng import derive_seed
from embedkit.vocab import Vocab

__all__ = ["SeqBatch", "ContextGenerator", "make_batch", "Counts", "ContextShard", "Shardable",
           "shard_seed", "SHARD_TOKENS"]

#: Stream tag of per-shard seeds.
SHARD_STREAM = 0x5A4D
#: Default work per shard (raw tokens or walk steps) when the number of shards is not given.
SHARD_TOKENS = 64 * 2**20


class SeqBatch(NamedTuple):
    """A batch of id sequences in CSR layout.

    Attributes
    ----------
    ids : ndarray of int32
        All sequences concatenated; ``-1`` marks out-of-vocabulary positions.
    offsets : ndarray of int64
        ``len(n_sequences + 1)``; sequence ``i`` is ``ids[offsets[i]:offsets[i + 1]]``.
    n_raw : int
        Raw tokens this batch stands for (including out-of-vocabulary ones), which drives the
        learning-rate schedule and progress reporting.
    """

    ids: np.ndarray
    offsets: np.ndarray
    n_raw: int


def make_batch(sequences: list[np.ndarray], n_raw: int | None = None) -> SeqBatch:
    """Concatenate a list of int32 id arrays into a :class:`SeqBatch`.

    Examples
    --------
    >>> b = make_batch([np.array([0, 1], np.int32), np.array([2], np.int32)])
    >>> b.offsets.tolist(), b.n_raw
    ([0, 2, 3], 3)
    """
    offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
    if sequences:
        np.cumsum([len(s) for s in sequences], out=offsets[1:])
        ids = np.concatenate(sequences).astype(np.int32, copy=False)
    else:
        ids = np.zeros(0, dtype=np.int32)
    return SeqBatch(ids, offsets, int(offsets[-1]) if n_raw is None else int(n_raw))


@runtime_checkable
class ContextGenerator(Protocol):
    """What the engine needs from a source of sequences.

    Implementations stream: neither method may hold the whole corpus (or all walks) in memory.
    """

    def build_vocab(
        self, *, min_count: int, max_vocab_size: int | None, subsample: float
    ) -> Vocab:
        """One counting pass over the data; returns the vocabulary."""
        ...

    def tokens_per_epoch(self, vocab: Vocab) -> int:
        """Raw tokens one epoch will stream (sum of ``SeqBatch.n_raw``), or a close estimate.

        Drives the linear learning-rate decay; an estimate that is off only shifts when the
        rate reaches ``min_lr`` (it is clamped there).
        """
        ...

    def batches(self, vocab: Vocab, *, epoch: int, seed: int) -> Iterator[SeqBatch]:
        """Stream one epoch of id sequences.

        Random choices (walks, variable k, ...) must use streams derived from
        ``(seed, epoch, chunk)`` with :func:`embedkit.rng.derive_seed`.
        """
        ...


# -- sharding (distributed training) ------------------------------------------------------------
class Counts(NamedTuple):
    """Raw token counts of one shard (or of several, merged).

    ``key_kind`` says how keys are kept: ``"hashable"``, a list in first-seen order, or
    ``"kmer"``, an increasing int64 array of k-mer keys (see :mod:`embedkit.contexts.kmers`).
    ``facts`` are integer statistics of the data, summed when shards are merged.
    """

    keys: list | np.ndarray
    counts: np.ndarray  # int64
    n_raw: int  # raw tokens (lr schedule)
    n_raw_per_shard: tuple  # raw tokens of each shard, in shard order
    key_kind: str = "hashable"
    facts: dict | None = None


def shard_seed(seed: int, shard: int, n_shards: int) -> int:
    """Seed of shard ``shard``'s streams (the base seed itself when there is only one shard)."""
    if n_shards == 1:
        return int(seed)
    return derive_seed(seed, SHARD_STREAM, shard) & ((1 << 63) - 1)


@runtime_checkable
class ContextShard(Protocol):
    """A piece of a generator's data that one Dask task counts and streams on its own.

    It is pickled to the workers, so it should carry paths or slices, not open files.
    ``epoch_invariant`` says whether :meth:`batches` ignores ``(epoch, seed)`` (text, fixed-k
    k-mers: the encoded stream is cached across epochs) or not (walks: cached per epoch).
    """

    epoch_invariant: bool

    def count(self) -> Counts:
        """Raw counts of this shard's tokens (one counting pass)."""
        ...

    def batches(self, vocab: Vocab, *, epoch: int, seed: int) -> Iterator[SeqBatch]:
        """This shard's part of an epoch, in order; ``seed`` is :func:`shard_seed`'s."""
        ...


@runtime_checkable
class Shardable(Protocol):
    """A context generator that can split itself into shards for distributed training.

    The concatenation of the shards' streams, in order, is the epoch's stream; with one shard it
    must be exactly the generator's own stream (so one shard reproduces one machine). Shard
    ``s`` of ``n`` draws its random numbers from ``shard_seed(seed, s, n)``.
    """

    def shards(self, n_shards: int | None = None) -> list[ContextShard]:
        """Split into ``n_shards`` shards (None: about one per :data:`SHARD_TOKENS`)."""
        ...
