"""Intrinsic evaluation of word vectors: word-pair similarity and word analogies.

The functions take any object exposing ``normed_vectors`` (unit-length rows), ``index_to_key``
and ``key_to_index`` -- normally an :class:`embedkit.Embeddings` -- so they do not depend on how
the vectors were trained.

* :func:`evaluate_word_pairs` correlates cosine similarities with human judgements
  (WordSim-353, SimLex-999, MEN, ... in ``word1<TAB>word2<TAB>score`` form).
* :func:`evaluate_analogies` measures analogy accuracy on ``questions-words.txt``-style files
  (Mikolov et al. 2013) with 3CosAdd or 3CosMul (Levy & Goldberg 2014), batched as matrix
  products so that the full Google set runs in seconds.
"""

from __future__ import annotations

import math
import operator
import os
import warnings
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from embedkit._io import open_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AnalogyResult",
    "SimilarityResult",
    "SupportsWordVectors",
    "analogy_scores",
    "evaluate_analogies",
    "evaluate_word_pairs",
    "read_analogy_questions",
    "read_word_pairs",
]

#: Epsilon of 3CosMul, as in Levy & Goldberg (2014).
COSMUL_EPS = 1e-3
#: Methods accepted by the analogy functions.
ANALOGY_METHODS = ("3cosadd", "3cosmul")
# Size (in matrix elements) of one block of the batched analogy score matrix (~32 MB float32).
_BLOCK_ELEMENTS = 1 << 23


class SupportsWordVectors(Protocol):
    """What the evaluation functions need from an embedding container."""

    @property
    def normed_vectors(self) -> np.ndarray: ...  # (n, d) rows of unit length (or zero)

    @property
    def index_to_key(self) -> list[Hashable]: ...

    @property
    def key_to_index(self) -> dict[Hashable, int]: ...


@dataclass(frozen=True)
class SimilarityResult:
    """Outcome of :func:`evaluate_word_pairs`.

    Attributes
    ----------
    spearman : float
        Spearman rank correlation between model cosine and human score over the pairs used
        (``nan`` when fewer than two pairs are usable or an input is constant).
    pearson : float
        Pearson correlation over the same pairs.
    oov_ratio : float
        Fraction (0..1) of pairs skipped because a word is out of (the restricted) vocabulary.
    n_pairs : int
        Number of pairs read.
    n_used : int
        Number of pairs with both words in vocabulary.
    spearman_pvalue, pearson_pvalue : float
        Two-sided p-values of the correlations (``nan`` when undefined).
    """

    spearman: float
    pearson: float
    oov_ratio: float
    n_pairs: int
    n_used: int
    spearman_pvalue: float = math.nan
    pearson_pvalue: float = math.nan


@dataclass(frozen=True, eq=False)
class AnalogyResult:
    """Outcome of :func:`evaluate_analogies`.

    Attributes
    ----------
    accuracy : float
        Correct / answered over all sections (``nan`` if nothing was answered).
    semantic_accuracy : float
        Accuracy over sections whose name does not start with ``"gram"``.
    syntactic_accuracy : float
        Accuracy over sections whose name starts with ``"gram"``.
    per_section : pandas.DataFrame
        One row per section in file order, columns ``section``, ``correct``, ``total``
        (answered questions), ``accuracy`` and ``skipped`` (questions with an OOV word).
    n_questions : int
        Questions read from the file.
    n_answered : int
        Questions evaluated (all four words in the restricted vocabulary).
    n_correct : int
        Questions answered correctly.
    n_skipped_oov : int
        Questions skipped because a word is outside the restricted vocabulary.
    """

    accuracy: float
    semantic_accuracy: float
    syntactic_accuracy: float
    per_section: pd.DataFrame
    n_questions: int
    n_answered: int
    n_correct: int
    n_skipped_oov: int


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------


def _parse_score(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value


def read_word_pairs(
    path: str | os.PathLike[str], *, delimiter: str | None = "\t"
) -> list[tuple[str, str, float]]:
    """Read a word-similarity file of ``word1 <delimiter> word2 <delimiter> score`` lines.

    Blank lines and lines starting with ``#`` are skipped. The first remaining line may be a
    header (its score field is not a number); a non-numeric score anywhere else is an error.
    Plain and gzip files are accepted.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    delimiter : str or None, default "\\t"
        Field separator; ``None`` splits on any run of whitespace.

    Returns
    -------
    list of (str, str, float)

    Raises
    ------
    ValueError
        On a line without exactly three fields, a non-numeric score (other than in a header) or
        a non-finite score; the message names the file and line.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "pairs.tsv")
    >>> _ = open(p, "w").write("# comment\\nword1\\tword2\\tscore\\ncat\\tdog\\t7.5\\n")
    >>> read_word_pairs(p)
    [('cat', 'dog', 7.5)]
    """
    pairs: list[tuple[str, str, float]] = []
    seen_data_line = False
    with open_text(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            fields = [f.strip() for f in (line.split(delimiter) if delimiter else line.split())]
            first = not seen_data_line
            seen_data_line = True
            if len(fields) != 3:
                raise ValueError(
                    f"{os.fspath(path)}, line {lineno}: expected 3 fields (word1, word2, score) "
                    f"separated by {delimiter!r}, got {len(fields)}"
                )
            score = _parse_score(fields[2])
            if score is None:
                if first:
                    continue  # header line
                raise ValueError(
                    f"{os.fspath(path)}, line {lineno}: score {fields[2]!r} is not a number"
                )
            if not math.isfinite(score):
                raise ValueError(f"{os.fspath(path)}, line {lineno}: score {score} is not finite")
            pairs.append((fields[0], fields[1], score))
    return pairs


def read_analogy_questions(
    path: str | os.PathLike[str],
) -> dict[str, list[tuple[str, str, str, str]]]:
    """Read an analogy file in the ``questions-words.txt`` format.

    Sections start with a line ``: name``; each following line holds four words
    ``a b c d`` meaning *a is to b as c is to d*. Blank lines and ``#`` comments are skipped.

    Parameters
    ----------
    path : str or os.PathLike
        The file (plain or gzip).

    Returns
    -------
    dict
        Section name -> list of ``(a, b, c, d)`` in file order (a repeated section name is
        merged into the first).

    Raises
    ------
    ValueError
        On a question before any section header, an empty section name, or a line without
        exactly four words; the message names the file and line.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "q.txt")
    >>> _ = open(p, "w").write(": capitals\\nAthens Greece Paris France\\n")
    >>> read_analogy_questions(p)
    {'capitals': [('Athens', 'Greece', 'Paris', 'France')]}
    """
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    current: list[tuple[str, str, str, str]] | None = None
    name = os.fspath(path)
    with open_text(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith(":"):
                section = line[1:].strip()
                if not section:
                    raise ValueError(f"{name}, line {lineno}: empty section name")
                current = sections.setdefault(section, [])
                continue
            words = line.split()
            if len(words) != 4:
                raise ValueError(
                    f"{name}, line {lineno}: expected 4 words 'a b c d', got {len(words)}"
                )
            if current is None:
                raise ValueError(
                    f"{name}, line {lineno}: question before the first ': section' header"
                )
            current.append((words[0], words[1], words[2], words[3]))
    return sections


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _resolve_limit(restrict_vocab: int | None, n: int) -> int:
    if restrict_vocab is None:
        return n
    if isinstance(restrict_vocab, bool):
        raise TypeError("restrict_vocab must be an int or None, not bool")
    try:
        limit = operator.index(restrict_vocab)
    except TypeError:
        raise TypeError(
            f"restrict_vocab must be an int or None, got {type(restrict_vocab).__name__}"
        ) from None
    if limit < 0:
        raise ValueError(f"restrict_vocab must be >= 0, got {limit}")
    return min(limit, n)


def _fold(key: Any) -> Any:
    return key.lower() if isinstance(key, str) else key


class _Lookup:
    """Word -> row index within the first ``limit`` keys, optionally case-insensitive.

    In case-insensitive mode every casing variant of a word forms a group represented by its
    most frequent (lowest-index) member; lookups return the representative.
    """

    def __init__(self, emb: SupportsWordVectors, limit: int, case_insensitive: bool) -> None:
        self.limit = limit
        self.case_insensitive = case_insensitive
        self._key_to_index = emb.key_to_index
        self.group: np.ndarray | None = None
        if case_insensitive:
            table: dict[Any, int] = {}
            group = np.empty(limit, dtype=np.int64)
            for i, key in enumerate(emb.index_to_key[:limit]):
                group[i] = table.setdefault(_fold(key), i)
            self._table = table
            if np.any(group != np.arange(limit)):
                self.group = group
                order = np.argsort(group, kind="stable")
                counts = np.bincount(group, minlength=limit)
                self._members = order
                self._counts = counts
                self._starts = np.concatenate(([0], np.cumsum(counts)[:-1]))

    def get(self, word: Any) -> int | None:
        if self.case_insensitive:
            return self._table.get(_fold(word))
        idx = self._key_to_index.get(word)
        return idx if idx is not None and idx < self.limit else None

    def exclusions(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) pairs to mask for a ``(B, k)`` block of query indices."""
        b, k = queries.shape
        rows = np.repeat(np.arange(b), k)
        cols = queries.ravel()
        if self.group is None:
            return rows, cols
        lens = self._counts[cols]
        total = int(lens.sum())
        offsets = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens)
        cols = self._members[np.repeat(self._starts[cols], lens) + offsets]
        return np.repeat(rows, lens), cols

    def same(self, predicted: np.ndarray, expected: np.ndarray) -> np.ndarray:
        if self.group is None:
            return predicted == expected
        return self.group[predicted] == expected


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    norms[norms == 0] = 1.0
    matrix /= norms[:, None]
    return matrix


def _check_method(method: str) -> str:
    if method not in ANALOGY_METHODS:
        raise ValueError(f"method must be one of {ANALOGY_METHODS}, got {method!r}")
    return method


def analogy_scores(
    normed: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    *,
    method: str = "3cosadd",
    limit: int | None = None,
) -> np.ndarray:
    """Scores of every candidate for a batch of analogies ``a : b :: c : ?``.

    Parameters
    ----------
    normed : ndarray of shape (n, d)
        Unit-normalised vectors.
    a, b, c : array-like of int, shape (q,)
        Row indices of the query words.
    method : {"3cosadd", "3cosmul"}, default "3cosadd"
        ``"3cosadd"``: cosine between each candidate and the unit vector of ``b - a + c``
        (ranking identical to ``cos(x, b) - cos(x, a) + cos(x, c)``). ``"3cosmul"``:
        ``cos'(x, b) * cos'(x, c) / (cos'(x, a) + 1e-3)`` with ``cos' = (cos + 1) / 2``.
    limit : int, optional
        Score only the first ``limit`` rows of ``normed`` (default: all).

    Returns
    -------
    ndarray of float32, shape (q, limit)
        Scores; the query words themselves are *not* masked.

    Examples
    --------
    >>> normed = np.eye(3, dtype=np.float32)
    >>> analogy_scores(normed, [0], [1], [2]).astype(float).round(3).tolist()
    [[-0.577, 0.577, 0.577]]
    """
    _check_method(method)
    a = np.asarray(a, dtype=np.intp)
    b = np.asarray(b, dtype=np.intp)
    c = np.asarray(c, dtype=np.intp)
    cand = normed if limit is None else normed[:limit]
    if method == "3cosadd":
        target = normed[b] - normed[a] + normed[c]
        return _unit_rows(target.astype(np.float32, copy=False)) @ cand.T
    sb = normed[b] @ cand.T
    sc = normed[c] @ cand.T
    sa = normed[a] @ cand.T
    sb += 1.0
    sb *= 0.5
    sc += 1.0
    sc *= 0.5
    sa += 1.0
    sa *= 0.5
    sa += np.float32(COSMUL_EPS)
    sb *= sc
    sb /= sa
    return sb


def _predict_analogies(
    normed: np.ndarray, queries: np.ndarray, limit: int, method: str, lookup: _Lookup
) -> tuple[np.ndarray, np.ndarray]:
    """Best answer of each ``(a, b, c)`` row of ``queries`` among the first ``limit`` keys.

    Exploits that benchmark questions reuse few distinct words: cosines are computed once for
    the ``U`` distinct query words against a block of candidate columns (one ``U x d`` by
    ``d x block`` product), and each question's scores are combined from three of those rows.
    3CosAdd uses ``cos(x, b) - cos(x, a) + cos(x, c)``, which ranks like the cosine with the
    unit vector of ``b - a + c``; 3CosMul uses ``(cos_b + 1)(cos_c + 1) / (cos_a + 1 + 2 eps)``,
    a positive multiple of Levy & Goldberg's score. Running maxima are kept across column
    blocks (ties resolve to the lowest index, like :func:`numpy.argmax`).

    Returns the predicted row of each question and whether any candidate was left.
    """
    n_q = len(queries)
    pred = np.zeros(n_q, dtype=np.intp)
    best = np.full(n_q, -np.inf, dtype=np.float32)
    if n_q == 0 or limit == 0:
        return pred, np.zeros(n_q, dtype=bool)
    uniq, inverse = np.unique(queries, return_inverse=True)
    inverse = inverse.reshape(queries.shape)
    ia, ib, ic = inverse[:, 0], inverse[:, 1], inverse[:, 2]
    ex_rows, ex_cols = lookup.exclusions(queries)  # sorted by row
    query_vectors = normed[uniq]
    col_block = int(min(limit, max(256, _BLOCK_ELEMENTS // len(uniq))))
    row_block = max(1, _BLOCK_ELEMENTS // col_block)
    shift = np.float32(2 * COSMUL_EPS)
    for j0 in range(0, limit, col_block):
        j1 = min(limit, j0 + col_block)
        cos = query_vectors @ normed[j0:j1].T  # (U, block)
        if method == "3cosmul":
            cos += np.float32(1.0)
        in_block = (ex_cols >= j0) & (ex_cols < j1)
        blk_rows, blk_cols = ex_rows[in_block], ex_cols[in_block] - j0
        for r0 in range(0, n_q, row_block):
            r1 = min(n_q, r0 + row_block)
            if method == "3cosadd":
                scores = cos[ib[r0:r1]]
                scores -= cos[ia[r0:r1]]
                scores += cos[ic[r0:r1]]
            else:
                scores = cos[ib[r0:r1]]
                scores *= cos[ic[r0:r1]]
                denom = cos[ia[r0:r1]]
                denom += shift
                scores /= denom
                del denom
            lo, hi = np.searchsorted(blk_rows, (r0, r1))
            scores[blk_rows[lo:hi] - r0, blk_cols[lo:hi]] = -np.inf
            arg = np.argmax(scores, axis=1)
            top = scores[np.arange(r1 - r0), arg]
            better = top > best[r0:r1]
            best[r0:r1][better] = top[better]
            pred[r0:r1][better] = arg[better] + j0
    return pred, np.isfinite(best)


# --------------------------------------------------------------------------------------------
# Word-pair similarity
# --------------------------------------------------------------------------------------------


def _coerce_pairs(pairs: Iterable[Sequence[Any]]) -> list[tuple[Any, Any, float]]:
    out = []
    for i, item in enumerate(pairs):
        try:
            w1, w2, score = item
        except (TypeError, ValueError):
            raise ValueError(f"pair {i}: expected (word1, word2, score), got {item!r}") from None
        try:
            value = float(score)
        except (TypeError, ValueError):
            raise ValueError(f"pair {i}: score {score!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"pair {i}: score {value} is not finite")
        out.append((w1, w2, value))
    return out


def evaluate_word_pairs(
    embeddings: SupportsWordVectors,
    path_or_pairs: str | os.PathLike[str] | Iterable[Sequence[Any]],
    *,
    case_insensitive: bool = True,
    delimiter: str | None = "\t",
    restrict_vocab: int | None = None,
) -> SimilarityResult:
    """Correlate cosine similarity with human similarity judgements.

    Parameters
    ----------
    embeddings : Embeddings or SupportsWordVectors
        The vectors.
    path_or_pairs : str, os.PathLike or iterable of (word1, word2, score)
        A file readable by :func:`read_word_pairs`, or the pairs themselves.
    case_insensitive : bool, default True
        Match words ignoring case; each word then uses the vector of its most frequent casing.
    delimiter : str or None, default "\\t"
        Field separator of the file (``None``: any whitespace).
    restrict_vocab : int, optional
        Treat only the first ``restrict_vocab`` keys as in vocabulary.

    Returns
    -------
    SimilarityResult
        ``spearman``, ``pearson``, ``oov_ratio``, ``n_pairs``, ``n_used`` and p-values.

    Examples
    --------
    >>> from embedkit.embeddings import Embeddings
    >>> emb = Embeddings(np.array([[1, 0], [1, 0.2], [0, 1]]), ["cat", "dog", "car"])
    >>> res = evaluate_word_pairs(
    ...     emb, [("cat", "dog", 9), ("cat", "car", 2), ("dog", "car", 3), ("cat", "zzz", 1)])
    >>> res.spearman, res.n_used, res.oov_ratio
    (1.0, 3, 0.25)
    """
    if isinstance(path_or_pairs, (str, os.PathLike)):
        pairs = read_word_pairs(path_or_pairs, delimiter=delimiter)
    else:
        pairs = _coerce_pairs(path_or_pairs)
    normed = embeddings.normed_vectors
    lookup = _Lookup(embeddings, _resolve_limit(restrict_vocab, len(normed)), case_insensitive)
    left, right, gold = [], [], []
    for w1, w2, score in pairs:
        i1, i2 = lookup.get(w1), lookup.get(w2)
        if i1 is None or i2 is None:
            continue
        left.append(i1)
        right.append(i2)
        gold.append(score)
    n_pairs, n_used = len(pairs), len(gold)
    oov_ratio = (n_pairs - n_used) / n_pairs if n_pairs else math.nan
    if n_used < 2:
        return SimilarityResult(math.nan, math.nan, oov_ratio, n_pairs, n_used)
    u, v = normed[np.asarray(left)], normed[np.asarray(right)]
    model = np.einsum("ij,ij->i", u, v, dtype=np.float64)
    human = np.asarray(gold, dtype=np.float64)
    if np.ptp(model) == 0 or np.ptp(human) == 0:
        return SimilarityResult(math.nan, math.nan, oov_ratio, n_pairs, n_used)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        from scipy import stats  # imported here: scipy.stats costs ~1 s at start-up

        sp = stats.spearmanr(model, human)
        pe = stats.pearsonr(model, human)
    return SimilarityResult(
        spearman=float(sp.statistic),
        pearson=float(pe.statistic),
        oov_ratio=oov_ratio,
        n_pairs=n_pairs,
        n_used=n_used,
        spearman_pvalue=float(sp.pvalue),
        pearson_pvalue=float(pe.pvalue),
    )


# --------------------------------------------------------------------------------------------
# Analogies
# --------------------------------------------------------------------------------------------


def _accuracy(correct: int, total: int) -> float:
    return correct / total if total else math.nan


def evaluate_analogies(
    embeddings: SupportsWordVectors,
    path: str | os.PathLike[str],
    *,
    restrict_vocab: int | None = 300_000,
    case_insensitive: bool = True,
    method: str = "3cosadd",
) -> AnalogyResult:
    """Accuracy on word analogies ``a : b :: c : d`` (``questions-words.txt`` format).

    For each question the prediction is the best-scoring key among the first
    ``restrict_vocab`` keys, excluding ``a``, ``b`` and ``c`` (and, when case-insensitive, their
    other casings); it is correct if it equals ``d``. Questions with a word outside the first
    ``restrict_vocab`` keys are skipped and counted in ``n_skipped_oov``. Scoring is batched:
    cosines of the distinct question words with blocks of candidates come from one matrix
    product, and questions are scored from those in blocks of about 32 MB, so the 19,544 Google
    questions take a second or two on a 30,000-word vocabulary.

    Parameters
    ----------
    embeddings : Embeddings or SupportsWordVectors
        The vectors; keys should be ordered by descending frequency.
    path : str or os.PathLike
        The questions file.
    restrict_vocab : int or None, default 300000
        Number of leading keys used as vocabulary and candidates (``None``: all).
    case_insensitive : bool, default True
        Compare words ignoring case.
    method : {"3cosadd", "3cosmul"}, default "3cosadd"
        Scoring rule, see :func:`analogy_scores`.

    Returns
    -------
    AnalogyResult

    Examples
    --------
    >>> import os, tempfile
    >>> from embedkit.embeddings import Embeddings
    >>> p = os.path.join(tempfile.mkdtemp(), "q.txt")
    >>> _ = open(p, "w").write(": family\\nman woman king queen\\nman woman boy girl\\n")
    >>> emb = Embeddings(np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [3, 3, 3]]),
    ...                  ["man", "woman", "king", "queen", "other"])
    >>> res = evaluate_analogies(emb, p)
    >>> res.accuracy, res.n_answered, res.n_skipped_oov
    (1.0, 1, 1)
    """
    _check_method(method)
    sections = read_analogy_questions(path)
    normed = embeddings.normed_vectors
    limit = _resolve_limit(restrict_vocab, len(normed))
    lookup = _Lookup(embeddings, limit, case_insensitive)

    names = list(sections)
    quads: list[tuple[int, int, int, int]] = []
    section_of: list[int] = []
    skipped = np.zeros(len(names), dtype=np.int64)
    n_questions = 0
    for s, name in enumerate(names):
        for question in sections[name]:
            n_questions += 1
            idx = [lookup.get(w) for w in question]
            if any(i is None for i in idx):
                skipped[s] += 1
                continue
            quads.append(tuple(idx))  # type: ignore[arg-type]
            section_of.append(s)

    q = np.asarray(quads, dtype=np.intp).reshape(-1, 4)
    sec = np.asarray(section_of, dtype=np.intp)
    pred, answered = _predict_analogies(normed, q[:, :3], limit, method, lookup)
    hits = answered & lookup.same(pred, q[:, 3])

    correct = np.bincount(sec[hits], minlength=len(names)).astype(np.int64)
    total = np.bincount(sec, minlength=len(names)).astype(np.int64)
    import pandas as pd  # imported on use

    per_section = pd.DataFrame(
        {
            "section": pd.Series(names, dtype=object),
            "correct": correct,
            "total": total,
            "accuracy": [_accuracy(int(c), int(t)) for c, t in zip(correct, total, strict=True)],
            "skipped": skipped,
        }
    )
    syntactic = np.array([n.startswith("gram") for n in names], dtype=bool)
    n_correct, n_answered = int(correct.sum()), int(total.sum())
    return AnalogyResult(
        accuracy=_accuracy(n_correct, n_answered),
        semantic_accuracy=_accuracy(int(correct[~syntactic].sum()), int(total[~syntactic].sum())),
        syntactic_accuracy=_accuracy(int(correct[syntactic].sum()), int(total[syntactic].sum())),
        per_section=per_section,
        n_questions=n_questions,
        n_answered=n_answered,
        n_correct=n_correct,
        n_skipped_oov=int(skipped.sum()),
    )
