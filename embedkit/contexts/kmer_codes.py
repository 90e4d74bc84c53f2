"""DNA k-mer codes: the 2-bit encoding, k-mer keys and the scalar helpers built on them.

Bases are ``A=0, C=1, G=2, T=3`` (case-insensitive; ``U`` reads as ``T``); a k-mer
``x_0 .. x_{k-1}`` has the code ``sum_j x_j * 4**(k-1-j)``, and its key ``code + KOFF[k]`` is
unique across lengths. See :mod:`embedkit.contexts.kmers` for how sequences become k-mer runs.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MAX_K",
    "DIRECT_MAX",
    "KOFF",
    "BASE_CODE",
    "COMPLEMENT",
    "LETTERS",
    "canonical_kmer",
    "decode_keys",
    "decode_kmer",
    "encode_kmer",
    "kmer_keys",
    "reverse_complement",
]

#: Longest supported k-mer (2 bits per base in a 64-bit signed integer key).
MAX_K = 31
#: Key ranges up to this size use a direct key -> id table.
DIRECT_MAX = 4**11
#: ``KOFF[k]``: first key of length-k k-mers (``sum_{j<k, j>=1} 4**j``).
KOFF = np.array([0] + [(4**k - 4) // 3 for k in range(1, MAX_K + 2)], dtype=np.int64)

BASE_CODE = np.full(256, 4, dtype=np.uint8)
for _i, _b in enumerate(b"ACGT"):
    BASE_CODE[_b] = _i
    BASE_CODE[_b + 32] = _i
BASE_CODE[ord("U")] = BASE_CODE[ord("u")] = 3
COMPLEMENT = bytes.maketrans(b"ACGTUacgtu", b"TGCAAtgcaa")
LETTERS = np.frombuffer(b"ACGT", dtype=np.uint8)


# ---------------------------------------------------------------------------------------------
# Scalar helpers (pure Python; used by tests, evaluation and users)
# ---------------------------------------------------------------------------------------------


def encode_kmer(kmer: str) -> int:
    """2-bit code of a k-mer (``A=0, C=1, G=2, T=3``, first base most significant).

    Examples
    --------
    >>> encode_kmer("ACGT"), encode_kmer("tt")
    (27, 15)
    """
    if not 1 <= len(kmer) <= MAX_K:
        raise ValueError(f"k-mer length must be 1..{MAX_K}, got {len(kmer)}")
    code = 0
    for ch in kmer.encode("ascii", errors="replace"):
        c = int(BASE_CODE[ch])
        if c > 3:
            raise ValueError(f"{kmer!r} holds a non-ACGT symbol")
        code = code * 4 + c
    return code


def decode_kmer(code: int, k: int) -> str:
    """The k-mer string of a 2-bit ``code``.

    Examples
    --------
    >>> decode_kmer(27, 4)
    'ACGT'
    """
    if not 1 <= k <= MAX_K or not 0 <= code < 4**k:
        raise ValueError(f"code {code} is not a valid {k}-mer code")
    return "".join("ACGT"[(code >> (2 * (k - 1 - j))) & 3] for j in range(k))


def reverse_complement(seq: str) -> str:
    """Reverse complement of a DNA string (case kept; non-ACGTU symbols map to ``N``).

    Examples
    --------
    >>> reverse_complement("AACGTn")
    'NACGTT'
    """
    table = str.maketrans("ACGTUacgtu", "TGCAAtgcaa")
    out = seq.translate(table)[::-1]
    return "".join(c if c in "ACGTacgt" else "N" for c in out)


def canonical_kmer(kmer: str) -> str:
    """The canonical form: the smaller of a k-mer and its reverse complement (upper case).

    Examples
    --------
    >>> canonical_kmer("TTG"), canonical_kmer("CAA")
    ('CAA', 'CAA')
    """
    up = kmer.upper()
    return min(up, reverse_complement(up))


def kmer_keys(kmers: list[str]) -> np.ndarray:
    """Integer keys (``code + KOFF[k]``) of k-mer strings, vectorised per length.

    Examples
    --------
    >>> kmer_keys(["A", "AC"]).tolist()
    [0, 5]
    """
    out = np.empty(len(kmers), dtype=np.int64)
    lengths = np.array(list(map(len, kmers)), dtype=np.int64)
    for k in np.unique(lengths):
        k = int(k)
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k-mer length must be 1..{MAX_K}, got {k}")
        where = np.flatnonzero(lengths == k)
        raw = "".join(kmers[i] for i in where).encode("ascii", errors="replace")
        digits = BASE_CODE[np.frombuffer(raw, dtype=np.uint8)].reshape(-1, k).astype(np.int64)
        if digits.size and digits.max() > 3:
            bad = kmers[int(where[np.flatnonzero(digits.max(axis=1) > 3)[0]])]
            raise ValueError(f"{bad!r} holds a non-ACGT symbol")
        weights = np.int64(4) ** np.arange(k - 1, -1, -1, dtype=np.int64)
        out[where] = digits @ weights + KOFF[k]
    return out


def decode_keys(keys: np.ndarray) -> list[str]:
    """k-mer strings of integer keys (the inverse of :func:`kmer_keys`), vectorised.

    Examples
    --------
    >>> decode_keys(np.array([5, 0]))
    ['AC', 'A']
    """
    keys = np.asarray(keys, dtype=np.int64)
    ks = np.searchsorted(KOFF, keys, side="right") - 1
    groups = np.unique(ks)
    parts = []
    for k in groups:
        k = int(k)
        where = np.flatnonzero(ks == k) if groups.size > 1 else slice(None)
        codes = keys[where] - KOFF[k]
        shifts = np.arange(2 * (k - 1), -1, -2, dtype=np.int64)
        digits = ((codes[:, None] >> shifts) & 3).astype(np.uint8)
        letters = np.ascontiguousarray(LETTERS[digits])
        parts.append((where, letters.view(f"S{k}").ravel().astype(f"U{k}").tolist()))
    if len(parts) == 1:
        return parts[0][1]
    out: list[str] = [""] * keys.size
    for where, strings in parts:
        for i, text in zip(where.tolist(), strings, strict=True):
            out[i] = text
    return out
