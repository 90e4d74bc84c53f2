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

from embedkit.vocab import Vocab

__all__ = ["SeqBatch", "ContextGenerator", "make_batch"]


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
