"""Orthographic neighbours: tokens that look alike, found through an index (never all pairs).

* ``"edit"``: optimal-string-alignment distance ``<= max_edits`` via a deletion-neighbourhood
  index (SymSpell, Garbe 2012), verified in Numba; ``orth = 1 − d / max(len)``.
* ``"ngram"``: Jaccard similarity of character n-gram sets ``>= min_jaccard`` via a sparse
  token × n-gram matrix (an inverted index); ``orth = Jaccard``.
* ``"hamming"``: k-mers of the same length at Hamming distance 1; ``orth = 1 − 1/k``.

Used by :class:`~embedkit.samplers.spelling.SpellingAware`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from embedkit.strings import osa_distance

__all__ = ["METRICS", "orthographic_neighbors", "is_kmer_vocabulary", "edit_distance",
           "osa_distance"]

METRICS = ("auto", "edit", "ngram", "hamming")
_ACGT = frozenset("ACGT")


# -- edit distance ------------------------------------------------------------------------------
#: Alias of :func:`embedkit.strings.osa_distance` (kept for existing imports).
edit_distance = osa_distance


@njit(nogil=True, cache=True)
def _osa_pairs(codes, lengths, left, right, max_d):
    """OSA distance of each pair (``max_d + 1`` when it exceeds ``max_d``)."""
    L = codes.shape[1]
    out = np.empty(left.shape[0], dtype=np.int32)
    prev2 = np.empty(L + 1, dtype=np.int32)
    prev = np.empty(L + 1, dtype=np.int32)
    cur = np.empty(L + 1, dtype=np.int32)
    for p in range(left.shape[0]):
        a = left[p]
        b = right[p]
        la = lengths[a]
        lb = lengths[b]
        if abs(la - lb) > max_d:
            out[p] = max_d + 1
            continue
        for j in range(lb + 1):
            prev[j] = j
        within = True
        for i in range(1, la + 1):
            cur[0] = i
            row_min = i
            for j in range(1, lb + 1):
                cost = 0 if codes[a, i - 1] == codes[b, j - 1] else 1
                v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if (i > 1 and j > 1 and codes[a, i - 1] == codes[b, j - 2]
                        and codes[a, i - 2] == codes[b, j - 1]):
                    v = min(v, prev2[j - 2] + 1)
                cur[j] = v
                row_min = min(row_min, v)
            for j in range(lb + 1):
                prev2[j] = prev[j]
                prev[j] = cur[j]
            if row_min > max_d:  # no later row can come back under max_d
                within = False
                break
        out[p] = prev[lb] if within and prev[lb] <= max_d else max_d + 1
    return out


def _deletes(word: str, k: int) -> set[str]:
    """All strings reachable from ``word`` by deleting up to ``k`` characters."""
    found = {word}
    frontier = {word}
    for _ in range(k):
        nxt = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1:])
        found |= nxt
        frontier = nxt
    return found


def _group_pairs(groups: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All ordered pairs ``(a, b)``, ``a < b``, of members sharing a group (sorted by group)."""
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    m = members[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, g.size])
    keep = sizes > 1
    starts, sizes = starts[keep], sizes[keep]
    if starts.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # element e of a group of size s pairs with the s members of its group
    elem_start = np.repeat(starts, sizes)
    elem_size = np.repeat(sizes, sizes)
    elem = elem_start + (np.arange(elem_start.size) - np.repeat(np.cumsum(sizes) - sizes, sizes))
    left = np.repeat(m[elem], elem_size)
    first = np.repeat(elem_start, elem_size)
    offs = np.arange(left.size) - np.repeat(np.cumsum(elem_size) - elem_size, elem_size)
    right = m[first + offs]
    keep = left < right
    return left[keep], right[keep]


def _edit_pairs(words: list[str], max_edits: int) -> tuple[np.ndarray, ...]:
    """(a, b, distance) for all pairs within ``max_edits`` (a < b), via a deletion index."""
    key_ids: dict[str, int] = {}
    groups: list[int] = []
    members: list[int] = []
    for i, w in enumerate(words):
        for d in _deletes(w, max_edits):
            groups.append(key_ids.setdefault(d, len(key_ids)))
            members.append(i)
    a, b = _group_pairs(np.asarray(groups, np.int64), np.asarray(members, np.int64))
    if a.size == 0:
        return a, b, np.zeros(0, np.int32)
    n = len(words)
    code = np.unique(a * n + b)
    a, b = code // n, code % n
    L = max(len(w) for w in words)
    codes = np.zeros((n, max(L, 1)), dtype=np.int32)
    lengths = np.zeros(n, dtype=np.int64)
    for i, w in enumerate(words):
        lengths[i] = len(w)
        codes[i, : len(w)] = [ord(c) for c in w]
    dist = _osa_pairs(codes, lengths, a, b, max_edits)
    ok = dist <= max_edits
    return a[ok], b[ok], dist[ok]


# -- character n-grams --------------------------------------------------------------------------
def _ngram_pairs(words: list[str], n: int, min_jaccard: float,
                 block_size: int = 2048) -> tuple[np.ndarray, ...]:
    """(a, b, jaccard) for pairs (a < b) with n-gram Jaccard >= ``min_jaccard``."""
    from scipy import sparse

    gram_ids: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for i, w in enumerate(words):
        s = f"<{w}>"
        grams = {s[j:j + n] for j in range(max(1, len(s) - n + 1))}
        for g in grams:
            rows.append(i)
            cols.append(gram_ids.setdefault(g, len(gram_ids)))
    V = len(words)
    X = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                          shape=(V, max(1, len(gram_ids))))
    size = np.asarray(X.sum(axis=1)).ravel()
    XT = X.T.tocsr()
    out_a, out_b, out_s = [], [], []
    for start in range(0, V, block_size):
        inter = (X[start:start + block_size] @ XT).tocoo()  # only pairs sharing an n-gram
        a = inter.row.astype(np.int64) + start
        b = inter.col.astype(np.int64)
        keep = a < b
        a, b, c = a[keep], b[keep], inter.data[keep]
        jac = c / (size[a] + size[b] - c)
        keep = jac >= min_jaccard
        out_a.append(a[keep])
        out_b.append(b[keep])
        out_s.append(jac[keep])
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_s)


# -- k-mers -------------------------------------------------------------------------------------
def is_kmer_vocabulary(keys: list[Any], *, same_length: bool = True) -> bool:
    """True if every key is a non-empty A/C/G/T string (any case), all of one length unless
    ``same_length=False`` (the vocabularies of ``k_range`` models).

    Examples
    --------
    >>> is_kmer_vocabulary(["ACG", "ACT"]), is_kmer_vocabulary(["form", "from"])
    (True, False)
    >>> is_kmer_vocabulary(["ACG", "ACGT"]), is_kmer_vocabulary(["ACG", "AC"], same_length=False)
    (False, True)
    """
    if not keys or not all(isinstance(k, str) and k for k in keys):
        return False
    k = len(keys[0])
    return all((len(s) == k or not same_length) and set(s.upper()) <= _ACGT for s in keys)


def _hamming1_pairs(keys: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, k), a < b, for k-mers of one length k at Hamming distance exactly 1.

    Mixed lengths (``k_range`` models) are handled one length at a time.
    """
    lengths = np.fromiter((len(s) for s in keys), dtype=np.int64, count=len(keys))
    parts = []
    for k in np.unique(lengths):
        idx = np.flatnonzero(lengths == k)
        a, b = _hamming1_same_length([keys[i] for i in idx])
        parts.append((idx[a], idx[b], np.full(a.size, k, dtype=np.int64)))
    return tuple(np.concatenate(p) for p in zip(*parts, strict=True))


def _hamming1_same_length(keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(a, b), a < b, for equal-length k-mers at Hamming distance 1 (2-bit codes + lookup)."""
    k = len(keys[0])
    lut = np.full(256, -1, dtype=np.int64)
    for i, ch in enumerate("ACGT"):
        lut[ord(ch)] = i
        lut[ord(ch.lower())] = i
    raw = np.frombuffer("".join(keys).encode("ascii"), dtype=np.uint8).reshape(len(keys), k)
    digits = lut[raw]
    weights = np.int64(4) ** np.arange(k - 1, -1, -1, dtype=np.int64)
    codes = digits @ weights
    order = np.argsort(codes)
    sorted_codes = codes[order]
    out_a, out_b = [], []
    for p in range(k):
        for delta in (1, 2, 3):
            new_digit = (digits[:, p] + delta) % 4
            other = codes + (new_digit - digits[:, p]) * weights[p]
            pos = np.searchsorted(sorted_codes, other)
            pos = np.minimum(pos, sorted_codes.size - 1)
            hit = sorted_codes[pos] == other
            a = np.flatnonzero(hit)
            b = order[pos[hit]]
            keep = a < b
            out_a.append(a[keep])
            out_b.append(b[keep])
    return np.concatenate(out_a), np.concatenate(out_b)


def orthographic_neighbors(
    keys: list[Any],
    *,
    metric: str = "auto",
    max_edits: int = 2,
    ngram: int = 3,
    min_jaccard: float = 0.4,
    min_length: int = 3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All look-alike pairs of a vocabulary, found through an index (not all pairs).

    Parameters
    ----------
    keys : list of str
        The tokens (``vocab.index_to_key``).
    metric : {"auto", "edit", "ngram", "hamming"}, default "auto"
        ``"auto"`` is ``"hamming"`` for k-mer vocabularies and ``"edit"`` otherwise.
    max_edits : int, default 2
        Largest edit distance of a neighbour (``"edit"``).
    ngram, min_jaccard : int, float, default 3, 0.4
        n-gram size and smallest Jaccard similarity (``"ngram"``).
    min_length : int, default 3
        Shorter tokens get no neighbours (``"edit"`` and ``"ngram"``: with 2 edits, every short
        word would look like every other).

    Returns
    -------
    a, b : int64 arrays
        Pairs of ids, ``a < b``.
    orth : float64 array
        Orthographic similarity in [0, 1] of each pair.

    Examples
    --------
    >>> a, b, s = orthographic_neighbors(["form", "from", "farm", "zebra"], max_edits=1)
    >>> sorted(zip(a.tolist(), b.tolist()))
    [(0, 1), (0, 2)]
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if not all(isinstance(k, str) for k in keys):
        bad = next(k for k in keys if not isinstance(k, str))
        raise TypeError(
            f"spelling-aware sampling needs string tokens; got {type(bad).__name__} key {bad!r}"
        )
    kmers = is_kmer_vocabulary(keys, same_length=False)
    if metric == "auto":
        metric = "hamming" if kmers else "edit"
    if metric == "hamming":
        if not kmers:
            raise ValueError("metric='hamming' needs k-mer keys: A/C/G/T strings")
        a, b, k = _hamming1_pairs(keys)
        return a, b, 1.0 - 1.0 / k
    eligible = np.array([len(k) >= min_length for k in keys], dtype=bool)
    idx = np.flatnonzero(eligible)
    words = [keys[i] for i in idx]
    if len(words) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    if metric == "edit":
        if not isinstance(max_edits, (int, np.integer)) or max_edits < 1:
            raise ValueError(f"max_edits must be an int >= 1, got {max_edits!r}")
        a, b, dist = _edit_pairs(words, int(max_edits))
        longest = np.maximum([len(words[i]) for i in a], [len(words[i]) for i in b]) if a.size \
            else np.ones(0)
        orth = 1.0 - dist / np.maximum(longest, 1)
    else:
        if not 0.0 < min_jaccard <= 1.0:
            raise ValueError(f"min_jaccard must be in (0, 1], got {min_jaccard}")
        a, b, orth = _ngram_pairs(words, int(ngram), float(min_jaccard))
    return idx[a], idx[b], np.asarray(orth, dtype=np.float64)
