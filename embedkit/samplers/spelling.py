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

from embedkit.samplers.base import ModelState, SamplerTables, make_tables
from embedkit.samplers.hard import Proposal, is_untrained, unit_rows
from embedkit.samplers.orthography import (
    METRICS,
    edit_distance,
    is_kmer_vocabulary,
    orthographic_neighbors,
    osa_distance,
)
from embedkit.vocab import Vocab

__all__ = [
    "SpellingAware",
    "orthographic_neighbors",
    "edit_distance",
    "osa_distance",
    "is_kmer_vocabulary",
]

_MODES = ("confusable", "exclude_variants")


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
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
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
