"""DNA k-mers as a context generator: 2-bit encoding, exact counting, streamed k-mer runs.

How sequences become k-mer "sentences" for the SGNS engine
----------------------------------------------------------
* Bases are encoded with 2 bits, ``A=0, C=1, G=2, T=3`` (case-insensitive; ``U`` reads as
  ``T``). A k-mer ``x_0 .. x_{k-1}`` has the code ``sum_j x_j * 4**(k-1-j)`` (first base most
  significant), so codes sort like the strings. Its reverse complement has the code
  ``sum_j (3 - x_j) * 4**j``.
* Any other symbol (``N``, IUPAC ambiguity codes, gaps ``-``/``.``, ``*``) is a *break*: no
  k-mer contains it, and no context window spans it. Such symbols are counted as skipped bases.
* k-mer start positions form a fixed grid ``0, s, 2s, ...`` from the start of every record
  (``s = stride``, so ``k = s = 3`` reads codons in frame 0). A grid position ``p`` is *valid*
  when the ``K`` bases ``p .. p+K-1`` are all A/C/G/T, where ``K = k`` (or ``k_high`` for a
  variable k, exactly as dna2vec slides only where the longest k-mer fits).
* The valid positions of a record are cut into *runs*: a new run starts after any break
  (also a break inside the gap between two k-mers when ``stride > k``), and runs are cut at
  ``max_sequence_length`` k-mers (so that a genome trains on all cores) and at the boundaries
  of the ``batch_bases`` segments a long record is streamed in. Each run is one sequence for
  the engine: consecutive k-mers in it are ``s`` bases apart, so ``window=w`` means the
  ``w`` k-mers on each side, i.e. contexts start up to ``w * s`` bases away.
* Variable k (dna2vec's sliding fragmenter): with ``k_range=(k_low, k_high)`` each valid
  position ``p`` contributes one k-mer ``seq[p : p + k_p]`` with ``k_p`` drawn uniformly from
  ``k_low .. k_high``, afresh every epoch, from a random stream derived from
  ``(seed, epoch, batch)``. All lengths share one vocabulary. The counting pass is exact and
  deterministic instead of sampled: it counts *every* length at every valid position, so
  ``count(x) = #{valid p : seq[p : p + len(x)] == x}``, which is proportional to the expected
  sampled frequency (every length is drawn with the same probability).
* ``canonical=True`` replaces each k-mer code by ``min(code, revcomp(code))``: a k-mer and its
  reverse complement are one token (the lexicographically smaller string).
* ``reverse_complement=True`` (strand augmentation) also streams the reverse-complement strand
  of every record, as a record of its own; counts then include both strands.
* Keys: one integer per k-mer, ``code + KOFF[k]`` with ``KOFF[k] = (4**k - 4) / 3``, unique
  across lengths (below ``2**63`` for ``k <= 31``). Counting uses a dense array when the key
  range is small (``<= 4**11`` keys, i.e. k <= 11), otherwise per-batch ``np.unique`` counts
  merged as they come. Key -> vocabulary id uses a direct table when the vocabulary's key
  range is that small, otherwise an open-addressing hash table built with the vocabulary.
  Vocabulary keys are the k-mer strings.
* k-mers outside the vocabulary (rarer than ``min_count``) get id ``-1``: the engine drops
  them and windows span the gap, as word2vec does with rare words (they are not breaks).
* The engine's raw-token unit is the *base*: ``SeqBatch.n_raw`` counts the bases a batch
  covers (including skipped ones), so progress is reported in bases/s and the learning rate
  decays by bases processed.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING

import numpy as np

from embedkit.contexts.base import SeqBatch
from embedkit.contexts.fasta import SequenceSource, check_sequence_source, read_sequences
from embedkit.contexts.kmer_codes import (
    BASE_CODE,
    COMPLEMENT,
    DIRECT_MAX,
    KOFF,
    MAX_K,
    canonical_kmer,
    decode_keys,
    decode_kmer,
    encode_kmer,
    kmer_keys,
    reverse_complement,
)
from embedkit.contexts.kmer_scan import (
    MODE_ALL,
    MODE_SAMPLE,
    KeyIndex,
    KmerBatch,
    Pieces,
    ScanOut,
    ScanRule,
    scan_fixed,
    scan_pieces,
)
from embedkit.contexts.kmer_shards import KmerShard, kmer_shards
from embedkit.rng import derive_seed
from embedkit.validation import check_int
from embedkit.vocab import Vocab

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = [
    "KmerCorpus",
    "MAX_K",
    "canonical_kmer",
    "decode_keys",
    "decode_kmer",
    "encode_kmer",
    "kmer_keys",
    "reverse_complement",
    "vocab_from_key_counts",
    "merge_key_counts",
    "KOFF",
    "DIRECT_MAX",
]


_KMER_STREAM = 0x4B4D  # stream tag for variable-k draws


def resolve_k(k: int, k_range: tuple[int, int] | None) -> tuple[int, int]:
    """``(k_low, k_high)`` from ``k`` or ``k_range``, validated (1 <= k <= 31)."""
    if k_range is None:
        k = check_int("k", k, 1, MAX_K)
        return k, k
    try:
        k_low, k_high = k_range
    except (TypeError, ValueError):
        raise TypeError(f"k_range must be a pair (k_low, k_high), got {k_range!r}") from None
    k_low = check_int("k_range[0]", k_low, 1, MAX_K)
    k_high = check_int("k_range[1]", k_high, 1, MAX_K)
    if k_low > k_high:
        raise ValueError(f"k_range must satisfy k_low <= k_high, got {k_range!r}")
    return k_low, k_high


def _check_record_range(record_range: object) -> tuple[int, int | None] | None:
    """Validate ``record_range``: None or ``(start, stop)`` with ``0 <= start <= stop``."""
    if record_range is None:
        return None
    try:
        start, stop = record_range  # type: ignore[misc]
    except (TypeError, ValueError):
        raise TypeError(
            f"record_range must be a pair (start, stop) of record indices, got {record_range!r}"
        ) from None
    start = check_int("record_range[0]", start, 0)
    if stop is not None:
        stop = check_int("record_range[1]", stop, 0)
        if stop < start:
            raise ValueError(f"record_range must satisfy start <= stop, got {record_range!r}")
    return start, stop


def vocab_from_key_counts(keys: np.ndarray, counts: np.ndarray, *, min_count: int,
                          max_vocab_size: int | None, subsample: float
                          ) -> tuple[Vocab, np.ndarray]:
    """The vocabulary :meth:`KmerCorpus.build_vocab` builds from exact k-mer key counts.

    Parameters
    ----------
    keys, counts : ndarray of int64
        Distinct k-mer keys in increasing order and their counts (as from
        :meth:`KmerCorpus.count_keys`, or such counts of several corpora merged).
    min_count, max_vocab_size, subsample
        As for :meth:`KmerCorpus.build_vocab`.

    Returns
    -------
    vocab : Vocab
        Keys are k-mer strings, ids sorted by descending count (ties: smaller key first).
    kept_keys : ndarray of int64
        The integer key of every vocabulary id.

    Raises
    ------
    ValueError
        If no k-mer reaches ``min_count``.

    Examples
    --------
    >>> v, kept = vocab_from_key_counts(kmer_keys(["A", "C", "G"]), np.array([1, 3, 1]),
    ...                                 min_count=1, max_vocab_size=None, subsample=0.0)
    >>> v.index_to_key, kept.tolist()
    (['C', 'A', 'G'], [1, 0, 2])
    """
    keys = np.asarray(keys, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    order = np.argsort(-counts, kind="stable")
    order = order[counts[order] >= max(int(min_count), 1)]
    if max_vocab_size is not None:
        order = order[: int(max_vocab_size)]
    if order.size == 0:
        raise ValueError(
            f"all {keys.size} distinct k-mers occur fewer than min_count={min_count} times; "
            "lower min_count or provide more data"
        )
    vocab = Vocab(decode_keys(keys[order]), counts[order], subsample=subsample,
                  n_raw_tokens=total)
    return vocab, keys[order]


class KmerCorpus:
    """DNA sequences as k-mer runs for the SGNS engine (a :class:`ContextGenerator`).

    See the module documentation for exactly how k-mers and their contexts are formed.

    Parameters
    ----------
    source : str, os.PathLike, pandas.Series or re-iterable of str
        FASTA/FASTQ file (plain or gzip, streamed record by record) or sequences in memory.
    k : int, default 6
        k-mer length, 1..31 (ignored when ``k_range`` is given).
    stride : int, default 1
        Distance in bases between consecutive k-mer starts.
    canonical : bool, default False
        Merge each k-mer with its reverse complement.
    k_range : (int, int), optional
        Variable k as in dna2vec: a length drawn uniformly from ``k_low..k_high`` per position.
    reverse_complement : bool, default False
        Also stream the reverse-complement strand of every record.
    max_sequence_length : int, default 10000
        Cut k-mer runs into sequences of at most this many k-mers.
    batch_bases : int, default 1_000_000
        Bases per batch handed to the engine; longer records are streamed in segments of this
        size (a run is cut at a segment boundary).
    record_range : (int, int or None), optional
        Use only records ``start <= i < stop`` of ``source`` (0-based, in source order; ``stop``
        None: to the end; a range past the end selects fewer or no records). Records before
        ``start`` are still read (a file is parsed from its start) but not encoded. Used by
        distributed training to shard a file by record; default: every record. With strand
        augmentation a record's reverse complement belongs to the same range. Applies to this
        corpus's own source only, not to a ``source`` given to :meth:`count_matrix`.

    Attributes
    ----------
    n_records, n_bases, n_skipped_bases, n_positions : int or None
        Set by :meth:`build_vocab`: records read, bases, non-ACGT symbols skipped, and valid
        k-mer start positions (with strand augmentation: of both strands); of the selected
        records only when ``record_range`` is given.

    Examples
    --------
    >>> corpus = KmerCorpus(["ACGTNACGTA"], k=3)
    >>> vocab = corpus.build_vocab(min_count=1, max_vocab_size=None, subsample=0)
    >>> sorted(zip(vocab.index_to_key, vocab.counts.tolist()))
    [('ACG', 2), ('CGT', 2), ('GTA', 1)]
    >>> corpus.n_skipped_bases
    1
    >>> b = next(corpus.batches(vocab, epoch=0, seed=0))
    >>> b.offsets.tolist(), b.n_raw
    ([0, 2, 5], 10)
    """

    def __init__(
        self,
        source: SequenceSource,
        *,
        k: int = 6,
        stride: int = 1,
        canonical: bool = False,
        k_range: tuple[int, int] | None = None,
        reverse_complement: bool = False,
        max_sequence_length: int = 10_000,
        batch_bases: int = 1_000_000,
        record_range: tuple[int, int | None] | None = None,
    ) -> None:
        self.k_low, self.k_high = resolve_k(k, k_range)
        self.stride = check_int("stride", stride, 1)
        self.canonical = bool(canonical)
        self.reverse_complement = bool(reverse_complement)
        self.max_sequence_length = check_int("max_sequence_length", max_sequence_length, 1)
        self.batch_bases = check_int("batch_bases", batch_bases, 1)
        self._source = check_sequence_source(source)
        self.record_range = _check_record_range(record_range)
        self.n_records: int | None = None
        self.n_bases: int | None = None
        self.n_skipped_bases: int | None = None
        self.n_positions: int | None = None
        self._index_cache: tuple[int, KeyIndex] | None = None

    def __repr__(self) -> str:
        k = f"k={self.k_low}" if self.k_low == self.k_high else f"k_range=({self.k_low}, " \
            f"{self.k_high})"
        rr = "" if self.record_range is None else f", record_range={self.record_range}"
        return (f"KmerCorpus({k}, stride={self.stride}, canonical={self.canonical}, "
                f"reverse_complement={self.reverse_complement}{rr})")

    # -- streaming ------------------------------------------------------------------------

    @property
    def source(self) -> SequenceSource:
        """The sequences: a path, a list or Series of sequences, or another re-iterable."""
        return self._source

    def shards(self, n_shards: int | None = None) -> list[KmerShard]:
        """Contiguous record ranges for distributed training (the ``Shardable`` protocol).

        Ranges hold equal record counts (the last one open-ended for files); default: about
        one shard per 64M bases. A re-iterable that cannot be sliced is one shard.
        """
        return kmer_shards(self, n_shards)

    def _records(self, source=None) -> Iterator[bytes]:
        records = read_sequences(self._source if source is None else source)
        if source is None and self.record_range is not None:
            records = islice(records, *self.record_range)
        for rec in records:
            yield rec.seq
            if self.reverse_complement:
                yield rec.seq.translate(COMPLEMENT)[::-1]

    def _stream(self, source=None, segments: int = 1) -> Iterator[KmerBatch]:
        """Group records (and segments of long ones) into batches of about ``batch_bases``.

        With ``segments > 1`` every record is also cut into that many regions of (nearly)
        equal length, starting on the stride grid; piece rows are ``record * segments + j``.
        """
        K = self.k_high
        s = self.stride
        seg = max(s, self.batch_bases - self.batch_bases % s)
        parts: list[bytes] = []
        lo: list[int] = []
        own: list[int] = []
        hi: list[int] = []
        recs: list[int] = []
        size = 0
        n_bases = 0
        for r, seq in enumerate(self._records(source)):
            L = len(seq)
            bounds = [j * L // segments // s * s for j in range(segments)] + [L]
            for j in range(segments):
                start, end = bounds[j], max(bounds[j], bounds[j + 1])
                for a in range(start, max(end, start + 1), seg):
                    e = min(a + seg, end)
                    h = min(e + K - 1, L)
                    parts.append(seq[a:h])
                    lo.append(size)
                    own.append(size + e - a)
                    hi.append(size + h - a)
                    recs.append(r * segments + j)
                    size += h - a
                    n_bases += e - a
                    if n_bases >= self.batch_bases:
                        yield self._pack(parts, lo, own, hi, recs, n_bases)
                        parts, lo, own, hi, recs = [], [], [], [], []
                        size = n_bases = 0
        if parts:
            yield self._pack(parts, lo, own, hi, recs, n_bases)

    @staticmethod
    def _pack(parts, lo, own, hi, recs, n_bases) -> KmerBatch:
        buf = np.frombuffer(b"".join(parts), dtype=np.uint8)
        as64 = lambda x: np.array(x, dtype=np.int64)  # noqa: E731
        return KmerBatch(buf, as64(lo), as64(own), as64(hi), as64(recs), int(n_bases))

    def _scan(self, batch: KmerBatch, mode: int, state: np.ndarray, stats: np.ndarray):
        n_pos = sum(
            max(0, -(-(e - a) // self.stride))
            for a, e in zip(batch.lo.tolist(), batch.own_end.tolist(), strict=True)
        )
        per_pos = 1 if mode == MODE_SAMPLE else self.k_high - self.k_low + 1
        keys = np.empty(n_pos * per_pos, dtype=np.int64)
        lens = np.empty(max(n_pos * per_pos, 1), dtype=np.int64)
        piece_nkeys = np.empty(batch.lo.size, dtype=np.int64)
        max_len = self.max_sequence_length if mode == MODE_SAMPLE else np.iinfo(np.int64).max
        pieces = Pieces(batch.buf, batch.lo, batch.own_end, batch.hi)
        rule = ScanRule(int(self.stride), int(self.k_low), int(self.k_high),
                        bool(self.canonical), int(mode), int(max_len), BASE_CODE, KOFF)
        out = ScanOut(keys, lens, piece_nkeys, stats)
        if self.k_low == self.k_high:
            n_keys, n_runs = scan_fixed(pieces, rule, out)
        else:
            n_keys, n_runs = scan_pieces(pieces, rule, state, out)
        return keys[:n_keys], lens[:n_runs], piece_nkeys

    # -- ContextGenerator protocol ----------------------------------------------------------

    def count_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact counts of every k-mer key (one streaming pass); sets the corpus statistics.

        Returns
        -------
        keys, counts : ndarray of int64
            Distinct keys in increasing order and their counts.
        """
        space_lo = int(KOFF[self.k_low])
        space = int(KOFF[self.k_high + 1]) - space_lo
        direct = space <= DIRECT_MAX
        dense = np.zeros(space, dtype=np.int64) if direct else None
        pending: list[tuple[np.ndarray, np.ndarray]] = []
        merged = (np.zeros(0, np.int64), np.zeros(0, np.int64))
        stats = np.zeros(2, dtype=np.int64)
        state = np.ones(1, dtype=np.uint64)
        n_records = -1
        n_bases = 0
        pending_size = 0
        for batch in self._stream():
            keys, _, _ = self._scan(batch, MODE_ALL, state, stats)
            n_bases += batch.n_bases
            n_records = int(batch.record[-1])
            if direct:
                dense += np.bincount(keys - space_lo, minlength=space)
            else:
                u, c = np.unique(keys, return_counts=True)
                pending.append((u, c))
                pending_size += u.size
                if pending_size > 4 * max(merged[0].size, 1_000_000):
                    merged = merge_key_counts([merged, *pending])
                    pending, pending_size = [], 0
        div = 2 if self.reverse_complement else 1
        self.n_records = (n_records + 1) // div
        self.n_bases = n_bases
        self.n_skipped_bases = int(stats[0])
        self.n_positions = int(stats[1])
        if direct:
            keys = np.flatnonzero(dense).astype(np.int64)
            return keys + space_lo, dense[keys]
        return merge_key_counts([merged, *pending])

    def build_vocab(
        self, *, min_count: int = 1, max_vocab_size: int | None = None, subsample: float = 1e-3
    ) -> Vocab:
        """Count k-mers exactly in one streaming pass and build the vocabulary.

        Keys are k-mer strings; ids are sorted by descending count (ties: smaller k-mer code
        first). With a variable k every length is counted at every valid position (see the
        module notes).

        Raises
        ------
        ValueError
            If no k-mer is found (all sequences shorter than k, or all breaks), or none
            reaches ``min_count``.
        """
        keys, counts = self.count_keys()
        if keys.size == 0:
            raise ValueError(
                f"no valid k-mers found: {self.n_records} records, {self.n_bases} bases, "
                f"{self.n_skipped_bases} non-ACGT symbols skipped; sequences must hold runs of "
                f"at least k={self.k_high} A/C/G/T bases"
            )
        vocab, kept = vocab_from_key_counts(keys, counts, min_count=min_count,
                                            max_vocab_size=max_vocab_size, subsample=subsample)
        self._index_cache = (id(vocab), KeyIndex(kept))
        return vocab

    def _index(self, vocab: Vocab) -> KeyIndex:
        if self._index_cache is None or self._index_cache[0] != id(vocab):
            self._index_cache = (id(vocab), KeyIndex.from_vocab(vocab))
        return self._index_cache[1]

    def tokens_per_epoch(self, vocab: Vocab) -> int:
        """Bases per epoch (both strands with augmentation), as counted by :meth:`build_vocab`."""
        del vocab
        if self.n_bases is None:
            raise RuntimeError("call build_vocab() before tokens_per_epoch()")
        return self.n_bases

    def batches(self, vocab: Vocab, *, epoch: int = 0, seed: int = 0) -> Iterator[SeqBatch]:
        """Stream one epoch of k-mer runs as id batches (``n_raw`` = bases covered).

        k-mers missing from ``vocab`` get id -1 (the engine drops them; windows span them).
        With a variable k, lengths are drawn from a stream derived from
        ``(seed, epoch, batch index)``, so an epoch is reproducible.
        """
        index = self._index(vocab)
        stats = np.zeros(2, dtype=np.int64)
        for b, batch in enumerate(self._stream()):
            state = np.array([derive_seed(seed, epoch, b, _KMER_STREAM)], dtype=np.uint64)
            keys, lens, _ = self._scan(batch, MODE_SAMPLE, state, stats)
            offsets = np.zeros(lens.size + 1, dtype=np.int64)
            np.cumsum(lens, out=offsets[1:])
            yield SeqBatch(index(keys), offsets, batch.n_bases)

    def count_matrix(self, source=None, vocab: Vocab | None = None, *,
                     segments: int = 1) -> sp.csr_matrix:
        """Per-record k-mer counts as a sparse matrix (records in order).

        Every k-mer at every valid position is counted (every length for a variable k).
        Columns are ``vocab`` ids (k-mers missing from it are left out) or, without a vocab,
        all ``KOFF[k_high + 1] - KOFF[k_low]`` keys in key order (``4**k`` columns for a fixed
        k, column = k-mer code).

        Parameters
        ----------
        source : sequence source, optional
            Sequences to count (default: this corpus's source); one-shot iterators are fine.
        vocab : Vocab, optional
            Column space.
        segments : int, default 1
            Count each record's ``segments`` regions separately: region ``j`` of a record of
            length ``L`` holds the k-mers *starting* in ``[j * L // segments,
            (j + 1) * L // segments)`` (bounds rounded down to the stride grid), and is row
            ``record * segments + j``.

        Returns
        -------
        scipy.sparse.csr_matrix of int64, shape (n_records * segments, n_columns)
        """
        segments = check_int("segments", segments, 1)
        if segments > 1 and self.reverse_complement:
            raise ValueError("segments > 1 cannot be combined with reverse_complement=True")
        if source is not None:
            source = check_sequence_source(source, reiterable=False)
        base = int(KOFF[self.k_low])
        if vocab is not None:
            index = self._index(vocab)
            n_cols = len(vocab)
        else:
            n_cols = int(KOFF[self.k_high + 1]) - base
        stats = np.zeros(2, dtype=np.int64)
        state = np.ones(1, dtype=np.uint64)
        div = 2 if self.reverse_complement else 1
        import scipy.sparse as sp  # imported on use: `import embedkit` does not load scipy

        blocks: list[sp.coo_matrix] = []
        n_rows = 0
        for batch in self._stream(source, segments):
            keys, _, piece_nkeys = self._scan(batch, MODE_ALL, state, stats)
            first = int(batch.record[0]) // div
            rows = np.repeat(batch.record // div - first, piece_nkeys)
            cols = index(keys) if vocab is not None else keys - base
            keep = cols >= 0
            n_rows = int(batch.record[-1]) // div + 1
            # reduce each batch at once, so memory follows distinct k-mers, not positions
            block = sp.coo_matrix((np.ones(int(keep.sum()), dtype=np.int64),
                                   (rows[keep], cols[keep])), shape=(n_rows - first, n_cols))
            block.sum_duplicates()
            block.row += first
            blocks.append(block)
        if not blocks:
            return sp.csr_matrix((0, n_cols), dtype=np.int64)
        m = sp.coo_matrix((np.concatenate([b.data for b in blocks]),
                           (np.concatenate([b.row for b in blocks]),
                            np.concatenate([b.col for b in blocks]))), shape=(n_rows, n_cols))
        return m.tocsr()


def merge_key_counts(parts: list[tuple[np.ndarray, np.ndarray]]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Add ``(keys, counts)`` parts into one increasing key array with summed counts."""
    keys = np.concatenate([p[0] for p in parts])
    counts = np.concatenate([p[1] for p in parts])
    if keys.size == 0:
        return keys, counts
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.add.reduceat(counts, starts)
