"""Evaluation of DNA k-mer embeddings.

* :func:`evaluate_sequence_classification`: pooled k-mer vectors plus a scikit-learn classifier
  (accuracy and macro-F1 over repeated stratified splits), in one table with a bag-of-k-mer
  counts baseline and the majority-class rate, so the gain of the embedding is visible.
* :func:`kmer_similarity_agreement`: Spearman correlation between the cosine similarity of
  k-mer vectors and the global-alignment (or edit) similarity of the k-mer strings over
  sampled pairs, as dna2vec (Ng 2017) reports.
* :func:`reverse_complement_consistency`: whether a k-mer and its reverse complement end up
  closer than random pairs (meaningful for non-canonical models).

scikit-learn is needed for the classification (``pip install embedkit[eval]``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from embedkit.strings import levenshtein_distance

__all__ = [
    "AgreementResult",
    "RCConsistencyResult",
    "alignment_score",
    "edit_distance",
    "levenshtein_distance",
    "evaluate_sequence_classification",
    "kmer_similarity_agreement",
    "reverse_complement_consistency",
]


# ---------------------------------------------------------------------------------------------
# Sequence classification
# ---------------------------------------------------------------------------------------------


def _default_classifier(sparse: bool = False):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    # sparse count features are scaled without centring, so they stay sparse
    return make_pipeline(StandardScaler(with_mean=not sparse), LogisticRegression(max_iter=2000))


def _scores(X, y: np.ndarray, splits, classifier) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score, f1_score

    acc, f1 = [], []
    for train, test in splits:
        clf = clone(classifier).fit(X[train], y[train])
        pred = clf.predict(X[test])
        acc.append(accuracy_score(y[test], pred))
        f1.append(f1_score(y[test], pred, average="macro"))
    return np.array(acc), np.array(f1)


def evaluate_sequence_classification(
    model: Any,
    sequences: Sequence[str] | pd.Series,
    labels: Sequence[Any],
    *,
    pools: Sequence[str] = ("mean",),
    segments: int = 1,
    baseline: bool = True,
    classifier: Any = None,
    n_splits: int = 5,
    test_size: float = 0.25,
    random_state: int = 0,
) -> pd.DataFrame:
    """Classify whole sequences from pooled k-mer vectors, next to a k-mer-count baseline.

    Every feature set is scored on the same repeated stratified train/test splits
    (``StratifiedShuffleSplit``), with a fresh clone of the classifier per split.

    Parameters
    ----------
    model : Kmer2Vec
        A fitted model (its ``embed_sequences`` and ``count_matrix`` give the features).
    sequences : sequence of str or pandas.Series
        The sequences.
    labels : sequence
        One class label per sequence.
    pools : sequence of {"mean", "sum", "tfidf"}, default ("mean",)
        Pooling methods to score (one row each).
    segments : int, default 1
        Pool (and count, for the baseline) each of this many equal regions of a sequence
        separately and concatenate (see :meth:`Kmer2Vec.embed_sequences`).
    baseline : bool, default True
        Add rows for the bag-of-k-mer counts (the model's vocabulary, same k, same regions; a
        sparse matrix) and for the majority class.
    classifier : scikit-learn estimator, optional
        Default: ``StandardScaler`` + ``LogisticRegression(max_iter=2000)`` (the scaler does
        not centre the sparse count features). A custom one must accept scipy sparse input
        when ``baseline`` is on.
    n_splits : int, default 5
        Number of random splits.
    test_size : float, default 0.25
        Held-out share per split.
    random_state : int, default 0
        Seed of the splits.

    Returns
    -------
    pandas.DataFrame
        One row per feature set: ``features``, ``dim``, ``accuracy``, ``accuracy_std``,
        ``macro_f1``, ``macro_f1_std``, ``n_splits``.

    Examples
    --------
    >>> from embedkit.models.kmer2vec import Kmer2Vec
    >>> seqs = ["ACGT" * 10, "TTGCA" * 8] * 20
    >>> y = [0, 1] * 20
    >>> m = Kmer2Vec(k=3, dim=8, random_state=0, progress=False).fit(seqs)
    >>> table = evaluate_sequence_classification(m, seqs, y, n_splits=2)
    >>> table["features"].tolist()
    ['kmer2vec (mean)', 'k-mer counts', 'majority class']
    """
    from sklearn.dummy import DummyClassifier
    from sklearn.model_selection import StratifiedShuffleSplit

    seqs = list(sequences)
    y = np.asarray(list(labels))
    if len(seqs) != y.size:
        raise ValueError(f"got {len(seqs)} sequences but {y.size} labels")
    if len(np.unique(y)) < 2:
        raise ValueError("labels must hold at least two classes")
    splitter = StratifiedShuffleSplit(n_splits=n_splits, test_size=test_size,
                                      random_state=random_state)
    splits = list(splitter.split(np.zeros(y.size), y))
    rows = []

    def add(name: str, X, estimator=None) -> None:
        if estimator is None:
            estimator = _default_classifier(sp.issparse(X)) if classifier is None else classifier
        acc, f1 = _scores(X, y, splits, estimator)
        rows.append({"features": name, "dim": X.shape[1], "accuracy": acc.mean(),
                     "accuracy_std": acc.std(), "macro_f1": f1.mean(),
                     "macro_f1_std": f1.std(), "n_splits": len(splits)})

    regions = f", {segments} regions" if segments > 1 else ""
    for pool in pools:
        add(f"kmer2vec ({pool}{regions})",
            model.embed_sequences(seqs, pool=pool, segments=segments))
    if baseline:
        counts = model.count_matrix(seqs, segments=segments).astype(np.float64)
        counts = counts.reshape((y.size, -1)).tocsr()
        add(f"k-mer counts{regions.replace(', ', ' (') + ')' if regions else ''}", counts)
        add("majority class", np.zeros((y.size, 1)), DummyClassifier(strategy="most_frequent"))
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# Agreement with sequence similarity
# ---------------------------------------------------------------------------------------------


#: Alias of :func:`embedkit.strings.levenshtein_distance` (kept for existing imports).
edit_distance = levenshtein_distance


def alignment_score(a: str, b: str, *, match: int = 1, mismatch: int = -1, gap: int = -1) -> int:
    """Needleman-Wunsch global alignment score (linear gap penalty).

    Examples
    --------
    >>> alignment_score("ACGT", "ACGT"), alignment_score("ACGT", "AGT")
    (4, 2)
    """
    prev = [j * gap for j in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        cur = [i * gap]
        for j, cb in enumerate(b, 1):
            diag = prev[j - 1] + (match if ca == cb else mismatch)
            cur.append(max(diag, prev[j] + gap, cur[j - 1] + gap))
        prev = cur
    return prev[-1]


@dataclass(frozen=True)
class AgreementResult:
    """Rank agreement of embedding similarity with string similarity."""

    spearman: float
    pvalue: float
    n_pairs: int
    similarity: str


def kmer_similarity_agreement(
    embeddings: Any,
    *,
    n_pairs: int = 2000,
    similarity: str = "alignment",
    restrict_vocab: int | None = None,
    random_state: int = 0,
) -> AgreementResult:
    """Spearman correlation of k-mer cosine similarity with alignment/edit similarity.

    Pairs of distinct k-mers are drawn uniformly (with a seeded generator) from the vocabulary
    (or its ``restrict_vocab`` most frequent keys). ``"alignment"`` scores a pair by its
    Needleman-Wunsch global alignment score (match +1, mismatch -1, gap -1), ``"edit"`` by
    ``1 - levenshtein / max(len)``.

    Parameters
    ----------
    embeddings : Embeddings or fitted Kmer2Vec
    n_pairs : int, default 2000
    similarity : {"alignment", "edit"}
    restrict_vocab : int, optional
    random_state : int, default 0

    Returns
    -------
    AgreementResult

    Examples
    --------
    >>> from embedkit.embeddings import Embeddings
    >>> emb = Embeddings(np.array([[1.0, 0], [0.9, 0.1], [0, 1.0]]), ["AAA", "AAC", "GTG"])
    >>> kmer_similarity_agreement(emb, n_pairs=20).spearman > 0
    True
    """
    emb = getattr(embeddings, "embeddings_", embeddings)
    if similarity not in ("alignment", "edit"):
        raise ValueError(f"similarity must be 'alignment' or 'edit', got {similarity!r}")
    keys = list(emb.index_to_key)[:restrict_vocab]
    if len(keys) < 2:
        raise ValueError("need at least two k-mers")
    rng = np.random.default_rng(random_state)
    a = rng.integers(0, len(keys), n_pairs)
    b = rng.integers(0, len(keys) - 1, n_pairs)
    b = b + (b >= a)  # distinct partners
    V = emb.normed_vectors
    cos = np.einsum("ij,ij->i", V[a], V[b])
    if similarity == "alignment":
        ref = [alignment_score(keys[i], keys[j]) for i, j in zip(a, b, strict=True)]
    else:
        ref = [1 - levenshtein_distance(keys[i], keys[j]) / max(len(keys[i]), len(keys[j]))
               for i, j in zip(a, b, strict=True)]
    from scipy import stats  # lazily: scipy.stats is slow to import

    rho, p = stats.spearmanr(cos, ref)
    return AgreementResult(float(rho), float(p), int(n_pairs), similarity)


# ---------------------------------------------------------------------------------------------
# Reverse-complement consistency
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RCConsistencyResult:
    """Cosine similarity of k-mer / reverse-complement pairs versus random pairs.

    ``auc`` is the probability that a k-mer's similarity to its reverse complement exceeds
    its similarity to a random k-mer (0.5: no relation); ``pvalue`` is the one-sided
    Mann-Whitney test of that.
    """

    mean_rc: float
    mean_random: float
    auc: float
    pvalue: float
    n_kmers: int


def reverse_complement_consistency(embeddings: Any, *, random_state: int = 0,
                                   restrict_vocab: int | None = None) -> RCConsistencyResult:
    """Are k-mers closer to their reverse complements than to random k-mers?

    Uses every non-palindromic k-mer whose reverse complement is also in the vocabulary; each
    is paired with one random k-mer (seeded). Meaningless for canonical models (a k-mer and
    its reverse complement are one token there), which raise ``ValueError``.

    Examples
    --------
    >>> from embedkit.embeddings import Embeddings
    >>> emb = Embeddings(np.array([[1.0, 0], [1.0, 0.1], [0, 1.0], [0.1, 1]]),
    ...                  ["AAC", "GTT", "ACC", "GGT"])
    >>> reverse_complement_consistency(emb).mean_rc > 0.9
    True
    """
    from embedkit.contexts.kmers import reverse_complement

    emb = getattr(embeddings, "embeddings_", embeddings)
    keys = list(emb.index_to_key)[:restrict_vocab]
    index = {k: i for i, k in enumerate(keys)}
    src, dst = [], []
    for i, k in enumerate(keys):
        j = index.get(reverse_complement(str(k)))
        if j is not None and j != i:
            src.append(i)
            dst.append(j)
    if len(src) < 2:
        raise ValueError(
            "fewer than two k-mers have their reverse complement in the vocabulary "
            "(a canonical model merges them: reverse-complement consistency does not apply)"
        )
    src_a, dst_a = np.array(src), np.array(dst)
    rng = np.random.default_rng(random_state)
    rnd = rng.integers(0, len(keys) - 1, src_a.size)
    rnd = rnd + (rnd >= src_a)
    V = emb.normed_vectors
    rc_sim = np.einsum("ij,ij->i", V[src_a], V[dst_a])
    rnd_sim = np.einsum("ij,ij->i", V[src_a], V[rnd])
    from scipy import stats

    u, p = stats.mannwhitneyu(rc_sim, rnd_sim, alternative="greater")
    return RCConsistencyResult(float(rc_sim.mean()), float(rnd_sim.mean()),
                               float(u / (rc_sim.size * rnd_sim.size)), float(p), int(src_a.size))
