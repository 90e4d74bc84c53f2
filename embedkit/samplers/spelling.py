"""Spelling-aware negative sampling: orthographic neighbours blended with semantic similarity.

For a target token ``w`` the orthographic neighbours ``o`` (tokens that look alike) are scored

    score(w, o) = λ · orth(w, o) + (1 − λ) · cos(w, o)

where ``orth`` is in [0, 1] and ``cos`` is the cosine of the current input vectors (or of a
proposal model). Two modes use the scores:

* ``"confusable"``: each target's best-scoring look-alikes become its candidate negatives
  (form / from, principal / principle), mixed with base draws by ``mix``;
* ``"exclude_variants"``: look-alikes scoring at least ``threshold`` (inflections and
  misspellings, which look alike *and* mean the same) are never negatives of the target.

Orthographic neighbours are found through an index, never by comparing all pairs:

* ``"edit"``: optimal-string-alignment distance (Levenshtein plus adjacent transpositions)
  ``<= max_edits``, via a deletion-neighbourhood index (SymSpell, Garbe 2012): two strings
  within ``k`` edits share a string reachable by ``<= k`` deletions from each, so only tokens
  sharing a deletion key are verified (in Numba). ``orth = 1 − d / max(len)``.
* ``"ngram"``: Jaccard similarity of character n-gram sets (with ``<`` and ``>`` boundary
  marks) ``>= min_jaccard``, via a sparse token × n-gram matrix: ``X Xᵀ`` (a block of rows at a
  time) only touches pairs sharing an n-gram, i.e. an inverted index. ``orth = Jaccard``.
* ``"hamming"``: for k-mers (ACGT strings) the neighbours of the same length at Hamming
  distance 1, found by substituting each position and looking the result up (a sorted array of
  2-bit codes). ``orth = 1 − 1/k``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from embedkit.samplers.base import ModelState, SamplerTables, make_tables
from embedkit.samplers.hard import Proposal, is_untrained, unit_rows
from embedkit.strings import osa_distance
from embedkit.vocab import Vocab

__all__ = [
    "SpellingAware",
    "orthographic_neighbors",
    "edit_distance",
    "osa_distance",
    "is_kmer_vocabulary",
]

_MODES = ("confusable", "exclude_variants")
_METRICS = ("auto", "edit", "ngram", "hamming")
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
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {_METRICS}, got {metric!r}")
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


def _rank_rows(rows: np.ndarray, score: np.ndarray, n: int) -> np.ndarray:
    """Rank of each entry within its row, by descending score (0 = best)."""
    order = np.lexsort((-score, rows))
    r = rows[order]
    starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]]) if r.size else np.zeros(0, np.int64)
    sizes = np.diff(np.r_[starts, r.size])
    rank = np.empty(rows.size, dtype=np.int64)
    rank[order] = np.arange(r.size) - np.repeat(starts, sizes)
    return rank


def _to_csr(rows: np.ndarray, cols: np.ndarray, score: np.ndarray, n: int):
    """CSR over ``n`` rows; each row's entries best-first."""
    order = np.lexsort((-score, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, cols[order].astype(np.int32)


class SpellingAware:
    """Negatives chosen by spelling: look-alikes as hard negatives, or variants kept out.

    Parameters
    ----------
    mode : {"confusable", "exclude_variants"}, default "confusable"
        ``"confusable"``: a target's best-scoring look-alikes become candidate negatives.
        ``"exclude_variants"``: look-alikes scoring ``>= threshold`` are never its negatives.
    lam : float, default 0.5
        λ in ``score = λ · orth + (1 − λ) · cos``. Before the model has learnt anything (the
        engine's first call, output vectors all zero) and without a ``proposal``, the score is
        ``orth`` alone.
    metric : {"auto", "edit", "ngram", "hamming"}, default "auto"
        Orthographic similarity (see :func:`orthographic_neighbors`); ``"auto"`` picks
        Hamming-1 neighbours for k-mer vocabularies and edit distance otherwise.
    max_edits, ngram, min_jaccard, min_length :
        Neighbour limits, see :func:`orthographic_neighbors`.
    n_neighbors : int, default 10
        ``"confusable"``: candidates kept per target.
    mix : float, default 0.3
        ``"confusable"``: share of negatives drawn from the candidates (the kernel's
        ``cand_mix``); the rest are base draws.
    max_cosine : float or None, default None
        ``"confusable"``: drop look-alikes whose cosine exceeds this (they mean the same: likely
        variants, i.e. false negatives).
    threshold : float, default 0.5
        ``"exclude_variants"``: smallest score of an excluded variant.
    top_n : int or None, default 20000
        Only the ``top_n`` most frequent tokens are indexed (bounds the index build time).
    proposal : Embeddings, ndarray or None
        Vectors for the cosine term instead of the model being trained (aligned by key).
    power : float, default 0.75
        Base distribution ``∝ count ** power``.
    refresh_every : int, "epoch" or None, default "epoch"
        Re-blend the scores with the current model this often (the orthographic index is
        built once per vocabulary).
    exclude_window : bool, default True
        Reject (redraw) a negative that is a true context in the current window.

    Examples
    --------
    >>> from embedkit.vocab import Vocab
    >>> v = Vocab(["form", "from", "farm", "zebra"], [4, 3, 2, 1])
    >>> t = SpellingAware("exclude_variants", max_edits=1, threshold=0.7).tables(v)
    >>> t.excl_ids[t.excl_indptr[0]:t.excl_indptr[1]].tolist()
    [1, 2]
    """

    def __init__(
        self,
        mode: str = "confusable",
        *,
        lam: float = 0.5,
        metric: str = "auto",
        max_edits: int = 2,
        ngram: int = 3,
        min_jaccard: float = 0.4,
        min_length: int = 3,
        n_neighbors: int = 10,
        mix: float = 0.3,
        max_cosine: float | None = None,
        threshold: float = 0.5,
        top_n: int | None = 20_000,
        proposal: Any = None,
        power: float = 0.75,
        refresh_every: int | str | None = "epoch",
        exclude_window: bool = True,
    ) -> None:
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        if metric not in _METRICS:
            raise ValueError(f"metric must be one of {_METRICS}, got {metric!r}")
        if not 0.0 <= lam <= 1.0:
            raise ValueError(f"lam must be in [0, 1], got {lam}")
        if not 0.0 <= mix <= 1.0:
            raise ValueError(f"mix must be in [0, 1], got {mix}")
        if not isinstance(n_neighbors, (int, np.integer)) or n_neighbors < 1:
            raise ValueError(f"n_neighbors must be an int >= 1, got {n_neighbors!r}")
        if top_n is not None and (not isinstance(top_n, (int, np.integer)) or top_n < 2):
            raise ValueError(f"top_n must be an int >= 2 or None, got {top_n!r}")
        if not (refresh_every is None or refresh_every == "epoch"
                or (isinstance(refresh_every, (int, np.integer)) and refresh_every > 0)):
            raise ValueError(
                f"refresh_every must be a positive int, 'epoch' or None, got {refresh_every!r}"
            )
        self.mode = mode
        self.lam = float(lam)
        self.metric = metric
        self.max_edits = max_edits
        self.ngram = ngram
        self.min_jaccard = min_jaccard
        self.min_length = min_length
        self.n_neighbors = int(n_neighbors)
        self.mix = float(mix)
        self.max_cosine = max_cosine
        self.threshold = float(threshold)
        self.top_n = top_n
        self.proposal = proposal
        self.power = float(power)
        self.refresh_every = refresh_every
        self.exclude_window = bool(exclude_window)
        self._cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"SpellingAware({self.mode!r}, lam={self.lam}, metric={self.metric!r})"

    def neighbors(self, vocab: Vocab) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Directed look-alike pairs ``(target, other, orth)`` of ``vocab`` (cached)."""
        if self._cache.get("vocab") is not vocab:
            keys = vocab.index_to_key
            limit = len(keys) if self.top_n is None else min(len(keys), int(self.top_n))
            a, b, s = orthographic_neighbors(
                keys[:limit], metric=self.metric, max_edits=self.max_edits, ngram=self.ngram,
                min_jaccard=self.min_jaccard, min_length=self.min_length,
            )
            self._cache["pairs"] = (np.r_[a, b], np.r_[b, a], np.r_[s, s])
            self._cache["vocab"] = vocab
        return self._cache["pairs"]

    def _cosine(self, vocab: Vocab, model: ModelState | None, a, b) -> np.ndarray | None:
        if self.proposal is not None:
            if self._cache.get("proposal_vocab") is not vocab:
                self._cache["proposal"] = Proposal(self.proposal, vocab)
                self._cache["proposal_vocab"] = vocab
            X = self._cache["proposal"].X
            if X is None:
                raise TypeError("SpellingAware's proposal must provide vectors (Embeddings or "
                                "an array), not only a score() method")
        elif is_untrained(model):
            return None
        else:
            X = unit_rows(model.vectors)
        out = np.empty(a.size, dtype=np.float64)
        step = 32_768  # bounded scratch: X[a] for all pairs at once would be pairs x dim
        for s in range(0, a.size, step):
            out[s:s + step] = np.einsum("ij,ij->i", X[a[s:s + step]], X[b[s:s + step]])
        return out

    def scores(self, vocab: Vocab, model: ModelState | None = None):
        """``(target, other, score, cosine)`` for every look-alike pair (cosine may be None)."""
        a, b, orth = self.neighbors(vocab)
        cos = self._cosine(vocab, model, a, b) if a.size else None
        score = orth if cos is None else self.lam * orth + (1.0 - self.lam) * cos
        return a, b, score, cos

    def tables(self, vocab: Vocab, model: ModelState | None = None) -> SamplerTables:
        """Compile the sampler for ``vocab`` and the current ``model``."""
        n = len(vocab)
        weights = np.power(vocab.counts.astype(np.float64), self.power)
        a, b, score, cos = self.scores(vocab, model)
        if self.mode == "confusable":
            keep = np.ones(a.size, dtype=bool)
            if cos is not None and self.max_cosine is not None:
                keep &= cos <= self.max_cosine
            a, b, score = a[keep], b[keep], score[keep]
            keep = _rank_rows(a, score, n) < self.n_neighbors
            a, b, score = a[keep], b[keep], score[keep]
            if a.size == 0:
                return make_tables(weights, exclude_window=self.exclude_window)
            indptr, ids = _to_csr(a, b, score, n)
            return make_tables(weights, cand_indptr=indptr, cand_ids=ids, cand_mix=self.mix,
                               exclude_window=self.exclude_window)
        keep = score >= self.threshold
        a, b = a[keep], b[keep]
        if a.size == 0:
            return make_tables(weights, exclude_window=self.exclude_window)
        indptr, ids = _to_csr(a, b, b.astype(np.float64), n)
        return make_tables(weights, exclude_window=self.exclude_window, excl_indptr=indptr,
                           excl_ids=ids)
