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


def subword_table(words: Sequence[str], minn: int, maxn: int,
                  buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """The engine's token -> input rows CSR table for a vocabulary.

    Token ``t`` (the word ``words[t]``) trains the rows ``rows[indptr[t]:indptr[t + 1]]``: its
    own row ``t`` first, then ``len(words) + bucket`` for each of its n-grams.

    Returns
    -------
    indptr : int64 (len(words) + 1,)
    rows : int32 (indptr[-1],)
    """
    n = len(words)
    parts = []
    indptr = np.zeros(n + 1, dtype=np.int64)
    for t, w in enumerate(words):
        r = ngram_rows(str(w), minn, maxn, buckets) + n
        parts.append(np.concatenate([[t], r]))
        indptr[t + 1] = indptr[t] + 1 + r.size
    rows = np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, np.int32)
    return indptr, rows
