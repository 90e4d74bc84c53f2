"""Rare and unseen words: what subword (character n-gram) vectors buy over plain word vectors.

Two held-out evaluations; for both, the held-out words are **removed from the training text**
(:func:`drop_words`), so a plain word model cannot answer them and a subword model answers from
their n-grams alone.

* :func:`inflection_holdout` picks inflections and derivations (``governments``, ``played``,
  ``quickly``) whose stem (``government``, ``play``, ``quick``) stays in the corpus, and
  :func:`evaluate_unseen_inflections` ranks the stem among the model's whole vocabulary by
  cosine to the unseen word's vector (hits@k, median rank). Any subword model, even an
  untrained one, puts an inflection near its stem (they share n-gram rows), so it also
  measures *agreement with a reference model that saw the word*: the Spearman correlation,
  over the most frequent words, between the unseen word's cosines in the model and the word's
  cosines in the reference (rotation-free; an untrained model scores ~0).
* :func:`evaluate_heldout_pairs` scores word-pair judgements (WordSim-353, SimLex-999, ...)
  whose pairs contain held-out words: coverage, Spearman over the answered held-out pairs, and
  Spearman over *all* pairs with an unanswerable pair counted at cosine 0 (Bojanowski et al.
  2017's convention of a null vector for out-of-vocabulary words, their "sisg-" baseline).

A word counts as answered when ``embeddings[word]`` returns a vector; :class:`~embedkit.Embeddings`
raises ``KeyError`` for a word it has not trained, a
:class:`~embedkit.subwords.SubwordEmbeddings` answers from n-grams.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "INFLECTION_SUFFIXES",
    "HeldOutPairsResult",
    "UnseenInflectionResult",
    "drop_words",
    "evaluate_heldout_pairs",
    "evaluate_unseen_inflections",
    "inflection_holdout",
]

#: English inflectional and derivational suffixes tried by :func:`inflection_holdout`.
INFLECTION_SUFFIXES = ("s", "es", "ed", "ing", "er", "ers", "ly", "ment", "ments", "ness",
                       "al", "ion", "ions")
_BLOCK = 256  # query rows scored against the vocabulary at a time


def inflection_holdout(counts: Mapping[str, int], n: int = 300, *, min_count: int = 5,
                       min_stem_count: int = 20, min_stem_length: int = 4,
                       suffixes: Sequence[str] = INFLECTION_SUFFIXES,
                       exclude: Collection[str] = (), seed: int = 0,
                       key: Callable[[str], int] | None = None) -> list[tuple[str, str]]:
    """Pick ``(word, stem)`` pairs: a word to hold out and its stem, which stays in the corpus.

    ``word == stem + suffix`` for a suffix of ``suffixes``; both are alphabetic, the word
    occurs at least ``min_count`` times (it would be in a model's vocabulary) and the stem at
    least ``min_stem_count`` times. No chosen word is another pair's stem, no stem is chosen
    twice and no word of ``exclude`` is held out or used as a stem. The choice is deterministic:
    candidates are ordered by ``key(f"{seed}:{word}")`` (default: its CRC-32).

    Parameters
    ----------
    counts : mapping str -> int
        Token counts of the corpus (e.g. ``Vocab.counts`` as a dict, or a ``Counter``).
    n : int
        How many pairs (fewer if the corpus has fewer candidates).

    Returns
    -------
    list of (word, stem)

    Examples
    --------
    >>> inflection_holdout({"play": 50, "played": 9, "plays": 7, "cat": 40}, n=1, seed=1)
    [('plays', 'play')]
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    excluded = set(exclude)
    order = key or (lambda s: zlib.crc32(s.encode()))
    candidates = []
    for word, c in counts.items():
        if c < min_count or not word.isalpha() or word in excluded:
            continue
        for suf in suffixes:
            stem = word[:-len(suf)]
            if (word.endswith(suf) and len(stem) >= min_stem_length and stem not in excluded
                    and counts.get(stem, 0) >= min_stem_count):
                candidates.append((order(f"{seed}:{word}"), word, stem))
                break  # the first (shortest) suffix that leaves a frequent stem
    candidates.sort()
    chosen: list[tuple[str, str]] = []
    held: set[str] = set()
    stems: set[str] = set()
    for _h, word, stem in candidates:
        if len(chosen) == n:
            break
        if word in stems or stem in held or stem in stems:
            continue
        chosen.append((word, stem))
        held.add(word)
        stems.add(stem)
    return chosen


def drop_words(lines: Iterable[str], words: Collection[str]) -> Iterable[str]:
    """The lines with every whitespace-separated token in ``words`` removed (lazily)."""
    drop = set(words)
    for line in lines:
        yield " ".join(t for t in line.split() if t not in drop)


def _vector_or_none(emb: Any, word: str) -> np.ndarray | None:
    try:
        v = np.asarray(emb[word], dtype=np.float64)
    except KeyError:
        return None
    return v if np.isfinite(v).all() else None


@dataclass(frozen=True)
class UnseenInflectionResult:
    """Outcome of :func:`evaluate_unseen_inflections`.

    Attributes
    ----------
    n_words : int
        Held-out words scored.
    coverage : float
        Fraction of them the model gave a vector.
    hits_at_1, hits_at_10 : float
        Fraction of *all* held-out words whose stem is the nearest, or among the 10 nearest,
        vocabulary words (a word without a vector is a miss).
    median_rank : float
        Median rank of the stem among the vocabulary (1 = nearest; ``inf`` for a word without
        a vector).
    mean_cosine : float
        Mean cosine between a covered word and its stem (``nan`` when none is covered).
    mean_cosine_other : float
        Mean cosine between a covered word and another pair's stem (the chance level).
    agreement : float
        Mean over the covered words the reference knows of the Spearman correlation between
        the word's cosines to the ``n_frequent`` most frequent words in the model and in the
        reference (``nan`` without a reference).
    agreement_stem : float
        The same with the model's vector of the *stem* in place of the word's (what backing
        off to a known stem would give).
    n_agreement : int
        Words in the agreement means.
    """

    n_words: int
    coverage: float
    hits_at_1: float
    hits_at_10: float
    median_rank: float
    mean_cosine: float
    mean_cosine_other: float
    agreement: float = math.nan
    agreement_stem: float = math.nan
    n_agreement: int = 0


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms > 0, norms, 1.0)


def evaluate_unseen_inflections(embeddings: Any, pairs: Sequence[tuple[str, str]], *,
                                reference: Any = None, n_frequent: int = 2000
                                ) -> UnseenInflectionResult:
    """Rank each held-out word's stem among the vocabulary by cosine to the word's vector.

    Parameters
    ----------
    embeddings : Embeddings or SubwordEmbeddings
        The model trained *without* the held-out words (see :func:`drop_words`).
    pairs : sequence of (word, stem)
        From :func:`inflection_holdout`; pairs whose stem is not in the vocabulary are skipped.
    reference : Embeddings, optional
        A model trained on the text *with* the held-out words (e.g. Word2Vec on the full
        corpus), for :attr:`UnseenInflectionResult.agreement`.
    n_frequent : int
        How many of the model's most frequent words (first keys) the agreement uses.

    Returns
    -------
    UnseenInflectionResult

    Examples
    --------
    >>> from embedkit import Embeddings
    >>> emb = Embeddings(np.eye(3, dtype=np.float32), ["play", "cat", "dog"])
    >>> evaluate_unseen_inflections(emb, [("plays", "play")]).coverage
    0.0
    """
    key_to_index = embeddings.key_to_index
    pairs = [(w, s) for w, s in pairs if s in key_to_index]
    if not pairs:
        raise ValueError("no (word, stem) pair has its stem in the vocabulary")
    normed = _unit(np.asarray(embeddings.vectors, dtype=np.float32))
    vecs = [_vector_or_none(embeddings, w) for w, _s in pairs]
    covered = [i for i, v in enumerate(vecs) if v is not None and np.any(v)]
    ranks = np.full(len(pairs), np.inf)
    cos, other = [], []
    stem_rows = np.array([key_to_index[s] for _w, s in pairs])
    for a in range(0, len(covered), _BLOCK):
        idx = covered[a:a + _BLOCK]
        q = _unit(np.vstack([vecs[i] for i in idx])).astype(np.float32)
        sims = q @ normed.T  # (block, vocab)
        target = sims[np.arange(len(idx)), stem_rows[idx]]
        ranks[idx] = 1 + (sims > target[:, None]).sum(axis=1)
        cos += target.tolist()
        # chance level: the stem of the next pair (a fixed derangement)
        other += sims[np.arange(len(idx)), stem_rows[(np.array(idx) + 1) % len(pairs)]].tolist()
    n = len(pairs)
    agree = _agreement(embeddings, reference, [(pairs[i], vecs[i]) for i in covered],
                       n_frequent) if reference is not None else (math.nan, math.nan, 0)
    return UnseenInflectionResult(
        n_words=n, coverage=len(covered) / n,
        hits_at_1=float(np.mean(ranks <= 1)), hits_at_10=float(np.mean(ranks <= 10)),
        median_rank=float(np.median(ranks)),
        mean_cosine=float(np.mean(cos)) if cos else math.nan,
        mean_cosine_other=float(np.mean(other)) if other else math.nan,
        agreement=agree[0], agreement_stem=agree[1], n_agreement=agree[2])


def _agreement(embeddings: Any, reference: Any, items: list, n_frequent: int
               ) -> tuple[float, float, int]:
    """Mean Spearman of the cosine profiles (word, and stem) against the reference's word."""
    from scipy.stats import spearmanr

    ref_index = reference.key_to_index
    held = {w for (w, _s), _v in items}
    common = [k for k in embeddings.index_to_key if k in ref_index and k not in held]
    common = common[:n_frequent]
    if len(common) < 3:
        raise ValueError("the model and the reference share fewer than 3 words")
    mine = _unit(np.asarray(embeddings.vectors)[[embeddings.key_to_index[k] for k in common]]
                 .astype(np.float64))
    ref_m = _unit(np.asarray(reference.vectors)[[ref_index[k] for k in common]]
                  .astype(np.float64))
    word, stem = [], []
    for (w, s), v in items:
        if w not in ref_index:
            continue
        truth = ref_m @ np.asarray(reference.vectors[ref_index[w]], dtype=np.float64)
        word.append(spearmanr(mine @ v, truth).statistic)
        sv = np.asarray(embeddings.vectors[embeddings.key_to_index[s]], dtype=np.float64)
        stem.append(spearmanr(mine @ sv, truth).statistic)
    if not word:
        return math.nan, math.nan, 0
    return float(np.mean(word)), float(np.mean(stem)), len(word)


@dataclass(frozen=True)
class HeldOutPairsResult:
    """Outcome of :func:`evaluate_heldout_pairs`.

    Attributes
    ----------
    n_pairs : int
        All pairs read.
    n_heldout : int
        Pairs with a held-out (or otherwise unknown) word.
    coverage : float
        Fraction of those the model answered (both words got a vector).
    spearman_heldout : float
        Spearman over the answered held-out pairs (``nan`` with fewer than 3).
    spearman_all : float
        Spearman over all pairs, an unanswered pair scored at cosine 0 (null-vector
        convention).
    """

    n_pairs: int
    n_heldout: int
    coverage: float
    spearman_heldout: float
    spearman_all: float


def evaluate_heldout_pairs(embeddings: Any, pairs: Iterable[Sequence[Any]],
                           heldout: Collection[str]) -> HeldOutPairsResult:
    """Word-pair Spearman where some words were held out of training.

    Parameters
    ----------
    embeddings : Embeddings or SubwordEmbeddings
        The model (words are looked up lower-cased).
    pairs : iterable of (word1, word2, score)
        Human judgements, e.g. from :func:`~embedkit.eval.words.read_word_pairs`.
    heldout : collection of str
        The words removed from training; a pair is "held out" when it has one of them or a
        word the model's vocabulary lacks.

    Returns
    -------
    HeldOutPairsResult
    """
    from scipy.stats import spearmanr

    vocab = embeddings.key_to_index
    held = set(heldout)
    sims, gold, h_sims, h_gold = [], [], [], []
    n_held = 0
    for a, b, score in pairs:
        a, b = str(a).lower(), str(b).lower()
        va, vb = _vector_or_none(embeddings, a), _vector_or_none(embeddings, b)
        den = 0.0 if va is None or vb is None else float(np.linalg.norm(va) * np.linalg.norm(vb))
        sim = float(va @ vb) / den if den > 0 else 0.0
        sims.append(sim)
        gold.append(float(score))
        if a in held or b in held or a not in vocab or b not in vocab:
            n_held += 1
            if den > 0:
                h_sims.append(sim)
                h_gold.append(float(score))

    def rho(x: list[float], y: list[float]) -> float:
        if len(x) < 3 or np.ptp(x) == 0:
            return math.nan
        return float(spearmanr(x, y).statistic)

    return HeldOutPairsResult(n_pairs=len(sims), n_heldout=n_held,
                              coverage=len(h_sims) / n_held if n_held else math.nan,
                              spearman_heldout=rho(h_sims, h_gold), spearman_all=rho(sims, gold))
