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

Every worker streams the whole epoch (any sentence may hold pairs of any cell). To avoid
re-reading and re-tokenizing text for every cell, each worker keeps the encoded batches of
recently streamed shards in a bounded in-memory cache (:func:`cached_batches`, ``cache_bytes``
per worker): a worker then tokenizes each text shard once per run, and generates each walk shard
once per epoch, as long as the encoded shard fits. The same cache (:func:`cache_get`,
:func:`cache_put`) holds each epoch's prepared cells (:mod:`embedkit.distributed.train`).
"""

from __future__ import annotations

import copy
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from embedkit.contexts.base import SeqBatch
from embedkit.rng import derive_seed
from embedkit.vocab import Vocab

__all__ = [
    "TextFiles",
    "Counts",
    "KmerShard",
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
]

#: Stream tag of per-shard seeds.
SHARD_STREAM = 0x5A4D
#: Bit position of the shard number in kernel chunk indices.
_CHUNK_SHIFT = 40
#: Default work per shard (raw tokens or walk steps) when ``shards`` is not given.
SHARD_TOKENS = 64 * 2**20
_GZIP_MAGIC = b"\x1f\x8b"


def shard_seed(seed: int, shard: int, n_shards: int) -> int:
    """Seed of shard ``shard``'s streams (the base seed itself when there is only one shard)."""
    if n_shards == 1:
        return int(seed)
    return derive_seed(seed, SHARD_STREAM, shard) & ((1 << 63) - 1)


def chunk_offset(shard: int) -> int:
    """First kernel chunk index of shard ``shard`` (``0`` for shard 0, like one machine)."""
    return int(shard) << _CHUNK_SHIFT


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


# -- text --------------------------------------------------------------------------------------
class TextFiles:
    """Several text files read as one corpus: a re-iterable of lines, sharded one per file.

    ``Word2Vec().fit(TextFiles([...]))`` trains on the concatenation on one machine too; the
    distributed fit counts and streams each file as its own shard.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> for name in "ab":
    ...     _ = open(os.path.join(d, name), "w").write(f"{name} x\\n")
    >>> list(TextFiles([os.path.join(d, "a"), os.path.join(d, "b")]))
    ['a x', 'b x']
    """

    def __init__(self, paths: Sequence[str | os.PathLike]) -> None:
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        self.paths = [Path(os.fspath(p)).expanduser() for p in paths]
        if not self.paths:
            raise ValueError("TextFiles needs at least one path")
        for p in self.paths:
            if not p.is_file():
                raise FileNotFoundError(f"text corpus file not found: '{p}'")

    def __iter__(self) -> Iterator[str]:
        from embedkit.contexts.text import _file_lines

        for p in self.paths:
            yield from _file_lines(str(p))

    def __repr__(self) -> str:
        return f"TextFiles({len(self.paths)} files)"


class _ByteRange:
    """Lines of a plain UTF-8 file whose first byte lies in ``[lo, hi)`` (re-iterable)."""

    def __init__(self, path: str, lo: int, hi: int) -> None:
        self.path, self.lo, self.hi = path, int(lo), int(hi)

    def __iter__(self) -> Iterator[str]:
        with open(self.path, "rb") as f:
            pos = self.lo
            if pos > 0:
                f.seek(pos - 1)
                if f.read(1) != b"\n":  # mid-line: that line belongs to the previous range
                    pos += len(f.readline())
            while pos < self.hi:
                line = f.readline()
                if not line:
                    return
                pos += len(line)
                if line.endswith(b"\n"):
                    line = line[:-1]
                try:
                    yield line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    start = pos - len(line) - 1
                    raise ValueError(
                        f"{self.path}: line at byte offset {start}: invalid UTF-8 ({exc.reason})"
                    ) from None

    def __repr__(self) -> str:
        return f"_ByteRange({self.path!r}, {self.lo}, {self.hi})"


class TextShard:
    """One text shard: a :class:`TextCorpus` over a file, byte range or list slice."""

    epoch_invariant = True  # text streams ignore (seed, epoch): cache across epochs

    def __init__(self, source: Any, options: dict) -> None:
        self.source = source
        self.options = options
        self._corpus = None

    @property
    def corpus(self):
        if self._corpus is None:
            from embedkit.contexts.text import TextCorpus

            self._corpus = TextCorpus(self.source, **self.options)
        return self._corpus

    def __getstate__(self):
        return {"source": self.source, "options": self.options, "_corpus": None}

    def count(self) -> Counts:
        counts: Counter = Counter()
        n = 0
        update = counts.update
        for tokens in self.corpus.sentences():
            update(tokens)
            n += len(tokens)
        keys = list(counts)
        return Counts(keys, np.fromiter(counts.values(), np.int64, len(keys)), n, (n,))

    def batches(self, vocab: Vocab, *, epoch: int, seed: int) -> Iterator[SeqBatch]:
        return self.corpus.batches(vocab, epoch=epoch, seed=seed)

    def __repr__(self) -> str:
        return f"TextShard({self.source!r})"


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == _GZIP_MAGIC


def _text_shards(corpus, n_shards: int | None) -> list:
    options = {"tokenizer": corpus.tokenizer, "lowercase": corpus.lowercase,
               "batch_words": corpus.batch_words,
               "max_sentence_length": corpus.max_sentence_length}
    if corpus.path is not None:
        path = corpus.path
        size = path.stat().st_size
        if _is_gzip(path):
            return [TextShard(str(path), options)]  # a gzip stream cannot be split
        if n_shards is None:
            n_shards = max(1, -(-size // (SHARD_TOKENS * 6)))  # ~6 bytes per token
        if n_shards == 1:
            return [TextShard(str(path), options)]
        cuts = [size * s // n_shards for s in range(n_shards + 1)]
        return [TextShard(_ByteRange(str(path), a, b), options)
                for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]
    source = getattr(corpus, "_source", None)
    if isinstance(source, TextFiles):
        return [TextShard(str(p), options) for p in source.paths]
    if isinstance(source, (list, tuple)) and n_shards and n_shards > 1:
        cuts = [len(source) * s // n_shards for s in range(n_shards + 1)]
        return [TextShard(list(source[a:b]), options)
                for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]
    return [TextShard(source, options)]


# -- graphs ------------------------------------------------------------------------------------
class WalkShard:
    """Random walks started from ``start_nodes[lo:hi]`` of a :class:`RandomWalks`."""

    epoch_invariant = False

    def __init__(self, walks, lo: int, hi: int, shard: int, n_shards: int) -> None:
        self.walks = copy.copy(walks)
        self.walks.start_nodes = walks.start_nodes[lo:hi]
        self.walks._mapping_cache = None
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


def _walk_shards(walks, n_shards: int | None) -> list:
    n = int(walks.start_nodes.size)
    if n_shards is None:
        n_shards = max(1, -(-walks.n_walks * walks.walk_length // SHARD_TOKENS))
    n_shards = max(1, min(n_shards, n))
    cuts = [n * s // n_shards for s in range(n_shards + 1)]
    return [WalkShard(walks, a, b, s, n_shards)
            for s, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True))]


# -- k-mers ------------------------------------------------------------------------------------
#: Generator statistics a k-mer shard reports (summed over shards, see :func:`apply_facts`).
_KMER_FACTS = ("n_records", "n_bases", "n_skipped_bases", "n_positions")


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
        facts = {name: int(getattr(corpus, name)) for name in _KMER_FACTS}
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
    from embedkit._io import open_binary

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


def _kmer_shards(corpus, n_shards: int | None) -> list:
    """Contiguous record ranges of equal record counts (the last one open-ended for files)."""
    options = _kmer_options(corpus)
    source = corpus._source
    start, stop = corpus.record_range or (0, None)
    whole = [KmerShard(source, options, corpus.record_range)]
    if isinstance(source, Path):
        if n_shards is None:  # bases ~ bytes (gzip: ~4 bases per compressed byte)
            size = source.stat().st_size * (4 if _is_gzip(source) else 1)
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


# -- anything else -----------------------------------------------------------------------------
class GeneratorShard:
    """A whole context generator as one shard (no splitting; always exact)."""

    def __init__(self, generator) -> None:
        self.generator = generator
        from embedkit.contexts.text import TextCorpus

        self.epoch_invariant = isinstance(generator, TextCorpus)

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
    from embedkit.contexts.text import TextCorpus

    if type(generator) is TextCorpus:
        return _text_shards(generator, n_shards)
    try:
        from embedkit.contexts.walks import RandomWalks
    except ImportError:  # pragma: no cover - graph code not installed
        RandomWalks = ()  # noqa: N806
    if RandomWalks and type(generator) is RandomWalks:
        return _walk_shards(generator, n_shards)
    from embedkit.contexts.kmers import KmerCorpus

    if type(generator) is KmerCorpus:
        return _kmer_shards(generator, n_shards)
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
        from embedkit.contexts.kmers import _merge_counts

        keys, counts = _merge_counts([(a.keys, a.counts), (b.keys, b.counts)])
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


# -- per-worker batch cache ----------------------------------------------------------------------
_CACHE: OrderedDict[tuple, list] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _nbytes(items: list) -> int:
    """Bytes held by cached items: :class:`SeqBatch` or anything with an ``nbytes``."""
    return sum(b.ids.nbytes + b.offsets.nbytes if isinstance(b, SeqBatch) else b.nbytes
               for b in items)


def cache_get(key: tuple) -> list | None:
    """The cached list under ``key`` (marked recently used), or None."""
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
    return hit


def cache_put(key: tuple, items: list, budget: int) -> None:
    """Keep ``items`` under ``key``, evicting the least recently used entries over ``budget``."""
    with _CACHE_LOCK:
        _CACHE[key] = items
        total = sum(_nbytes(v) for v in _CACHE.values())
        while total > budget and len(_CACHE) > 1:
            _, old = _CACHE.popitem(last=False)
            total -= _nbytes(old)


def cache_drop(key: tuple) -> None:
    """Forget the entry under ``key`` (if any)."""
    with _CACHE_LOCK:
        _CACHE.pop(key, None)


def cached_batches(key: tuple, shard, vocab: Vocab, *, epoch: int, seed: int,
                   budget: int) -> Iterator[SeqBatch]:
    """Stream ``shard``'s batches, from this process's bounded cache when possible.

    ``key`` must identify the run and shard; epoch-dependent shards add the epoch. A stream is
    kept only if it fits ``budget`` bytes; older entries are evicted first.
    """
    full = key if shard.epoch_invariant else (*key, epoch)
    hit = cache_get(full)
    if hit is not None:
        yield from hit
        return
    kept: list[SeqBatch] | None = [] if budget > 0 else None
    size = 0
    for batch in shard.batches(vocab, epoch=epoch, seed=seed):
        if kept is not None:
            size += batch.ids.nbytes + batch.offsets.nbytes
            if size > budget:
                kept = None
            else:
                kept.append(batch)
        yield batch
    if kept is not None:
        cache_put(full, kept, budget)


def clear_cache(run: str | None = None) -> None:
    """Drop cached streams (of one run, or all)."""
    with _CACHE_LOCK:
        for k in [k for k in _CACHE if run is None or k[0] == run]:
            del _CACHE[k]
