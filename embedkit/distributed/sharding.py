"""Sharded context generation: counting and sequence streams as independent Dask tasks.

A *shard* is a piece of the training data that one task can count and stream on its own:

* text: one file of a :class:`TextFiles` set, a byte range of a plain text file (lines whose
  first byte falls in the range), or a slice of an in-memory list of sentences;
* graphs: the random walks started from a range of start nodes (:class:`RandomWalks`);
* k-mers: a contiguous range of the records of a :class:`~embedkit.contexts.kmers.KmerCorpus`
  (a FASTA/FASTQ file, plain or gzip, or a slice of an in-memory list or Series of sequences);
  a shard of a file parses the records before its range but encodes only its own;
* anything else: the whole context generator as a single shard.

Each shard has its own random stream ``derive_seed(seed, SHARD_STREAM, shard)`` (with a single
shard the stream is the generator's own, so one shard reproduces single-process training exactly),
and its kernel chunks are numbered from ``shard << 40``: chunk streams never collide.

Vocabulary counts are computed per shard and reduced pairwise in shard order (which keeps the
first-seen order of tied counts, as one machine would), then pruned once. k-mer counts are keyed
by the integer k-mer key and merged in key order, which is how one machine breaks ties. Counting
statistics of the data (``Counts.facts``, e.g. a k-mer corpus's bases and records) are summed
over shards and set on the client's generator (:func:`apply_facts`), as its own counting pass
would set them.

A generator that is :class:`~embedkit.contexts.base.Shardable` (walks, metapath walks, k-mer
corpora, text corpora, your own) splits itself (:meth:`TextCorpus.shards
<embedkit.contexts.text.TextCorpus.shards>`); anything else trains as one shard. Encoded
batches are cached per worker (:mod:`embedkit.distributed.cache`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any

import numpy as np

from embedkit.contexts.base import (
    SHARD_STREAM,
    SHARD_TOKENS,
    ContextShard,
    Counts,
    SeqBatch,
    Shardable,
    shard_seed,
)
from embedkit.contexts.kmer_shards import KmerShard
from embedkit.contexts.text_shards import TextFiles, TextShard
from embedkit.contexts.walk_base import WalkShard
from embedkit.distributed.cache import (
    cache_drop,
    cache_get,
    cache_put,
    cached_batches,
    clear_cache,
)
from embedkit.vocab import Vocab

__all__ = [
    "TextFiles",
    "TextShard",
    "Counts",
    "KmerShard",
    "WalkShard",
    "GeneratorShard",
    "plan_shards",
    "apply_facts",
    "count_shard",
    "merge_counts",
    "finish_vocab",
    "shard_seed",
    "chunk_offset",
    "cache_drop",
    "cache_get",
    "cache_put",
    "cached_batches",
    "clear_cache",
    "SHARD_STREAM",
    "SHARD_TOKENS",
]

#: Bit position of the shard number in kernel chunk indices.
_CHUNK_SHIFT = 40


def chunk_offset(shard: int) -> int:
    """First kernel chunk index of shard ``shard`` (``0`` for shard 0, like one machine)."""
    return int(shard) << _CHUNK_SHIFT


# -- anything else -----------------------------------------------------------------------------
class GeneratorShard:
    """A whole context generator as one shard (no splitting; always exact)."""

    def __init__(self, generator) -> None:
        self.generator = generator
        # a generator may say its stream ignores (epoch, seed); then it is cached across epochs
        self.epoch_invariant = bool(getattr(generator, "epoch_invariant", False))

    def count(self) -> Counts:
        vocab = self.generator.build_vocab(min_count=1, max_vocab_size=None, subsample=0.0)
        n = int(self.generator.tokens_per_epoch(vocab))
        return Counts(list(vocab.index_to_key), vocab.counts.copy(), n, (n,))

    def batches(self, vocab: Vocab, *, epoch: int, seed: int) -> Iterator[SeqBatch]:
        return self.generator.batches(vocab, epoch=epoch, seed=seed)

    def __repr__(self) -> str:
        return f"GeneratorShard({self.generator!r})"


def plan_shards(generator, n_shards: int | None = None) -> list:
    """Split a context generator into shards (see the module docstring).

    Parameters
    ----------
    generator : ContextGenerator
        A :class:`~embedkit.contexts.text.TextCorpus`, a
        :class:`~embedkit.contexts.walks.RandomWalks`, a
        :class:`~embedkit.contexts.kmers.KmerCorpus`, or any other generator (one shard).
    n_shards : int, optional
        Requested number of shards; default: about one per 64M raw tokens or bases (text: one
        per file of a :class:`TextFiles`). Gzip text files and unknown generators always give
        one shard; k-mer corpora give at most one shard per record (a file with several shards
        is scanned once on the client to count its records).

    Examples
    --------
    >>> from embedkit.contexts.text import TextCorpus
    >>> [len(s.source) for s in plan_shards(TextCorpus(["a b"] * 5), 2)]
    [2, 3]
    """
    if n_shards is not None and (not isinstance(n_shards, (int, np.integer))
                                 or isinstance(n_shards, bool) or n_shards < 1):
        raise ValueError(f"shards must be a positive int or None, got {n_shards!r}")
    if isinstance(generator, Shardable):
        shards = list(generator.shards(n_shards))
        for shard in shards:
            if not isinstance(shard, ContextShard):
                raise TypeError(f"{type(generator).__name__}.shards() returned {shard!r}, which "
                                "is not a ContextShard (epoch_invariant, count, batches)")
        return shards
    return [GeneratorShard(generator)]


# -- counting (run as tasks) -------------------------------------------------------------------
def count_shard(shard) -> tuple[Any, Counts]:
    """Count one shard; returns the shard (which may have cached state) and its counts."""
    return shard, shard.count()


def _merge_facts(a: dict | None, b: dict | None) -> dict | None:
    if a is None or b is None:
        return a if b is None else b
    return {name: a.get(name, 0) + b.get(name, 0) for name in {**a, **b}}


def merge_counts(a: Counts, b: Counts) -> Counts:
    """Add two shards' counts; keys keep first-seen order (``a`` before ``b``).

    k-mer counts (``key_kind == "kmer"``) stay in increasing key order; ``facts`` are summed.

    Examples
    --------
    >>> c = merge_counts(Counts(["x", "y"], np.array([1, 2]), 3, (3,)),
    ...                  Counts(["z", "x"], np.array([5, 1]), 6, (6,)))
    >>> c.keys, c.counts.tolist(), c.n_raw_per_shard
    (['x', 'y', 'z'], [2, 2, 5], (3, 6))
    """
    per = tuple(a.n_raw_per_shard) + tuple(b.n_raw_per_shard)
    if a.key_kind != b.key_kind:
        raise ValueError(f"cannot merge {a.key_kind!r} counts with {b.key_kind!r} counts")
    facts = _merge_facts(a.facts, b.facts)
    if a.key_kind == "kmer":
        from embedkit.contexts.kmers import merge_key_counts

        keys, counts = merge_key_counts([(a.keys, a.counts), (b.keys, b.counts)])
        return Counts(keys, counts, a.n_raw + b.n_raw, per, "kmer", facts)
    if a.key_kind != "hashable":
        raise ValueError(f"unknown key_kind {a.key_kind!r}")
    if a.keys is b.keys or (len(a.keys) == len(b.keys) and a.keys == b.keys):
        return Counts(a.keys, a.counts + b.counts, a.n_raw + b.n_raw, per, facts=facts)
    index: dict[Hashable, int] = {k: i for i, k in enumerate(a.keys)}
    keys = list(a.keys)
    extra = []
    where = np.empty(len(b.keys), dtype=np.int64)
    for i, k in enumerate(b.keys):
        j = index.get(k)
        if j is None:
            j = len(keys)
            index[k] = j
            keys.append(k)
            extra.append(i)
        where[i] = j
    counts = np.zeros(len(keys), dtype=np.int64)
    counts[: len(a.keys)] = a.counts
    np.add.at(counts, where, b.counts)
    return Counts(keys, counts, a.n_raw + b.n_raw, per, facts=facts)


def finish_vocab(counts: Counts, min_count: int, max_vocab_size: int | None,
                 subsample: float) -> Vocab:
    """Prune the reduced counts into the vocabulary (exactly as one machine does)."""
    if counts.key_kind == "kmer":
        from embedkit.contexts.kmers import vocab_from_key_counts

        if len(counts.keys) == 0:
            f = counts.facts or {}
            raise ValueError(
                f"no valid k-mers found: {f.get('n_records')} records, {f.get('n_bases')} "
                f"bases, {f.get('n_skipped_bases')} non-ACGT symbols skipped; sequences must "
                "hold runs of at least k A/C/G/T bases"
            )
        return vocab_from_key_counts(counts.keys, counts.counts, min_count=min_count,
                                     max_vocab_size=max_vocab_size, subsample=subsample)[0]
    if counts.n_raw == 0 or counts.counts.sum() == 0:
        raise ValueError("cannot build a vocabulary: the corpus is empty (no tokens found)")
    return Vocab.from_arrays(counts.keys, counts.counts, min_count=min_count,
                             max_vocab_size=max_vocab_size, subsample=subsample)


def apply_facts(generator, facts: dict | None) -> None:
    """Set statistics summed over shards (``Counts.facts``) on the client's generator.

    They are the attributes the generator's own counting pass sets (e.g.
    :attr:`KmerCorpus.n_bases <embedkit.contexts.kmers.KmerCorpus>`), so estimators read them
    through their usual ``_record_generator`` hook. Names the generator lacks are ignored.
    """
    for name, value in (facts or {}).items():
        if hasattr(generator, name):
            setattr(generator, name, value)
