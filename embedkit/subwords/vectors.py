"""Word vectors with subword (character n-gram) rows: every word gets a vector.

:class:`SubwordEmbeddings` is an :class:`~embedkit.Embeddings` whose rows are the trained words'
vectors (the mean of the word row and its n-gram rows, as fastText reports them), plus the
n-gram bucket matrix. A word not in the vocabulary gets the mean of its n-gram rows; a word
none of whose n-grams exist (``maxn == 0`` or no buckets) raises ``KeyError``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from embedkit._io import atomic_write
from embedkit.embeddings import Embeddings
from embedkit.subwords.hashing import ngram_rows

__all__ = ["SubwordEmbeddings", "word_vectors", "word_rows", "init_word_rows", "is_subword_npz"]

_FORMAT = "embedkit-subwords"
_GATHER = 1 << 16  # rows gathered at a time when averaging (26 MB at dim 100)


def word_vectors(W: np.ndarray, indptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per token, the mean of its rows of ``W`` (``rows[indptr[t]:indptr[t + 1]]``).

    One sparse product ``M @ W`` with ``M[t, rows] = 1 / count``: no temporary copy of the
    gathered rows (``np.add.at`` over them took 2 s for 33k words with 500k buckets; this is
    0.2 s). Sums are float32, ~18 terms a word.
    """
    from scipy.sparse import csr_matrix

    n = indptr.size - 1
    counts = np.diff(indptr)
    weights = np.repeat((1.0 / np.maximum(counts, 1)).astype(np.float32), counts)
    M = csr_matrix((weights, np.asarray(rows), np.asarray(indptr)), shape=(n, W.shape[0]))
    return np.ascontiguousarray(M @ W, dtype=np.float32)


def word_rows(vectors: np.ndarray, ngram_vectors: np.ndarray, indptr: np.ndarray,
              rows: np.ndarray) -> np.ndarray:
    """The words' own input rows back from their vectors: the inverse of :func:`word_vectors`.

    Token t's vector is the mean of ``W[rows[indptr[t]:indptr[t + 1]]]`` with its own row
    ``t`` first and n-gram rows ``n + bucket`` after; its own row is then ``count * vector``
    minus its n-gram rows (in float64; exact up to float32 rounding).
    """
    n = indptr.size - 1
    counts = np.diff(indptr)
    owner = np.repeat(np.arange(n), counts)
    ng = np.flatnonzero(rows >= n)
    out = vectors.astype(np.float64) * counts[:, None]
    for a in range(0, ng.size, _GATHER):
        p = ng[a:a + _GATHER]
        np.subtract.at(out, owner[p], ngram_vectors[rows[p] - n].astype(np.float64))
    return out.astype(np.float32)


def init_word_rows(W: np.ndarray, indptr: np.ndarray, rows: np.ndarray, ids: np.ndarray,
                   vectors: np.ndarray) -> np.ndarray:
    """Own rows for tokens ``ids`` that make their vectors (row means) equal ``vectors``.

    Token t's own row is ``rows[indptr[t]]`` (= t); with the other rows of ``W`` as they are,
    it must be ``count_t * vector_t`` minus the sum of its n-gram rows.
    """
    counts = np.diff(indptr)[ids]
    out = vectors.astype(np.float64) * counts[:, None]
    starts = indptr[ids] + 1  # skip the own row
    owner = np.repeat(np.arange(ids.size), counts - 1)
    pos = np.repeat(starts - np.cumsum(counts - 1) + (counts - 1), counts - 1) + np.arange(
        owner.size)
    for a in range(0, pos.size, _GATHER):
        p = pos[a:a + _GATHER]
        np.subtract.at(out, owner[a:a + _GATHER], W[rows[p]].astype(np.float64))
    return out.astype(np.float32)


def is_subword_npz(path: os.PathLike | str) -> bool:
    """Is ``path`` an ``.npz`` written by :meth:`SubwordEmbeddings.save`?"""
    try:
        with np.load(path, allow_pickle=False) as z:
            return "ngram_vectors" in z.files and json.loads(str(z["meta"])).get(
                "format") == _FORMAT
    except (OSError, ValueError, KeyError):
        return False


class SubwordEmbeddings(Embeddings):
    """Word vectors plus n-gram bucket vectors (fastText's model of a word).

    Parameters
    ----------
    vectors : array (n_words, dim)
        The words' vectors (word row and n-gram rows averaged).
    index_to_key : sequence of str
        The words.
    ngram_vectors : array (buckets, dim)
        The n-gram bucket rows.
    minn, maxn : int
        N-gram lengths in characters.
    context_vectors, counts : optional
        As :class:`~embedkit.Embeddings`.

    Notes
    -----
    ``emb["word"]``, :meth:`most_similar`, :meth:`similarity` and the other queries accept
    unseen words (answered from their n-grams). :meth:`save_word2vec_format` writes only the
    word vectors: the n-grams are lost there; :meth:`save` keeps them.
    """

    def __init__(self, vectors: Any, index_to_key: Sequence[Hashable], *, ngram_vectors: Any,
                 minn: int, maxn: int, context_vectors: Any = None, counts: Any = None) -> None:
        super().__init__(vectors, index_to_key, context_vectors=context_vectors, counts=counts)
        ngv = np.ascontiguousarray(ngram_vectors, dtype=np.float32)
        if ngv.ndim != 2 or (ngv.shape[0] and ngv.shape[1] != self.dim):
            raise ValueError(f"ngram_vectors must have shape (buckets, {self.dim}), "
                             f"got {ngv.shape}")
        self.ngram_vectors = ngv
        self.minn = int(minn)
        self.maxn = int(maxn)

    @property
    def buckets(self) -> int:
        """Number of n-gram rows."""
        return int(self.ngram_vectors.shape[0])

    def __repr__(self) -> str:
        return (f"SubwordEmbeddings(n_keys={len(self)}, dim={self.dim}, buckets={self.buckets}, "
                f"minn={self.minn}, maxn={self.maxn})")

    def ngram_buckets(self, word: str) -> np.ndarray:
        """The bucket rows of ``word``'s n-grams (fastText hash)."""
        return ngram_rows(str(word), self.minn, self.maxn, self.buckets)

    def oov_vector(self, word: str) -> np.ndarray:
        """The vector of a word from its n-grams alone (mean of its n-gram rows).

        Raises
        ------
        KeyError
            If ``word`` has no n-gram (e.g. ``maxn == 0`` or no buckets).
        """
        if not isinstance(word, str):
            raise KeyError(f"{word!r} is not in the vocabulary (not a string: no n-grams)")
        rows = self.ngram_buckets(word)
        if rows.size == 0:
            raise KeyError(f"{word!r} is not in the vocabulary and has no character n-grams "
                           f"of length {self.minn}..{self.maxn}")
        return self.ngram_vectors[rows].mean(axis=0, dtype=np.float64).astype(np.float32)

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, list):
            return np.stack([self[k] for k in key]) if key else np.zeros((0, self.dim),
                                                                         np.float32)
        if isinstance(key, str) and key not in self:
            return self.oov_vector(key)
        return super().__getitem__(key)

    def _query_vector(self, item: Any) -> tuple[np.ndarray, int | None]:
        if isinstance(item, str) and item not in self:
            vec = self.oov_vector(item)
            norm = float(np.linalg.norm(vec))
            return (vec / norm if norm > 0 else vec).astype(np.float32), None
        return super()._query_vector(item)

    def evaluate_word_pairs(self, path_or_pairs, *, case_insensitive: bool = True,
                            delimiter: str | None = "\t", restrict_vocab: int | None = None):
        """Spearman of cosine vs human scores, answering unseen words from their n-grams.

        Returns a :class:`~embedkit.eval.words.SimilarityResult`-like record from
        :meth:`Embeddings.evaluate_word_pairs` on a view that holds every word of the pairs;
        its ``n_from_ngrams`` attribute says how many pairs needed n-grams.
        """
        from embedkit.eval.words import read_word_pairs

        if isinstance(path_or_pairs, (str, os.PathLike)):
            pairs = read_word_pairs(path_or_pairs, delimiter=delimiter)
        else:
            pairs = [(str(a), str(b), float(s)) for a, b, s in path_or_pairs]
        fold = str.lower if case_insensitive else (lambda s: s)
        known = {fold(k) for k in self.index_to_key[:restrict_vocab]}
        extra: list[str] = []
        n_ngram = 0
        for a, b, _score in pairs:
            missing = [w for w in (fold(a), fold(b)) if w not in known]
            if missing:
                n_ngram += 1
            extra += [w for w in missing if self.ngram_buckets(w).size]
        extra = sorted(set(extra))
        keys = list(self.index_to_key[:restrict_vocab]) + extra
        vecs = np.vstack([self.vectors[:len(keys) - len(extra)]]
                         + [self.oov_vector(w)[None] for w in extra])
        result = Embeddings(vecs, keys).evaluate_word_pairs(
            pairs, case_insensitive=case_insensitive, delimiter=delimiter)
        object.__setattr__(result, "n_from_ngrams", n_ngram)
        return result

    def save(self, path: os.PathLike | str) -> None:
        """Save words, word vectors and n-gram rows to one ``.npz`` (atomic; no pickle)."""
        meta = {"format": _FORMAT, "version": 1, "minn": self.minn, "maxn": self.maxn}
        arrays = {"meta": np.array(json.dumps(meta)),
                  "keys": np.array(json.dumps([str(k) for k in self.index_to_key])),
                  "vectors": self.vectors, "ngram_vectors": self.ngram_vectors}
        if self.context_vectors is not None:
            arrays["context_vectors"] = self.context_vectors
        if self.counts is not None:
            arrays["counts"] = self.counts
        with atomic_write(path, "wb") as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, path: os.PathLike | str, mmap: bool = False,
             limit: int | None = None) -> SubwordEmbeddings:
        """Load a file written by :meth:`save` (``mmap`` and ``limit`` are not supported)."""
        if mmap or limit is not None:
            raise ValueError("SubwordEmbeddings.load supports neither mmap nor limit")
        with np.load(path, allow_pickle=False) as z:
            try:
                meta = json.loads(str(z["meta"]))
                if meta.get("format") != _FORMAT:
                    raise ValueError(f"{os.fspath(path)!r} is not a subword embeddings file "
                                     f"(format {meta.get('format')!r})")
                keys = json.loads(str(z["keys"]))
                return cls(z["vectors"], keys, ngram_vectors=z["ngram_vectors"],
                           minn=meta["minn"], maxn=meta["maxn"],
                           context_vectors=z["context_vectors"] if "context_vectors" in z
                           else None,
                           counts=z["counts"] if "counts" in z else None)
            except KeyError as exc:
                raise ValueError(f"{os.fspath(path)!r} lacks {exc}: not a subword embeddings "
                                 "file") from None
