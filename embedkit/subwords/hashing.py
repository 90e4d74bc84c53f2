"""fastText's n-gram extraction and hash, and the token -> rows CSR table of the engine.

fastText hashes the UTF-8 bytes of an n-gram with an FNV-1a variant in which each byte is read
as a *signed* char: ``h ^= uint32(int8(byte))`` (sign-extended), then ``h *= 16777619``
(mod 2**32). N-grams are taken from ``"<" + word + ">"`` and counted in characters, not bytes
(UTF-8 continuation bytes never start an n-gram and are always kept with their character).
As in fastText's ``computeSubwords`` (and gensim's ``compute_ngrams_bytes``), a short word's
whole ``<word>`` is also an n-gram when it has at most ``maxn`` characters: it then has both
its word row and that bucket.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["ft_hash", "ngrams", "ngram_rows", "subword_table"]

_FNV_OFFSET = 2166136261
_FNV_PRIME = 16777619
_MASK = 0xFFFFFFFF


def ft_hash(data: bytes | str) -> int:
    """fastText's hash of ``data`` (a str is UTF-8 encoded), as an unsigned 32-bit int."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    h = _FNV_OFFSET
    for b in data:
        h ^= (b - 256 if b > 127 else b) & _MASK  # int8 sign-extended to uint32
        h = (h * _FNV_PRIME) & _MASK
    return h


def ngrams(word: str, minn: int, maxn: int) -> list[bytes]:
    """The character n-grams (UTF-8 bytes) of ``<word>`` with ``minn <= n <= maxn``, in
    fastText's order (by start position, then length)."""
    raw = ("<" + word + ">").encode("utf-8")
    size = len(raw)
    out: list[bytes] = []
    if maxn <= 0:
        return out
    for i in range(size):
        if raw[i] & 0xC0 == 0x80:  # a continuation byte never starts an n-gram
            continue
        j = i
        n = 1
        while j < size and n <= maxn:
            j += 1
            while j < size and raw[j] & 0xC0 == 0x80:
                j += 1
            if n >= minn and not (n == 1 and (i == 0 or j == size)):
                out.append(raw[i:j])
            n += 1
    return out


def ngram_rows(word: str, minn: int, maxn: int, buckets: int) -> np.ndarray:
    """Bucket numbers (int64, ``0 <= b < buckets``) of the n-grams of ``word``."""
    if buckets <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.array([ft_hash(g) % buckets for g in ngrams(word, minn, maxn)], dtype=np.int64)


#: Words hashed at a time by :func:`subword_table` (bounds its temporary arrays: ~40 bytes per
#: n-gram, ~100 MB for a block of long words).
_BLOCK_WORDS = 1 << 17


def subword_table(words: Sequence[str], minn: int, maxn: int,
                  buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """The engine's token -> input rows CSR table for a vocabulary.

    Token ``t`` (the word ``words[t]``) trains the rows ``rows[indptr[t]:indptr[t + 1]]``: its
    own row ``t`` first, then ``len(words) + bucket`` for each of its n-grams, in
    :func:`ngrams`' order. The n-grams of all words are hashed at once, block by block, with
    NumPy (the same hash as :func:`ft_hash`; 2M words take seconds, not minutes).

    Returns
    -------
    indptr : int64 (len(words) + 1,)
    rows : int32 (indptr[-1],)
    """
    n = len(words)
    counts = np.ones(n, dtype=np.int64)
    ngram_parts = []  # per block of words: their n-gram rows, word after word (int32)
    if maxn > 0 and buckets > 0:
        for a in range(0, n, _BLOCK_WORDS):
            block_counts, block_rows = _ngram_block(words[a:a + _BLOCK_WORDS], minn, maxn,
                                                   buckets)
            counts[a:a + block_counts.size] += block_counts
            ngram_parts.append((block_rows + n).astype(np.int32))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    rows = np.empty(int(indptr[-1]), dtype=np.int32)
    rows[indptr[:-1]] = np.arange(n, dtype=np.int32)
    for b, part in enumerate(ngram_parts):
        lo, hi = b * _BLOCK_WORDS, min(n, (b + 1) * _BLOCK_WORDS)
        is_ngram = np.ones(int(indptr[hi] - indptr[lo]), dtype=bool)
        is_ngram[indptr[lo:hi] - indptr[lo]] = False  # the block's own rows
        rows[indptr[lo]:indptr[hi]][is_ngram] = part
    return indptr, rows


def _ngram_block(words: Sequence[str], minn: int, maxn: int,
                 buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Per word its n-gram count, and all their buckets (int64) word after word.

    Every character of ``<word>`` starts one n-gram per length; going from length k - 1 to k
    extends all of them at once by the bytes of their k-th character (FNV-1a is a running
    hash), so the loop runs ``maxn`` times (times up to 4 bytes a character) over arrays.
    """
    enc = [("<" + str(w) + ">").encode("utf-8") for w in words]
    nw = len(enc)
    data = np.frombuffer(b"".join(enc), dtype=np.uint8)
    first_byte = np.zeros(nw, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, enc), dtype=np.int64, count=nw)[:-1], out=first_byte[1:])
    starts = np.flatnonzero((data & 0xC0) != 0x80)  # characters' first bytes
    bounds = np.append(starts, data.size)  # character c is data[bounds[c]:bounds[c + 1]]
    first_char = np.searchsorted(starts, first_byte)
    end_char = np.append(first_char[1:], starts.size)
    wid = np.repeat(np.arange(nw), end_char - first_char)
    char = np.arange(starts.size)
    pos = char - first_char[wid]  # character index within <word>
    left = end_char[wid] - char  # characters from this one to the end of <word>
    signed = data.view(np.int8).astype(np.int32).astype(np.uint32)  # int8 sign-extended
    h = np.full(starts.size, _FNV_OFFSET, dtype=np.uint32)
    prime = np.uint32(_FNV_PRIME)
    found_wid, found_pos, found_len, found_hash = [], [], [], []
    for k in range(1, maxn + 1):
        idx = np.flatnonzero(left >= k)  # n-grams that have a k-th character
        if idx.size == 0:
            break
        lo = bounds[idx + k - 1]
        hi = bounds[idx + k]
        for j in range(4):  # a UTF-8 character has 1 to 4 bytes
            m = lo + j < hi
            if not m.any():
                break
            sel = idx[m]
            h[sel] = (h[sel] ^ signed[lo[m] + j]) * prime
        if k >= minn:
            keep = idx if k > 1 else idx[(pos[idx] != 0) & (left[idx] != 1)]  # not "<", ">"
            found_wid.append(wid[keep])
            found_pos.append(pos[keep])
            found_len.append(np.full(keep.size, k))
            found_hash.append(h[keep])
    if not found_wid:
        return np.zeros(nw, dtype=np.int64), np.zeros(0, dtype=np.int64)
    w = np.concatenate(found_wid)
    order = np.lexsort((np.concatenate(found_len), np.concatenate(found_pos), w))
    buckets_of = np.concatenate(found_hash)[order].astype(np.int64) % buckets
    return np.bincount(w, minlength=nw).astype(np.int64), buckets_of
