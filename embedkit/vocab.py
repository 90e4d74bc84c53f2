"""Vocabulary: token <-> id, counts, and the subsampling keep probability.

The same class serves words, graph nodes and k-mers: keys may be any hashable value.
Ids are sorted by descending count (ties keep first-seen order), as in word2vec.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np

__all__ = ["Vocab", "keep_probability"]


def keep_probability(counts: np.ndarray, subsample: float, total: int | None = None) -> np.ndarray:
    """Probability of keeping each occurrence of a token under frequent-token subsampling.

    ``P_keep = min(1, sqrt(t / f) + t / f)`` where ``f = count / total`` and ``t = subsample``
    (Mikolov et al. 2013, as implemented in word2vec.c). ``subsample == 0`` keeps everything.

    Parameters
    ----------
    counts : ndarray of int
        Token counts.
    subsample : float
        The threshold ``t``; 0 disables subsampling.
    total : int, optional
        The number of tokens ``f`` is relative to; defaults to ``counts.sum()``.

    Returns
    -------
    ndarray of float32

    Examples
    --------
    >>> keep_probability(np.array([1000, 1]), 1e-3).round(3).tolist()
    [0.033, 1.0]
    """
    counts = np.asarray(counts, dtype=np.float64)
    if subsample < 0:
        raise ValueError(f"subsample must be >= 0, got {subsample}")
    if subsample == 0 or counts.size == 0:
        return np.ones(counts.shape, dtype=np.float32)
    total = float(counts.sum() if total is None else total)
    ratio = subsample / np.maximum(counts / total, 1e-300)
    return np.minimum(1.0, np.sqrt(ratio) + ratio).astype(np.float32)


class Vocab:
    """Token vocabulary: counts, ``min_count``/``max_vocab_size`` pruning, keep probabilities.

    Parameters
    ----------
    keys : sequence of hashable
        Tokens, already sorted by descending count.
    counts : array-like of int
        Count of each token.
    subsample : float, default 1e-3
        Subsampling threshold ``t`` used for :attr:`keep_prob` (0 switches it off).
    n_raw_tokens : int, optional
        Number of tokens seen before pruning (for reporting).
    ordered : bool, default True
        Require keys sorted by descending count. A vocabulary grown by :meth:`grow` is not:
        its old ids stay where they were and new tokens are appended.

    Attributes
    ----------
    index_to_key : list
        Token of each id.
    key_to_index : dict
        Id of each token (built on first use: integer node ids of a large graph never
        need it).
    counts : ndarray of int64
        Count of each id.
    keep_prob : ndarray of float32
        Subsampling keep probability of each id.

    Examples
    --------
    >>> v = Vocab.from_counts({"a": 3, "b": 5, "c": 1}, min_count=2)
    >>> v.index_to_key, v.counts.tolist()
    (['b', 'a'], [5, 3])
    """

    def __init__(
        self,
        keys: Sequence[Hashable],
        counts: Iterable[int],
        *,
        subsample: float = 1e-3,
        n_raw_tokens: int | None = None,
        ordered: bool = True,
    ) -> None:
        self.index_to_key = list(keys)
        self.counts = np.asarray(counts, dtype=np.int64).reshape(-1)
        if len(self.index_to_key) != self.counts.size:
            raise ValueError("keys and counts must have the same length")
        self.ordered = bool(ordered)
        if self.ordered and np.any(self.counts[1:] > self.counts[:-1]):
            raise ValueError("Vocab keys must be sorted by descending count")
        if len(set(self.index_to_key)) != len(self.index_to_key):
            raise ValueError("Vocab keys must be unique")
        self._key_to_index: dict | None = None  # built on first use (1M keys: ~70 MB)
        self.subsample = float(subsample)
        self.total = int(self.counts.sum())
        self.n_raw_tokens = self.total if n_raw_tokens is None else int(n_raw_tokens)
        self.keep_prob = keep_probability(self.counts, self.subsample)

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[Hashable, int],
        *,
        min_count: int = 1,
        max_vocab_size: int | None = None,
        subsample: float = 1e-3,
    ) -> Vocab:
        """Build a vocabulary from a ``{token: count}`` mapping (e.g. a ``Counter``).

        Tokens with fewer than ``min_count`` occurrences are dropped; then only the
        ``max_vocab_size`` most frequent are kept. Ties keep the mapping's insertion order.

        Raises
        ------
        ValueError
            If there are no tokens, or none reach ``min_count``.
        """
        _check_pruning(min_count, max_vocab_size)
        if len(counts) == 0:
            raise ValueError("cannot build a vocabulary from an empty corpus (no tokens found)")
        keys = list(counts.keys())
        values = np.fromiter((counts[k] for k in keys), dtype=np.int64, count=len(keys))
        return cls.from_arrays(
            keys, values, min_count=min_count, max_vocab_size=max_vocab_size, subsample=subsample
        )

    @classmethod
    def from_arrays(
        cls,
        keys: Sequence[Hashable],
        counts: np.ndarray,
        *,
        min_count: int = 1,
        max_vocab_size: int | None = None,
        subsample: float = 1e-3,
    ) -> Vocab:
        """Build a vocabulary from parallel arrays of keys and counts (any order).

        Useful for graph nodes and k-mers, whose counts come from a Numba counting pass.
        """
        _check_pruning(min_count, max_vocab_size)
        counts = np.asarray(counts, dtype=np.int64).reshape(-1)
        if len(keys) != counts.size:
            raise ValueError("keys and counts must have the same length")
        n_raw = int(counts.sum())
        if n_raw == 0:
            raise ValueError("cannot build a vocabulary from an empty corpus (no tokens found)")
        order = np.argsort(-counts, kind="stable")
        order = order[counts[order] >= max(min_count, 1)]
        if max_vocab_size is not None:
            order = order[:max_vocab_size]
        if order.size == 0:
            raise ValueError(
                f"all {len(keys)} distinct tokens occur fewer than min_count={min_count} times; "
                "lower min_count or provide more data"
            )
        return cls(
            [keys[i] for i in order], counts[order], subsample=subsample, n_raw_tokens=n_raw
        )

    @property
    def key_to_index(self) -> dict:
        """Id of each token (a dict built on first use)."""
        if self._key_to_index is None:
            self._key_to_index = {k: i for i, k in enumerate(self.index_to_key)}
        return self._key_to_index

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key: object) -> bool:
        return key in self.key_to_index

    def __repr__(self) -> str:
        return f"Vocab(size={len(self)}, total={self.total}, subsample={self.subsample})"

    def encode(self, tokens: Iterable[Hashable]) -> np.ndarray:
        """Map tokens to ids; unknown tokens become ``-1`` (the engine skips them).

        Examples
        --------
        >>> Vocab(["x", "y"], [2, 1]).encode(["y", "q", "x"]).tolist()
        [1, -1, 0]
        """
        get = self.key_to_index.get
        return np.fromiter((get(t, -1) for t in tokens), dtype=np.int32)

    def with_subsample(self, subsample: float) -> Vocab:
        """A copy of this vocabulary with a different subsampling threshold."""
        return Vocab(
            self.index_to_key, self.counts, subsample=subsample, n_raw_tokens=self.n_raw_tokens,
            ordered=self.ordered,
        )

    def grow(self, new: Vocab, *, min_count: int = 1, max_new: int | None = None) -> Vocab:
        """This vocabulary plus the tokens of ``new``, old ids unchanged.

        Counts of tokens in both are added; tokens only in ``new`` are appended (most frequent
        first) when they occur at least ``min_count`` times **in the new data** (the old data's
        counts of tokens pruned then are not kept, so they cannot be added). Keep probabilities
        are recomputed from the combined counts with this vocabulary's ``subsample``.

        Parameters
        ----------
        new : Vocab
            Counts of the new data (built with ``min_count=1`` to see every token).
        min_count : int, default 1
            Occurrences in the new data a new token needs.
        max_new : int, optional
            Add at most this many new tokens.

        Returns
        -------
        Vocab
            Unordered (``ordered=False``) unless nothing was appended.

        Examples
        --------
        >>> old = Vocab(["a", "b"], [5, 2])
        >>> g = old.grow(Vocab(["c", "a", "d"], [4, 3, 1]), min_count=2)
        >>> g.index_to_key, g.counts.tolist()
        (['a', 'b', 'c'], [8, 2, 4])
        """
        _check_pruning(min_count, max_new)
        counts = self.counts.copy()
        index = self.key_to_index
        added_keys: list[Hashable] = []
        added_counts: list[int] = []
        for key, count in zip(new.index_to_key, new.counts.tolist(), strict=True):
            i = index.get(key)
            if i is not None:
                counts[i] += count
            elif count >= max(min_count, 1):
                added_keys.append(key)
                added_counts.append(count)
        order = np.argsort(-np.asarray(added_counts, dtype=np.int64), kind="stable")
        if max_new is not None:
            order = order[:max_new]
        keys = self.index_to_key + [added_keys[i] for i in order]
        counts = np.concatenate((counts, np.asarray(added_counts, dtype=np.int64)[order]))
        ordered = not np.any(counts[1:] > counts[:-1])
        return Vocab(keys, counts, subsample=self.subsample,
                     n_raw_tokens=self.n_raw_tokens + new.n_raw_tokens, ordered=ordered)


def _check_pruning(min_count: int, max_vocab_size: int | None) -> None:
    if not isinstance(min_count, (int, np.integer)) or isinstance(min_count, bool):
        raise TypeError(f"min_count must be an int, got {type(min_count).__name__}")
    if min_count < 0:
        raise ValueError(f"min_count must be >= 0, got {min_count}")
    if max_vocab_size is not None and max_vocab_size < 1:
        raise ValueError(f"max_vocab_size must be >= 1 or None, got {max_vocab_size}")
