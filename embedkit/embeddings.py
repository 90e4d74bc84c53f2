"""The result of training: a plain container of key vectors with similarity queries and I/O.

:class:`Embeddings` does not depend on the training code. It holds the input ("word") vectors,
optionally the output (context) vectors and key counts, answers nearest-neighbour and analogy
queries (exactly, or through a pynndescent index: :mod:`embedkit.index`), evaluates word
similarity/analogy benchmarks, and reads/writes its own memory-mappable ``.npz`` format
(:mod:`embedkit.npzmap`) as well as the word2vec text/binary and GloVe formats (interoperable
with word2vec.c and gensim). gensim ``KeyedVectors``-style queries, editing, conversion to and
from gensim, maps and TensorBoard projector export come from :mod:`embedkit.keyed`.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable, Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from embedkit import persist as _persist
from embedkit import queries as _queries
from embedkit.eval import words as _words
from embedkit.index import ExactIndex, make_index, row_norms
from embedkit.keyed import KeyedMixin
from embedkit.persist import FORMAT_NAME, FORMAT_VERSION
from embedkit.validate import as_counts, as_keys, as_matrix, topn_count

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "Embeddings"]

PathLike = str | os.PathLike[str]
Query = Hashable | np.ndarray


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.sqrt(np.dot(vector.astype(np.float64), vector.astype(np.float64))))
    return vector / np.float32(norm) if norm > 0 else vector


def _top_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, best first (ties: lower index first)."""
    if k <= 0:
        return np.empty(0, dtype=np.intp)
    if k < scores.shape[0]:
        candidates = np.argpartition(-scores, k - 1)[:k]
    else:
        candidates = np.arange(scores.shape[0])
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order]


# --------------------------------------------------------------------------------------------
# The container
# --------------------------------------------------------------------------------------------


class Embeddings(KeyedMixin):
    """Vectors for a vocabulary of keys, with similarity queries, evaluation and persistence.

    Keys are any hashable values: words (``str``), graph nodes (``int``, ``str``, tuples, ...)
    or k-mers. Row ``i`` of :attr:`vectors` belongs to ``index_to_key[i]``; keys are normally
    ordered by descending frequency, which is what ``restrict_vocab`` arguments rely on.

    Parameters
    ----------
    vectors : array-like of shape (n_keys, dim)
        Input ("word") vectors; converted to C-contiguous float32 (not copied if already so).
    index_to_key : sequence of hashable
        Key of each row; must be unique.
    context_vectors : array-like of shape (n_keys, dim), optional
        Output (context) vectors of the same keys, if kept.
    counts : array-like of int, optional
        Training count of each key.
    check_finite : bool, default True
        Reject NaN/inf values. ``False`` skips that scan over every value (used for
        memory-mapped loads, which must not read the whole matrix).

    Attributes
    ----------
    vectors : ndarray of float32, shape (n_keys, dim)
    context_vectors : ndarray of float32 or None
    index_to_key : list
    key_to_index : dict
    counts : ndarray of int64 or None
    dim : int

    Raises
    ------
    ValueError
        If an array has the wrong shape, contains NaN/inf, or keys are duplicated.
    TypeError
        If an array is not numeric or a key is unhashable.

    Notes
    -----
    ``emb[key]`` returns the key's row of :attr:`vectors` (a view), ``emb[[k1, k2]]`` (a list or
    array of keys) a new 2-D array; a tuple is a single key (e.g. a graph node ``(u, v)``).
    Unknown keys raise :class:`KeyError` ``"'foo' is not in the vocabulary"``.

    :attr:`normed_vectors` and :attr:`norms` are computed on first use and cached. If you
    modify :attr:`vectors` in place afterwards, call ``emb.fill_norms(force=True)`` to drop the
    stale caches and any neighbour index.

    Examples
    --------
    >>> emb = Embeddings(np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]), ["a", "b", "c"])
    >>> len(emb), emb.dim, "b" in emb
    (3, 2, True)
    >>> emb["c"].tolist()
    [0.0, 1.0]
    >>> [(k, round(s, 2)) for k, s in emb.most_similar("a", topn=2)]
    [('b', 0.8), ('c', 0.0)]
    """

    def __init__(
        self,
        vectors: Any,
        index_to_key: Sequence[Hashable] | Iterable[Hashable],
        *,
        context_vectors: Any = None,
        counts: Any = None,
        check_finite: bool = True,
    ) -> None:
        keys, key_to_index = as_keys(index_to_key)
        self._vectors = as_matrix(vectors, "vectors", len(keys), check_finite)
        self._index_to_key = keys
        self._key_to_index = key_to_index
        self._context_vectors: np.ndarray | None = None
        if context_vectors is not None:
            ctx = as_matrix(context_vectors, "context_vectors", len(keys), check_finite)
            if ctx.shape != self._vectors.shape:
                raise ValueError(
                    f"context_vectors has shape {ctx.shape} but vectors has shape "
                    f"{self._vectors.shape}"
                )
            self._context_vectors = ctx
        self._counts = None if counts is None else as_counts(counts, len(keys))
        self._nn_index: Any = None

    # ---- basic container protocol ------------------------------------------------------------

    @property
    def vectors(self) -> np.ndarray:
        """Input vectors, float32 of shape ``(n_keys, dim)``."""
        return self._vectors

    @property
    def context_vectors(self) -> np.ndarray | None:
        """Output (context) vectors of the same shape as :attr:`vectors`, or ``None``."""
        return self._context_vectors

    @property
    def index_to_key(self) -> list[Hashable]:
        """Key of each row (do not modify)."""
        return self._index_to_key

    @property
    def key_to_index(self) -> dict[Hashable, int]:
        """Row of each key (do not modify)."""
        return self._key_to_index

    @property
    def counts(self) -> np.ndarray | None:
        """Count of each key (int64), or ``None``."""
        return self._counts

    @property
    def dim(self) -> int:
        """Vector dimensionality."""
        return int(self._vectors.shape[1])

    @cached_property
    def normed_vectors(self) -> np.ndarray:
        """Unit-length copy of :attr:`vectors` (all-zero rows stay zero); cached.

        Examples
        --------
        >>> emb = Embeddings(np.array([[3.0, 4.0], [0.0, 0.0]]), ["x", "y"])
        >>> emb.normed_vectors.tolist()
        [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
        """
        v = self._vectors
        norms = np.sqrt(np.einsum("ij,ij->i", v, v, dtype=np.float64))
        norms[norms == 0] = 1.0
        return np.ascontiguousarray(v / norms[:, None], dtype=np.float32)

    @cached_property
    def norms(self) -> np.ndarray:
        """Euclidean norm of each row (float32; zero rows report 1); cached.

        Queries divide by these instead of keeping a normalised copy of the matrix, so a
        memory-mapped model is never copied.

        Examples
        --------
        >>> Embeddings(np.array([[3.0, 4.0], [0.0, 0.0]]), ["x", "y"]).norms.tolist()
        [5.0, 1.0]
        """
        return row_norms(self._vectors)

    def fill_norms(self, force: bool = False) -> None:
        """Compute :attr:`norms` now; ``force=True`` recomputes after in-place edits.

        With ``force=True`` the cached :attr:`normed_vectors` and any index built by
        :meth:`build_index` are dropped too (they would be stale).

        Parameters
        ----------
        force : bool, default False

        Examples
        --------
        >>> emb = Embeddings(np.array([[1.0, 0.0]]), ["x"])
        >>> emb.vectors[0, 0] = 2.0
        >>> emb.fill_norms(force=True)
        >>> emb.norms.tolist()
        [2.0]
        """
        if force:
            self._drop_caches()
        _ = self.norms

    def _drop_caches(self) -> None:
        for name in ("norms", "normed_vectors"):
            self.__dict__.pop(name, None)
        self._nn_index = None

    def __len__(self) -> int:
        return len(self._index_to_key)

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._index_to_key)

    def __contains__(self, key: object) -> bool:
        try:
            return key in self._key_to_index
        except TypeError:
            return False

    def __getitem__(self, key: Hashable | list[Hashable] | np.ndarray) -> np.ndarray:
        if isinstance(key, np.ndarray) and key.ndim == 0:
            key = key.item()
        if isinstance(key, (list, np.ndarray)):
            keys = key.tolist() if isinstance(key, np.ndarray) else key
            return self._vectors[np.array([self._index(k) for k in keys], dtype=np.intp)]
        return self._vectors[self._index(key)]

    def __repr__(self) -> str:
        extras = ""
        if self._context_vectors is not None:
            extras += ", context_vectors=True"
        if self._counts is not None:
            extras += ", counts=True"
        return f"Embeddings(n_keys={len(self)}, dim={self.dim}{extras})"

    def _index(self, key: Any) -> int:
        try:
            return self._key_to_index[key]
        except KeyError:
            raise KeyError(f"{key!r} is not in the vocabulary") from None
        except TypeError:
            raise KeyError(
                f"{key!r} is not in the vocabulary (unhashable {type(key).__name__})"
            ) from None

    def to_frame(self) -> pd.DataFrame:
        """The vectors as a DataFrame indexed by key, with columns ``0 .. dim-1``.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> df = Embeddings(np.array([[1.0, 2.0], [3.0, 4.0]]), ["a", "b"]).to_frame()
        >>> df.shape, df.loc["b"].tolist()
        ((2, 2), [3.0, 4.0])
        """
        import pandas as pd  # imported on use: `import embedkit` does not load pandas

        index = pd.Index(self._index_to_key, name="key", tupleize_cols=False)
        return pd.DataFrame(self._vectors, index=index, columns=range(self.dim), copy=True)

    # ---- similarity queries ------------------------------------------------------------------

    def _query_vector(self, item: Any) -> tuple[np.ndarray, int | None]:
        """Unit vector of a key or raw vector, and the key's row (None for raw vectors)."""
        if isinstance(item, np.ndarray):
            vec = np.asarray(item, dtype=np.float32)
            if vec.shape != (self.dim,):
                raise ValueError(f"query vector must have shape ({self.dim},), got {vec.shape}")
            if not np.isfinite(vec).all():
                raise ValueError("query vector contains NaN or inf")
            return _unit(vec), None
        idx = self._index(item)
        return np.asarray(self._vectors[idx] / self.norms[idx], dtype=np.float32), idx

    @staticmethod
    def _as_query_list(items: Any) -> list[Any]:
        if items is None:
            return []
        if isinstance(items, np.ndarray):
            if items.ndim == 1:
                return [items]
            if items.ndim == 2:
                return list(items)
            raise ValueError(f"query vectors must be 1-D or 2-D, got shape {items.shape}")
        if isinstance(items, list):
            return items
        return [items]

    def most_similar(
        self,
        positive: Query | list[Query] | None = None,
        negative: Query | list[Query] | None = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[Hashable, float]]:
        """Keys most similar (by cosine) to the mean of positive minus negative queries.

        Each query (a key or a raw 1-D vector) is unit-normalised; the target is the mean of
        the positive unit vectors and the negated negative ones, and candidates are ranked by
        cosine with it. Query keys are excluded from the result.

        Parameters
        ----------
        positive : key, ndarray, or list of keys/ndarrays, optional
            Queries that contribute positively. A tuple is treated as a single key; raw vectors
            must be NumPy arrays.
        negative : key, ndarray, or list of keys/ndarrays, optional
            Queries that contribute negatively.
        topn : int or None, default 10
            Number of results; ``None`` returns every candidate.
        restrict_vocab : int, optional
            Only consider the first ``restrict_vocab`` keys as candidates.

        Returns
        -------
        list of (key, float)
            ``(key, cosine)`` sorted by decreasing cosine.

        Raises
        ------
        KeyError
            If a query key is not in the vocabulary.
        ValueError
            If no query is given or a raw vector has the wrong shape.

        Examples
        --------
        >>> emb = Embeddings(np.array([[1, 0], [1, 1], [0, 1], [-1, 0]]), ["a", "b", "c", "d"])
        >>> [(k, round(s, 3)) for k, s in emb.most_similar("a")]
        [('b', 0.707), ('c', 0.0), ('d', -1.0)]
        >>> [k for k, _ in emb.most_similar(positive=["c"], negative=["a"], topn=1)]
        ['d']
        """
        pos = self._as_query_list(positive)
        neg = self._as_query_list(negative)
        if not pos and not neg:
            raise ValueError("most_similar needs at least one positive or negative query")
        target = np.zeros(self.dim, dtype=np.float64)
        exclude: set[int] = set()
        for sign, items in ((1.0, pos), (-1.0, neg)):
            for item in items:
                vec, idx = self._query_vector(item)
                target += sign * vec
                if idx is not None:
                    exclude.add(idx)
        target /= len(pos) + len(neg)
        return self._ranked(_unit(target.astype(np.float32)), exclude, topn, restrict_vocab)

    def _ranked(
        self,
        target: np.ndarray,
        exclude: Iterable[int],
        topn: int | None,
        restrict_vocab: int | None,
    ) -> list[tuple[Hashable, float]]:
        limit = _words._resolve_limit(restrict_vocab, len(self))
        excluded = {i for i in exclude if i < limit}
        if topn is None:
            return self._select(_queries.cosines(self._vectors, self.norms, target, limit),
                                excluded, topn)
        k = topn_count(topn, limit - len(excluded))
        rows, scores = self._searcher().query(target[None, :], k + len(excluded), limit)
        keys = self._index_to_key
        found = [(keys[i], float(v)) for i, v in zip(rows[0], scores[0], strict=True)
                 if i not in excluded]
        return found[:k]

    def _searcher(self) -> Any:
        if self._nn_index is None:
            return ExactIndex(self._vectors, self.norms)
        return self._nn_index

    @property
    def nn_index(self) -> Any:
        """The index built by :meth:`build_index` (``None`` until then: exact search)."""
        return self._nn_index

    def build_index(self, method: str = "exact", **params: Any) -> Embeddings:
        """Build a nearest-neighbour index that :meth:`most_similar`, :meth:`similar_by_vector`
        and :meth:`search` use from now on.

        Parameters
        ----------
        method : {"exact", "pynndescent"}, default "exact"
            ``"exact"``: brute force by blocked matrix products (the default behaviour; right
            for small models and many-query workloads). ``"pynndescent"``: an approximate k-NN
            graph (``pip install 'embedkit[ann]'``), far more single queries per second on
            large models; the cosines it returns are exact, but a true neighbour may be missed.
        **params
            For ``"pynndescent"``: ``n_neighbors`` (default 30, graph degree), ``epsilon``
            (default 0.1, search breadth), ``random_state``, ``n_jobs`` and other
            :class:`pynndescent.NNDescent` options. See :mod:`embedkit.index`.

        Returns
        -------
        Embeddings
            ``self``. The index is dropped by :meth:`add_vectors` and ``fill_norms(force=True)``.

        Raises
        ------
        ImportError
            If ``method="pynndescent"`` and pynndescent is not installed (names the extra).
        ValueError
            On an unknown method.

        Examples
        --------
        >>> emb = Embeddings(np.array([[1, 0], [1, 1], [0, 1]]), ["a", "b", "c"])
        >>> emb.build_index("exact").nn_index
        ExactIndex(n=3)
        >>> emb.most_similar("a", topn=1)[0][0]
        'b'
        """
        self._nn_index = make_index(method, self._vectors, self.norms, **params)
        return self

    def search(
        self,
        queries: Any,
        topn: int = 10,
        *,
        restrict_vocab: int | None = None,
        exclude_self: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest rows of many queries at once (batched search for evaluation workloads).

        Without an index (or with ``build_index("exact")``) all queries are answered by blocked
        matrix products, which is many times faster than one :meth:`most_similar` call per
        query; with a pynndescent index the graph is searched for the whole batch.

        Parameters
        ----------
        queries : list of keys, or array-like of shape (m, dim)
            Query keys or raw vectors (vectors are normalised).
        topn : int, default 10
            Neighbours per query.
        restrict_vocab : int, optional
            Only the first ``restrict_vocab`` keys are candidates.
        exclude_self : bool, default True
            For key queries, leave the query key out of its own neighbours.

        Returns
        -------
        indices : ndarray of intp, shape (m, topn)
            Rows of the neighbours, best first (map them with :attr:`index_to_key`).
        cosines : ndarray of float32, shape (m, topn)

        Examples
        --------
        >>> emb = Embeddings(np.array([[1, 0], [1, 1], [0, 1], [-1, 0]]), list("abcd"))
        >>> rows, cos = emb.search(["a", "c"], topn=2)
        >>> [[emb.index_to_key[i] for i in r] for r in rows]
        [['b', 'c'], ['b', 'a']]
        """
        limit = _words._resolve_limit(restrict_vocab, len(self))
        if isinstance(queries, np.ndarray) and queries.dtype != object:
            mat = as_matrix(queries.reshape(1, -1) if queries.ndim == 1 else queries, "queries")
            if mat.shape[1] != self.dim:
                raise ValueError(f"queries must have {self.dim} columns, got {mat.shape[1]}")
            own = None
        else:
            rows = np.array([self._index(q) for q in queries], dtype=np.intp)
            mat, own = np.asarray(self._vectors[rows]), rows if exclude_self else None
        mat = mat / np.linalg.norm(mat, axis=1, keepdims=True).clip(min=1e-30)
        k = topn_count(topn, limit - (own is not None))
        idx, val = self._searcher().query(mat, k + (own is not None), limit)
        if own is None:
            return idx, val
        keep = idx != own[:, None]
        keep[keep.all(axis=1), -1] = False  # query row not among them: drop the last instead
        return idx[keep].reshape(len(idx), k), val[keep].reshape(len(idx), k)

    def _select(
        self, scores: np.ndarray, exclude: Iterable[int], topn: int | None
    ) -> list[tuple[Hashable, float]]:
        excluded = [i for i in set(exclude) if i < scores.shape[0]]
        if excluded:
            scores[np.asarray(excluded, dtype=np.intp)] = -np.inf
        k = topn_count(topn, scores.shape[0] - len(excluded))
        keys = self._index_to_key
        return [(keys[i], float(scores[i])) for i in _top_indices(scores, k)]

    def similar_by_vector(
        self, vector: Any, topn: int | None = 10, restrict_vocab: int | None = None
    ) -> list[tuple[Hashable, float]]:
        """Keys most similar (by cosine) to a raw vector; no key is excluded.

        Parameters
        ----------
        vector : array-like of shape (dim,)
            The query vector.
        topn : int or None, default 10
            Number of results; ``None`` returns all keys.
        restrict_vocab : int, optional
            Only consider the first ``restrict_vocab`` keys.

        Returns
        -------
        list of (key, float)

        Examples
        --------
        >>> emb = Embeddings(np.array([[1, 0], [0, 1]]), ["x", "y"])
        >>> emb.similar_by_vector([2.0, 0.1], topn=1)[0][0]
        'x'
        """
        vec = np.asarray(vector, dtype=np.float32)
        return self.most_similar(positive=[vec], topn=topn, restrict_vocab=restrict_vocab)

    def similarity(self, a: Query, b: Query) -> float:
        """Cosine similarity between two keys (or raw vectors).

        Parameters
        ----------
        a, b : key or ndarray
            Keys, or NumPy vectors of length :attr:`dim`.

        Returns
        -------
        float
            Cosine in ``[-1, 1]`` (0 if either vector is zero).

        Examples
        --------
        >>> emb = Embeddings(np.array([[1, 0], [1, 1]]), ["x", "y"])
        >>> round(emb.similarity("x", "y"), 4)
        0.7071
        """
        u, _ = self._query_vector(a)
        v, _ = self._query_vector(b)
        return float(np.dot(u.astype(np.float64), v.astype(np.float64)))

    def distance(self, a: Query, b: Query) -> float:
        """Cosine distance ``1 - similarity(a, b)``.

        Parameters
        ----------
        a, b : key or ndarray
            Keys, or NumPy vectors of length :attr:`dim`.

        Returns
        -------
        float
            In ``[0, 2]``.

        Examples
        --------
        >>> emb = Embeddings(np.array([[1, 0], [-1, 0]]), ["x", "y"])
        >>> emb.distance("x", "y")
        2.0
        """
        return 1.0 - self.similarity(a, b)

    def analogy(
        self,
        a: Hashable,
        b: Hashable,
        c: Hashable,
        method: str = "3cosadd",
        topn: int | None = 1,
        restrict_vocab: int | None = None,
    ) -> list[tuple[Hashable, float]]:
        """Solve ``a : b :: c : ?`` (e.g. *man : king :: woman : queen*).

        Parameters
        ----------
        a, b, c : key
            The query keys; they are excluded from the answers.
        method : {"3cosadd", "3cosmul"}, default "3cosadd"
            ``"3cosadd"`` ranks by cosine with the unit vector of ``b - a + c`` (the same
            ranking and scores as ``most_similar(positive=[b, c], negative=[a])``).
            ``"3cosmul"`` (Levy & Goldberg 2014) ranks by
            ``cos'(x, b) * cos'(x, c) / (cos'(x, a) + 0.001)`` with ``cos' = (cos + 1) / 2``.
        topn : int or None, default 1
            Number of answers; ``None`` returns every candidate.
        restrict_vocab : int, optional
            Only consider the first ``restrict_vocab`` keys as answers.

        Returns
        -------
        list of (key, float)
            ``topn`` answers with their scores, best first.

        Examples
        --------
        >>> emb = Embeddings(np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1]]),
        ...                  ["man", "king", "woman", "queen"])
        >>> emb.analogy("man", "king", "woman")[0][0]
        'queen'
        """
        ia, ib, ic = self._index(a), self._index(b), self._index(c)
        limit = _words._resolve_limit(restrict_vocab, len(self))
        scores = _words.analogy_scores(
            self.normed_vectors, [ia], [ib], [ic], method=method, limit=limit
        )[0]
        return self._select(scores, (ia, ib, ic), topn)

    # ---- evaluation --------------------------------------------------------------------------

    def evaluate_word_pairs(
        self,
        path_or_pairs: PathLike | Iterable[Sequence[Any]],
        *,
        case_insensitive: bool = True,
        delimiter: str | None = "\t",
        restrict_vocab: int | None = None,
    ) -> _words.SimilarityResult:
        """Correlate cosine similarities with human scores.

        See :func:`embedkit.eval.words.evaluate_word_pairs` for details.

        Parameters
        ----------
        path_or_pairs : str, os.PathLike or iterable of (word1, word2, score)
            A ``word1<TAB>word2<TAB>score`` file (``#`` comments and one header line allowed)
            or the pairs themselves.
        case_insensitive : bool, default True
            Match words ignoring case.
        delimiter : str or None, default "\\t"
            Field separator of the file (``None``: any whitespace).
        restrict_vocab : int, optional
            Treat only the first ``restrict_vocab`` keys as in vocabulary.

        Returns
        -------
        SimilarityResult
            With ``spearman``, ``pearson``, ``oov_ratio``, ``n_pairs`` and ``n_used``.

        Examples
        --------
        >>> emb = Embeddings(np.array([[1, 0], [1, 0.5], [0, 1]]), ["x", "y", "z"])
        >>> emb.evaluate_word_pairs([("x", "y", 5), ("x", "z", 1), ("y", "z", 4)]).spearman
        1.0
        """
        return _words.evaluate_word_pairs(
            self,
            path_or_pairs,
            case_insensitive=case_insensitive,
            delimiter=delimiter,
            restrict_vocab=restrict_vocab,
        )

    def evaluate_analogies(
        self,
        path: PathLike,
        *,
        restrict_vocab: int | None = 300_000,
        case_insensitive: bool = True,
        method: str = "3cosadd",
    ) -> _words.AnalogyResult:
        """Analogy accuracy on a ``questions-words.txt``-style file.

        See :func:`embedkit.eval.words.evaluate_analogies` for details.

        Parameters
        ----------
        path : str or os.PathLike
            The questions file (``: section`` headers, then ``a b c d`` lines).
        restrict_vocab : int or None, default 300000
            Leading keys used as vocabulary and answer candidates; questions with other words
            are skipped.
        case_insensitive : bool, default True
            Compare words ignoring case.
        method : {"3cosadd", "3cosmul"}, default "3cosadd"
            Scoring rule.

        Returns
        -------
        AnalogyResult
            With ``accuracy``, ``semantic_accuracy``, ``syntactic_accuracy``, ``per_section``,
            ``n_questions`` and ``n_skipped_oov``.

        Examples
        --------
        >>> import os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "q.txt")
        >>> _ = open(p, "w").write(": gram-test\\nman king woman queen\\n")
        >>> emb = Embeddings(np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1]]),
        ...                  ["man", "king", "woman", "queen"])
        >>> emb.evaluate_analogies(p).syntactic_accuracy
        1.0
        """
        return _words.evaluate_analogies(
            self,
            path,
            restrict_vocab=restrict_vocab,
            case_insensitive=case_insensitive,
            method=method,
        )

    # ---- native persistence ------------------------------------------------------------------

    def save(self, path: PathLike) -> None:
        """Save to a single uncompressed ``.npz`` file, atomically.

        The archive holds ``vectors`` (and ``context_vectors``/``counts`` if present), the keys
        as JSON and a JSON metadata record (format name and version, ``n_keys``, ``dim`` and
        the key type: ``"str"``, ``"int"`` or ``"json"`` for mixed/tuple keys, so that e.g.
        integer node ids load back as ``int``). Nothing is pickled. The file is written to
        ``path`` exactly (no suffix is added).

        **Layout (mappable).** The file is an ordinary zip archive of ``.npy`` members
        (``meta``, ``keys``, ``vectors``, optionally ``context_vectors`` and ``counts``) as
        :func:`numpy.savez` writes it, every member *stored* (uncompressed), and each array's
        data starts on a 64-byte boundary of the file (the zip local header is padded with an
        extra field). So ``Embeddings.load(path, mmap=True)`` can map the matrices in place
        and ``limit=`` reads only the leading rows; ``numpy.load`` still reads the file. Files
        written by earlier versions (stored but unaligned) load and map as well.

        Parameters
        ----------
        path : str or os.PathLike
            Destination file; replaced atomically.

        Raises
        ------
        TypeError
            If a key cannot be represented (keys must be str, int, float, bool, None or
            tuples of these).

        Examples
        --------
        >>> import os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "emb.npz")
        >>> Embeddings(np.eye(2), [10, 20]).save(p)
        >>> Embeddings.load(p).index_to_key
        [10, 20]
        """
        _persist.save_npz(self, path)

    @classmethod
    def load(cls, path: PathLike, mmap: bool = False, limit: int | None = None) -> Embeddings:
        """Load a file written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
            The ``.npz`` file.
        mmap : bool, default False
            Map :attr:`vectors` (and :attr:`context_vectors`) read-only from the file instead of
            reading them: a multi-gigabyte model opens in the time it takes to read its keys,
            pages are read on first use, and processes mapping the same file share them.
            Writing to the mapped arrays raises ``ValueError``; the scan for NaN/inf values is
            skipped. Keep the file in place while the object is in use. Neighbour queries
            and :meth:`search` work on the mapped matrix; :meth:`analogy`, the evaluations and
            :attr:`normed_vectors` build a normalised in-memory copy on first use.
        limit : int, optional
            Load only the first ``limit`` keys (the most frequent ones); only their rows are
            read from disk.

        Returns
        -------
        Embeddings

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is truncated, corrupt, not an embedkit file, or of a newer format
            version; the message names the file.

        Examples
        --------
        >>> import os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "emb.npz")
        >>> Embeddings(np.ones((1, 3)), ["w"], counts=[7]).save(p)
        >>> emb = Embeddings.load(p)
        >>> emb.index_to_key, emb.counts.tolist(), emb.vectors.dtype
        (['w'], [7], dtype('float32'))
        >>> Embeddings.load(p, mmap=True).vectors.flags.writeable
        False
        """
        return _persist.load_npz(path, cls, mmap=mmap, limit=limit)

    @classmethod
    def _from_npz(cls, data: Any, name: str) -> Embeddings:
        return _persist.from_npz(data, name, cls)

    # ---- word2vec formats --------------------------------------------------------------------

    def save_word2vec_format(
        self, path: PathLike, binary: bool = False, write_header: bool = True
    ) -> None:
        """Write the vectors in the word2vec text or binary format (or GloVe's), atomically.

        Text: a header ``"<n_keys> <dim>"`` then one line per key, ``key v1 ... vd``, with
        values printed with 9 significant digits (float32 values round-trip exactly). Binary:
        the same header, then per key the UTF-8 key, a space, ``dim`` little-endian float32
        values and a newline, as word2vec.c writes. A path ending in ``.gz`` is gzip-compressed.
        Non-string keys are written with :func:`str`.

        Parameters
        ----------
        path : str or os.PathLike
            Destination file; replaced atomically.
        binary : bool, default False
            Write the binary format.
        write_header : bool, default True
            ``False`` leaves out the ``"<n_keys> <dim>"`` line: the GloVe text format.

        Raises
        ------
        ValueError
            If a key is empty or contains whitespace, or two keys have the same string form.

        Examples
        --------
        >>> import os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "vec.txt")
        >>> Embeddings(np.array([[0.5, -1.0]]), ["hi"]).save_word2vec_format(p)
        >>> open(p).read()
        '1 2\\nhi 0.5 -1\\n'
        """
        _persist.save_word2vec_format(self, path, binary, write_header)

    @classmethod
    def load_word2vec_format(
        cls,
        path: PathLike,
        binary: bool | None = None,
        limit: int | None = None,
        encoding: str = "utf-8",
        unicode_errors: str = "strict",
        no_header: bool | None = None,
    ) -> Embeddings:
        """Read a word2vec text or binary file, or a GloVe text file (plain or gzip-compressed).

        Parameters
        ----------
        path : str or os.PathLike
            The file. Gzip compression is detected from its content.
        binary : bool or None, default None
            Format; ``None`` detects it from the first record.
        limit : int, optional
            Read only the first ``limit`` vectors.
        encoding : str, default "utf-8"
            Encoding of the keys.
        unicode_errors : str, default "strict"
            Decoding error handler for keys (e.g. ``"replace"`` or ``"ignore"``).
        no_header : bool or None, default None
            ``True``: the file has no ``"<n_keys> <dim>"`` line (GloVe; the dimension is taken
            from the first row). ``None`` detects it: a first line that is a key followed by
            two or more numbers means no header. Pass ``True`` for 1-dimensional GloVe files.

        Returns
        -------
        Embeddings
            With ``str`` keys in file order; no counts or context vectors.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            On a malformed header, a line with the wrong number of values, a truncated binary
            file, undecodable keys, duplicate keys or non-finite values; the message names
            the file.

        Examples
        --------
        >>> import os, tempfile
        >>> p = os.path.join(tempfile.mkdtemp(), "vec.txt")
        >>> _ = open(p, "w").write("2 3\\ncat 1 0 0\\ndog 0 1 0.5\\n")
        >>> emb = Embeddings.load_word2vec_format(p)
        >>> emb.index_to_key, emb["dog"].tolist()
        (['cat', 'dog'], [0.0, 1.0, 0.5])
        >>> _ = open(p, "w").write("cat 1 0 0\\ndog 0 1 0.5\\n")  # GloVe: no header line
        >>> Embeddings.load_word2vec_format(p).index_to_key
        ['cat', 'dog']
        """
        return _persist.load_word2vec_format(
            path, binary, limit, encoding, unicode_errors, cls=cls, no_header=no_header
        )
