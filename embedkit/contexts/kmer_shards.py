"""Shards of a k-mer corpus for distributed training: contiguous ranges of its records.

A shard of a FASTA/FASTQ file parses the records before its range but encodes only its own;
in-memory sequences are sliced. See :meth:`embedkit.contexts.kmers.KmerCorpus.shards`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from embedkit._io import is_gzip, open_binary
from embedkit.contexts.base import SHARD_TOKENS, Counts, SeqBatch
from embedkit.vocab import Vocab

__all__ = ["KmerShard", "kmer_shards", "KMER_FACTS"]

#: Generator statistics a k-mer shard reports (summed over shards, see :func:`apply_facts`).
KMER_FACTS = ("n_records", "n_bases", "n_skipped_bases", "n_positions")


class KmerShard:
    """The records ``record_range`` of a FASTA/FASTQ file, or a slice of in-memory sequences.

    Parameters
    ----------
    source : pathlib.Path, list or pandas.Series
        The file, or this shard's own sequences.
    options : dict
        :class:`~embedkit.contexts.kmers.KmerCorpus` settings (k, stride, ...).
    record_range : (int, int or None), optional
        Records of ``source`` this shard owns (None: all of them).
    """

    def __init__(self, source: Any, options: dict,
                 record_range: tuple[int, int | None] | None = None) -> None:
        self.source = source
        self.options = options
        self.record_range = record_range
        # a fixed k streams the same runs every epoch (no random draws): cache across epochs
        self.epoch_invariant = options.get("k_range") is None
        self._corpus = None

    @property
    def corpus(self):
        if self._corpus is None:
            from embedkit.contexts.kmers import KmerCorpus

            self._corpus = KmerCorpus(self.source, record_range=self.record_range,
                                      **self.options)
        return self._corpus

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_corpus"] = None
        return state

    def count(self) -> Counts:
        corpus = self.corpus
        keys, counts = corpus.count_keys()
        n = int(corpus.n_bases)
        facts = {name: int(getattr(corpus, name)) for name in KMER_FACTS}
        return Counts(keys, counts, n, (n,), "kmer", facts)

    def batches(self, vocab: Vocab, *, epoch: int, seed: int) -> Iterator[SeqBatch]:
        return self.corpus.batches(vocab, epoch=epoch, seed=seed)

    def __repr__(self) -> str:
        where = (f"{len(self.source)} sequences" if not isinstance(self.source, Path)
                 else repr(str(self.source)))
        return f"KmerShard({where}, record_range={self.record_range})"


def _count_records(path: Path) -> int:
    """Records of a FASTA/FASTQ file, from one fast byte scan (decompressing a gzip file).

    FASTA: lines starting with ``>`` (exact). FASTQ: lines / 4 (exact for 4-line records; blank
    or wrapped lines make it an over-estimate). Only used to place shard boundaries: the last
    shard always runs to the end of the file, so no record is lost whatever the estimate.
    """
    kind = b""
    headers = lines = 0
    last = b"\n"
    with open_binary(path) as fh:
        while chunk := fh.read(1 << 20):
            if not kind:
                stripped = chunk.lstrip()
                kind = stripped[:1]
            headers += (last + chunk).count(b"\n>")
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(1, headers if kind == b">" else lines // 4)


def _kmer_options(corpus) -> dict:
    fixed = corpus.k_low == corpus.k_high
    return {"k": corpus.k_high, "k_range": None if fixed else (corpus.k_low, corpus.k_high),
            "stride": corpus.stride, "canonical": corpus.canonical,
            "reverse_complement": corpus.reverse_complement,
            "max_sequence_length": corpus.max_sequence_length,
            "batch_bases": corpus.batch_bases}


def kmer_shards(corpus, n_shards: int | None) -> list[KmerShard]:
    """Contiguous record ranges of equal record counts (the last one open-ended for files)."""
    options = _kmer_options(corpus)
    source = corpus.source
    start, stop = corpus.record_range or (0, None)
    whole = [KmerShard(source, options, corpus.record_range)]
    if isinstance(source, Path):
        if n_shards is None:  # bases ~ bytes (gzip: ~4 bases per compressed byte)
            size = source.stat().st_size * (4 if is_gzip(source) else 1)
            n_shards = max(1, -(-size // SHARD_TOKENS))
        if n_shards == 1:
            return whole
        n = _count_records(source)
    elif isinstance(source, (list, tuple)) or hasattr(source, "iloc"):
        n = len(source)
        if n_shards is None:
            items = source.iloc[start:stop] if hasattr(source, "iloc") else source[start:stop]
            n_shards = max(1, -(-sum(map(len, items)) // SHARD_TOKENS))
    else:  # another re-iterable: its records cannot be sliced
        return whole
    n = max(0, (n if stop is None else min(n, stop)) - start)
    n_shards = min(n_shards, n)
    if n_shards <= 1:
        return whole
    cuts = [start + n * s // n_shards for s in range(n_shards + 1)]
    if isinstance(source, Path):
        cuts[-1] = stop  # to the end of the range: the record count may be an estimate
        return [KmerShard(source, options, (a, b)) for a, b in zip(cuts[:-1], cuts[1:],
                                                                    strict=True)]
    if hasattr(source, "iloc"):
        return [KmerShard(source.iloc[a:b], options) for a, b in zip(cuts[:-1], cuts[1:],
                                                                    strict=True)]
    return [KmerShard(list(source[a:b]), options) for a, b in zip(cuts[:-1], cuts[1:],
                                                                 strict=True)]
