"""Numba scanners that cut DNA records into k-mer runs, and the k-mer key -> id index.

The rules (grid positions, breaks, runs, variable k) are described in
:mod:`embedkit.contexts.kmers`; :class:`~embedkit.contexts.kmers.KmerCorpus` drives these
kernels batch by batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from embedkit.contexts.kmer_codes import DIRECT_MAX, kmer_keys
from embedkit.rng import rand_below
from embedkit.vocab import Vocab

__all__ = ["MODE_SAMPLE", "MODE_ALL", "scan_pieces", "scan_fixed", "KmerBatch", "KeyIndex",
           "Pieces", "ScanRule", "ScanOut"]

MODE_SAMPLE, MODE_ALL = 0, 1  # variable k: draw one length per position / count every length


# ---------------------------------------------------------------------------------------------
# Kernel
# ---------------------------------------------------------------------------------------------


class Pieces(NamedTuple):
    """The bytes of a batch and its pieces: piece ``i`` owns grid positions from ``lo[i]`` up
    to ``own_end[i]`` and may read bytes up to ``hi[i]``."""

    buf: np.ndarray  # uint8
    lo: np.ndarray  # int64 per piece
    own_end: np.ndarray  # int64
    hi: np.ndarray  # int64


class ScanRule(NamedTuple):
    """What a scan emits: grid stride, k range, strand, variable-k mode, run cap, code tables."""

    stride: int
    k_low: int
    k_high: int
    canonical: bool
    mode: int  # MODE_SAMPLE or MODE_ALL (variable k only)
    max_len: int  # longest run (sequence) before it is cut
    base_code: np.ndarray  # uint8 (256,): byte -> 0..3, or > 3 for a break
    koff: np.ndarray  # int64: key offset of each k


class ScanOut(NamedTuple):
    """Output buffers: keys, run lengths, keys per piece, and ``[skipped, valid]`` counters."""

    keys: np.ndarray  # int64
    lens: np.ndarray  # int64
    piece_nkeys: np.ndarray  # int64 per piece
    stats: np.ndarray  # int64 (2,), accumulated


@njit(nogil=True, cache=True)
def scan_pieces(pieces, rule, state, out):
    """k-mer keys of every piece of ``buf``; returns ``(n_keys, n_runs)``.

    Piece ``i`` owns grid positions ``lo[i], lo[i] + stride, ... < own_end[i]`` and may read
    bytes up to ``hi[i]``. ``mode == 0``: one k-mer per valid position (length drawn from
    ``k_low..k_high`` when they differ); ``mode == 1``: every length at every valid position.
    ``out_lens`` receives run lengths (keys per run). ``stats`` accumulates
    ``[skipped bases, valid positions]``.
    """
    buf, lo, own_end, hi = pieces.buf, pieces.lo, pieces.own_end, pieces.hi
    stride, k_low, k_high, canonical = rule.stride, rule.k_low, rule.k_high, rule.canonical
    mode, max_len, base_code, koff = rule.mode, rule.max_len, rule.base_code, rule.koff
    out_keys, out_lens, piece_nkeys, stats = out.keys, out.lens, out.piece_nkeys, out.stats
    K = k_high
    n_keys = 0
    n_runs = 0
    span = k_high - k_low + 1
    for i in range(lo.shape[0]):
        a = lo[i]
        e = own_end[i]
        h = hi[i]
        for j in range(a, e):
            if base_code[buf[j]] > 3:
                stats[0] += 1
        start_keys = n_keys
        last_bad = a - 1
        scanned = a
        run_len = 0
        prev = a - 2 * stride - 1
        p = a
        while p < e and p + K <= h:
            while scanned < p + K:
                if base_code[buf[scanned]] > 3:
                    last_bad = scanned
                scanned += 1
            if last_bad >= p:  # a break inside the k-mer: jump past it on the grid
                p += ((last_bad - p) // stride + 1) * stride
                continue
            stats[1] += 1
            cont = run_len > 0 and prev == p - stride and last_bad < prev
            if run_len > 0 and (not cont or run_len >= max_len):
                out_lens[n_runs] = run_len
                n_runs += 1
                run_len = 0
            if mode == 0:
                kk = k_high if span == 1 else k_low + rand_below(state, 0, span)
                fwd = np.int64(0)
                rc = np.int64(0)
                for j in range(kk):
                    c = np.int64(base_code[buf[p + j]])
                    fwd = (fwd << 2) | c
                    rc |= (3 - c) << (2 * j)
                code = min(fwd, rc) if canonical else fwd
                out_keys[n_keys] = code + koff[kk]
                n_keys += 1
                run_len += 1
            else:
                fwd = np.int64(0)
                rc = np.int64(0)
                for j in range(k_high):
                    c = np.int64(base_code[buf[p + j]])
                    fwd = (fwd << 2) | c
                    rc |= (3 - c) << (2 * j)
                    if j + 1 >= k_low:
                        code = min(fwd, rc) if canonical else fwd
                        out_keys[n_keys] = code + koff[j + 1]
                        n_keys += 1
                        run_len += 1
            prev = p
            p += stride
        if run_len > 0:
            out_lens[n_runs] = run_len
            n_runs += 1
        piece_nkeys[i] = n_keys - start_keys
    return n_keys, n_runs


@njit(nogil=True, cache=True)
def scan_fixed(pieces, rule, out):
    """:func:`scan_pieces` for one fixed k, with rolling forward / reverse-complement codes.

    ``valid`` counts the consecutive A/C/G/T bases ending at base ``j``; the k-mer starting at
    ``p = j - k + 1`` is valid when ``valid >= k`` and continues the run when the previous
    grid k-mer and the gap are clean too (``valid >= k + stride``).
    """
    buf, lo, own_end, hi = pieces.buf, pieces.lo, pieces.own_end, pieces.hi
    stride, k, canonical = rule.stride, rule.k_low, rule.canonical
    max_len, base_code, koff = rule.max_len, rule.base_code, rule.koff
    out_keys, out_lens, piece_nkeys, stats = out.keys, out.lens, out.piece_nkeys, out.stats
    n_keys = 0
    n_runs = 0
    mask = (np.int64(1) << (2 * k)) - 1
    shift = 2 * (k - 1)
    off = koff[k]
    for i in range(lo.shape[0]):
        a = lo[i]
        e = own_end[i]
        stop = min(hi[i], e + k - 1)
        start_keys = n_keys
        fwd = np.int64(0)
        rc = np.int64(0)
        valid = 0
        run_len = 0
        for j in range(a, stop):
            c = base_code[buf[j]]
            if c > 3:
                if j < e:
                    stats[0] += 1
                valid = 0
                continue
            c64 = np.int64(c)
            fwd = ((fwd << 2) | c64) & mask
            rc = (rc >> 2) | ((3 - c64) << shift)
            valid += 1
            if valid >= k and (stride == 1 or (j - k + 1 - a) % stride == 0):
                stats[1] += 1
                if run_len > 0 and (valid < k + stride or run_len >= max_len):
                    out_lens[n_runs] = run_len
                    n_runs += 1
                    run_len = 0
                code = min(fwd, rc) if canonical else fwd
                out_keys[n_keys] = code + off
                n_keys += 1
                run_len += 1
        if run_len > 0:
            out_lens[n_runs] = run_len
            n_runs += 1
        piece_nkeys[i] = n_keys - start_keys
    return n_keys, n_runs


@njit(nogil=True, cache=True)
def _map_direct(keys, table, base, out):
    """``out[i] = table[keys[i] - base]``, or -1 outside the table."""
    n = table.shape[0]
    for i in range(keys.shape[0]):
        r = keys[i] - base
        out[i] = table[r] if 0 <= r < n else -1


# ---------------------------------------------------------------------------------------------
# Streaming records into pieces
# ---------------------------------------------------------------------------------------------


@dataclass
class KmerBatch:
    buf: np.ndarray  # uint8
    lo: np.ndarray  # int64 per piece
    own_end: np.ndarray
    hi: np.ndarray
    record: np.ndarray  # int64: record index of each piece
    n_bases: int


@njit(nogil=True, cache=True)
def _hash_slot(key, mask):
    """Fibonacci hashing of an int64 key to a slot of a power-of-two table."""
    h = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64((h ^ (h >> np.uint64(29))) & np.uint64(mask))


@njit(nogil=True, cache=True)
def _hash_build(keys, slots_key, slots_id):
    mask = slots_key.shape[0] - 1
    for i in range(keys.shape[0]):
        s = _hash_slot(keys[i], mask)
        while slots_key[s] != -1:
            s = (s + 1) & mask
        slots_key[s] = keys[i]
        slots_id[s] = i


@njit(nogil=True, cache=True)
def _hash_lookup(keys, slots_key, slots_id, out):
    mask = slots_key.shape[0] - 1
    for i in range(keys.shape[0]):
        key = keys[i]
        s = _hash_slot(key, mask)
        found = -1
        while True:
            k = slots_key[s]
            if k == key:
                found = slots_id[s]
                break
            if k == -1:
                break
            s = (s + 1) & mask
        out[i] = found


class KeyIndex:
    """Maps k-mer keys to vocabulary ids (-1 when absent).

    A direct table when the vocabulary's key range is small (``<= DIRECT_MAX``), otherwise an
    open-addressing hash table (linear probing, load factor <= 1/2) built in Numba.
    """

    def __init__(self, keys: np.ndarray) -> None:
        keys = np.ascontiguousarray(keys, dtype=np.int64)
        lo, hi = int(keys.min()), int(keys.max())
        self.base = lo
        self.table = None
        if hi - lo + 1 <= DIRECT_MAX:
            self.table = np.full(hi - lo + 1, -1, dtype=np.int32)
            self.table[keys - lo] = np.arange(keys.size, dtype=np.int32)
        else:
            size = 1 << int(2 * keys.size).bit_length()
            self.slots_key = np.full(size, -1, dtype=np.int64)
            self.slots_id = np.full(size, -1, dtype=np.int32)
            _hash_build(keys, self.slots_key, self.slots_id)

    @classmethod
    def from_vocab(cls, vocab: Vocab) -> KeyIndex:
        return cls(kmer_keys([str(k) for k in vocab.index_to_key]))

    def __call__(self, keys: np.ndarray) -> np.ndarray:
        out = np.empty(keys.size, dtype=np.int32)
        if self.table is not None:
            _map_direct(np.ascontiguousarray(keys, dtype=np.int64), self.table, self.base, out)
            return out
        _hash_lookup(np.ascontiguousarray(keys, dtype=np.int64), self.slots_key, self.slots_id,
                     out)
        return out
