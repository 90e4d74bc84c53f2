"""gensim ``KeyedVectors``-style queries, editing, conversion and pictures for
:class:`~embedkit.embeddings.Embeddings` (a mixin: the class keeps one public face, the code
lives here).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from embedkit import interop as _interop
from embedkit import plot as _plot
from embedkit import projector as _projector
from embedkit import queries as _queries
from embedkit.eval import words as _words
from embedkit.validate import as_counts, as_keys, as_matrix

__all__ = ["KeyedMixin"]

PathLike = str | os.PathLike[str]
Query = Hashable | np.ndarray


def _aligned_labels(labels: Any, n: int) -> list[Any]:
    out = list(labels)[:n]
    if len(out) != n:
        raise ValueError(f"labels has {len(out)} entries for {n} keys")
    return out


def _merge_rows(
    old: np.ndarray, new: np.ndarray, src: np.ndarray, dst: np.ndarray, fresh: np.ndarray
) -> np.ndarray:
    """``old`` with rows ``dst`` replaced by ``new[src]`` and ``new[fresh]`` appended (a copy)."""
    out = np.concatenate([old, new[fresh]]) if fresh.size else np.array(old, copy=True)
    out[dst] = new[src]
    return out


class KeyedMixin:
    """Methods of :class:`~embedkit.embeddings.Embeddings` beyond the core container."""

    _vectors: np.ndarray
    _context_vectors: np.ndarray | None
    _counts: np.ndarray | None
    _index_to_key: list[Hashable]
    _key_to_index: dict[Hashable, int]
    norms: np.ndarray

    def most_similar_cosmul(
        self,
        positive: Query | list[Query] | None = None,
        negative: Query | list[Query] | None = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
        epsilon: float = 1e-3,
    ) -> list[tuple[Hashable, float]]:
        """Keys ranked by the multiplicative combination of similarities (3CosMul generalised).

        Levy & Goldberg (2014): ``prod_p cos'(x, p) / (prod_n cos'(x, n) + epsilon)`` with
        ``cos' = (cos + 1) / 2``, over any number of positive and negative queries; query keys
        are excluded. With ``positive=[b, c], negative=[a]`` it ranks like
        ``analogy(a, b, c, method="3cosmul")``. Always exact (no index).

        Parameters
        ----------
        positive, negative : key, ndarray, or list of keys/ndarrays, optional
            As in :meth:`most_similar` (raw vectors are normalised).
        topn : int or None, default 10
            Number of results; ``None`` returns every candidate.
        restrict_vocab : int, optional
            Only consider the first ``restrict_vocab`` keys.
        epsilon : float, default 0.001
            Added to the denominator (Levy & Goldberg use 0.001; gensim uses 1e-6).

        Returns
        -------
        list of (key, float)
            ``(key, score)`` by decreasing score.

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> emb = Embeddings(np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1]]),
        ...                  ["man", "king", "woman", "queen"])
        >>> emb.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=1)[0][0]
        'queen'
        """
        pos, neg = self._as_query_list(positive), self._as_query_list(negative)
        if not pos and not neg:
            raise ValueError("most_similar_cosmul needs at least one positive or negative query")
        if not (isinstance(epsilon, (int, float)) and epsilon > 0):
            raise ValueError(f"epsilon must be a positive number, got {epsilon!r}")
        resolved = [[self._query_vector(q) for q in items] for items in (pos, neg)]
        limit = _words._resolve_limit(restrict_vocab, len(self))
        scores = _queries.cosmul_scores(
            self._vectors, self.norms, [v for v, _ in resolved[0]], [v for v, _ in resolved[1]],
            limit, float(epsilon),
        )
        exclude = {i for part in resolved for _, i in part if i is not None}
        return self._select(scores, exclude, topn)

    def similar_by_key(
        self, key: Hashable, topn: int | None = 10, restrict_vocab: int | None = None
    ) -> list[tuple[Hashable, float]]:
        """Keys most similar to ``key`` (``most_similar([key])``; also ``similar_by_word``).

        Parameters
        ----------
        key : key
            The query key (excluded from the result).
        topn : int or None, default 10
        restrict_vocab : int, optional

        Returns
        -------
        list of (key, float)

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> emb = Embeddings(np.array([[1, 0], [1, 1], [0, 1]]), ["a", "b", "c"])
        >>> emb.similar_by_key("c", topn=1)[0][0]
        'b'
        """
        return self.most_similar([key], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_word = similar_by_key

    def get_mean_vector(
        self,
        keys: Sequence[Query],
        weights: Any = None,
        pre_normalize: bool = True,
        post_normalize: bool = False,
        ignore_missing: bool = True,
    ) -> np.ndarray:
        """Weighted mean of key vectors: ``sum(w_i v_i) / sum(|w_i|)`` (as gensim's).

        Parameters
        ----------
        keys : sequence of keys or ndarrays
            Keys (raw vectors are used as given, never normalised).
        weights : array-like of float, optional
            One weight per key (default all 1; negative weights subtract).
        pre_normalize : bool, default True
            Use unit-length key vectors.
        post_normalize : bool, default False
            Scale the result to unit length.
        ignore_missing : bool, default True
            Skip unknown keys; ``False`` raises :class:`KeyError`.

        Returns
        -------
        ndarray of float32, shape (dim,)

        Raises
        ------
        ValueError
            If ``keys`` is empty, no key is known, or ``weights`` has the wrong length.

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> emb = Embeddings(np.array([[2, 0], [0, 4]]), ["x", "y"])
        >>> emb.get_mean_vector(["x", "y"]).tolist()
        [0.5, 0.5]
        >>> emb.get_mean_vector(["x", "y"], weights=[3, 1], pre_normalize=False).tolist()
        [1.5, 1.0]
        """
        items = self._as_query_list(keys)
        if isinstance(keys, (str, tuple)) or not items:
            raise ValueError("get_mean_vector needs a non-empty list of keys")
        w = np.ones(len(items)) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (len(items),) or not np.isfinite(w).all():
            raise ValueError(f"weights must be {len(items)} finite numbers, got shape {w.shape}")
        rows, used = [], []
        for weight, item in zip(w, items, strict=True):
            if isinstance(item, np.ndarray):
                self._query_vector(item)  # validates the shape and values
                rows.append(np.asarray(item, dtype=np.float32))
            elif item in self or not ignore_missing:
                row = self._index(item)
                rows.append(self._vectors[row] / (self.norms[row] if pre_normalize else 1))
            else:
                continue
            used.append(weight)
        if not rows:
            raise ValueError("none of the keys is in the vocabulary")
        return _queries.weighted_mean(rows, np.asarray(used), post_normalize)

    def doesnt_match(self, keys: Sequence[Hashable]) -> Hashable:
        """The key that fits least: lowest cosine with the normalised mean of the unit vectors.

        Unknown keys are ignored with a warning, as gensim does.

        Parameters
        ----------
        keys : sequence of keys

        Returns
        -------
        key

        Raises
        ------
        ValueError
            If none of the keys is in the vocabulary.

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> emb = Embeddings(np.array([[1, 0], [0.9, 0.2], [0.8, 0.1], [0, 1]]), list("abcz"))
        >>> emb.doesnt_match(["a", "b", "c", "z"])
        'z'
        """
        if isinstance(keys, (str, tuple)):
            raise TypeError("doesnt_match needs a list of keys, not a single key")
        used = [k for k in keys if k in self]
        if len(used) < len(list(keys)):
            warnings.warn(f"ignoring keys not in the vocabulary: "
                          f"{[k for k in keys if k not in self]}", stacklevel=2)
        if not used:
            raise ValueError("doesnt_match: none of the keys is in the vocabulary")
        rows = np.array([self._index(k) for k in used], dtype=np.intp)
        unit = np.asarray(self._vectors[rows]) / self.norms[rows][:, None]
        return used[_queries.odd_one_out(unit)]

    def n_similarity(self, keys1: Sequence[Hashable], keys2: Sequence[Hashable]) -> float:
        """Cosine between the mean vectors of two sets of keys.

        Parameters
        ----------
        keys1, keys2 : sequence of keys
            Non-empty; every key must be known.

        Returns
        -------
        float

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> emb = Embeddings(np.array([[1, 0], [1, 2], [0, 1]]), ["a", "b", "c"])
        >>> round(emb.n_similarity(["a", "b"], ["b", "c"]), 4)
        0.8944
        """
        if not len(keys1) or not len(keys2):
            raise ValueError("n_similarity needs at least one key on each side")
        means = [np.asarray(self[list(ks)], dtype=np.float64).mean(axis=0) for ks in (keys1, keys2)]
        return float(_queries.unit(means[0]).astype(np.float64) @ _queries.unit(means[1]))

    def closer_than(self, key1: Hashable, key2: Hashable) -> list[Hashable]:
        """Keys closer to ``key1`` (by cosine) than ``key2`` is, in vocabulary order.

        Parameters
        ----------
        key1, key2 : key

        Returns
        -------
        list of keys
            ``key1`` itself is never included.

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> emb = Embeddings(np.array([[1, 0], [0.9, 0.1], [0.5, 0.5], [0, 1]]), list("abcd"))
        >>> emb.closer_than("a", "c")
        ['b']
        """
        rows = _queries.closer_rows(self._vectors, self.norms, self._index(key1),
                                    self._index(key2))
        return [self._index_to_key[i] for i in rows]

    def rank(self, key1: Hashable, key2: Hashable) -> int:
        """Rank of ``key2`` among the neighbours of ``key1`` (1 = nearest).

        Parameters
        ----------
        key1, key2 : key

        Returns
        -------
        int
            ``len(closer_than(key1, key2)) + 1``.

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> emb = Embeddings(np.array([[1, 0], [0.9, 0.1], [0.5, 0.5], [0, 1]]), list("abcd"))
        >>> emb.rank("a", "c")
        2
        """
        return len(self.closer_than(key1, key2)) + 1

    # ---- editing, subsets and gensim ---------------------------------------------------------

    def add_vectors(
        self,
        keys: Hashable | Sequence[Hashable],
        vectors: Any,
        replace: bool = False,
        *,
        counts: Any = None,
        context_vectors: Any = None,
    ) -> None:
        """Append vectors for new keys and, with ``replace=True``, overwrite known ones (in place).

        As gensim's ``KeyedVectors.add_vectors``: keys already present keep their vectors unless
        ``replace=True``. New rows get count 0 and zero context vectors unless given. The
        matrix is rebuilt (a memory-mapped model becomes an in-memory one), and cached norms and
        any index are dropped.

        Parameters
        ----------
        keys : key or sequence of keys
            A single key (then ``vectors`` may be 1-D) or a list of unique keys.
        vectors : array-like of shape (len(keys), dim)
        replace : bool, default False
            Overwrite the vectors (and counts/context vectors, if given) of known keys.
        counts, context_vectors : array-like, optional
            For the given keys, when this object keeps counts / context vectors.

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> emb = Embeddings(np.array([[1.0, 0.0]]), ["a"])
        >>> emb.add_vectors(["a", "b"], [[5.0, 5.0], [0.0, 1.0]])
        >>> emb.index_to_key, emb["a"].tolist()
        (['a', 'b'], [1.0, 0.0])
        >>> emb.add_vectors("a", [2.0, 2.0], replace=True)
        >>> emb["a"].tolist()
        [2.0, 2.0]
        """
        single = not isinstance(keys, (list, np.ndarray, range)) and not (
            isinstance(keys, Sequence) and not isinstance(keys, (str, bytes, tuple)))
        key_list, _ = as_keys([keys] if single else keys)
        raw = np.asarray(vectors)
        new = as_matrix(raw.reshape(1, -1) if single and raw.ndim == 1 else raw, "vectors",
                         len(key_list))
        if new.shape[1] != self.dim:
            raise ValueError(f"vectors have {new.shape[1]} dimensions, expected {self.dim}")
        extra = {"counts": None if counts is None else as_counts(
            np.atleast_1d(counts), len(key_list))}
        if context_vectors is not None:
            extra["context"] = as_matrix(context_vectors, "context_vectors", len(key_list))
        known = [(j, self._key_to_index[k]) for j, k in enumerate(key_list) if k in self]
        fresh = [j for j, k in enumerate(key_list) if k not in self]
        if known and replace:
            src, dst = (np.array(x, dtype=np.intp) for x in zip(*known, strict=True))
        else:
            src = dst = np.empty(0, dtype=np.intp)
        fresh_rows = np.array(fresh, dtype=np.intp)
        self._vectors = _merge_rows(self._vectors, new, src, dst, fresh_rows)
        if self._context_vectors is not None:
            ctx = extra.get("context", np.zeros_like(new))
            self._context_vectors = _merge_rows(self._context_vectors, ctx, src, dst, fresh_rows)
        if self._counts is not None:
            cnt = extra["counts"]
            cnt = np.zeros(len(key_list), np.int64) if cnt is None else cnt
            self._counts = _merge_rows(self._counts, cnt, src, dst, fresh_rows)
        for j in fresh:
            self._key_to_index[key_list[j]] = len(self._index_to_key)
            self._index_to_key.append(key_list[j])
        self._drop_caches()

    def subset(self, keys: Iterable[Hashable]) -> Any:
        """A new :class:`Embeddings` with only ``keys``, in the given order (arrays copied).

        Parameters
        ----------
        keys : iterable of keys
            Unique known keys.

        Returns
        -------
        Embeddings
            With the matching rows of vectors, context vectors and counts.

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> emb = Embeddings(np.eye(3), ["a", "b", "c"], counts=[5, 3, 1])
        >>> sub = emb.subset(["c", "a"])
        >>> sub.index_to_key, sub.counts.tolist()
        (['c', 'a'], [1, 5])
        """
        key_list, _ = as_keys(keys)
        rows = np.array([self._index(k) for k in key_list], dtype=np.intp)
        return self._take(rows, key_list)

    def restrict(self, topn: int) -> Any:
        """A new :class:`Embeddings` with the first ``topn`` keys (the most frequent ones).

        Parameters
        ----------
        topn : int

        Returns
        -------
        Embeddings

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> Embeddings(np.eye(3), ["a", "b", "c"]).restrict(2).index_to_key
        ['a', 'b']
        """
        limit = _words._resolve_limit(topn, len(self))
        return self._take(np.arange(limit), self._index_to_key[:limit])

    def _take(self, rows: np.ndarray, keys: list[Hashable]) -> Any:
        ctx = self._context_vectors
        return type(self)(
            np.array(self._vectors[rows]),
            keys,
            context_vectors=None if ctx is None else np.array(ctx[rows]),
            counts=None if self._counts is None else self._counts[rows],
            check_finite=False,
        )

    @classmethod
    def from_gensim(cls, model: Any) -> Any:
        """Wrap a gensim 4 ``KeyedVectors`` (or a model's ``.wv``) as :class:`Embeddings`.

        Keys, vectors (copied to float32) and, where gensim kept them, counts are taken over;
        from a ``Word2Vec`` model trained with negative sampling, ``syn1neg`` becomes
        :attr:`context_vectors`.

        Parameters
        ----------
        model : gensim.models.KeyedVectors or gensim.models.Word2Vec

        Returns
        -------
        Embeddings

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> from gensim.models import KeyedVectors
        >>> kv = KeyedVectors(2)
        >>> kv.add_vectors(["x", "y"], np.array([[1.0, 0.0], [0.0, 1.0]]))
        >>> Embeddings.from_gensim(kv).index_to_key
        ['x', 'y']
        """
        return cls(**_interop.from_gensim_parts(model))

    def to_gensim(self) -> Any:
        """A gensim 4 ``KeyedVectors`` with copies of the vectors (and counts, if kept).

        Returns
        -------
        gensim.models.KeyedVectors

        Raises
        ------
        ImportError
            If gensim is not installed (``pip install 'embedkit[gensim]'``).

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> kv = Embeddings(np.array([[1.0, 0.0], [1.0, 1.0]]), ["x", "y"]).to_gensim()
        >>> kv.most_similar("x", topn=1)[0][0]
        'y'
        """
        return _interop.to_gensim_keyedvectors(self._vectors, self._index_to_key, self._counts)

    # ---- pictures ----------------------------------------------------------------------------

    def plot(
        self,
        keys: Iterable[Hashable] | None = None,
        labels: Any = None,
        method: str = "umap",
        *,
        annotate: Any = None,
        random_state: int | None = 0,
        ax: Any = None,
        figsize: tuple[float, float] = (8.0, 8.0),
        title: str | None = None,
        **params: Any,
    ) -> Any:
        """A 2-D map of the vectors as a matplotlib figure, coloured by labels.

        Parameters
        ----------
        keys : iterable of keys, optional
            Keys to draw (default: every key, or every key with a label when ``labels`` is a
            mapping).
        labels : mapping (dict, pandas Series) of key to label, or sequence aligned with keys
            Node classes, sequence families, ...: categories get colours and a legend (up to
            20), numbers a colour bar.
        method : {"umap", "tsne", "pca"}, default "umap"
            UMAP needs ``pip install 'embedkit[umap]'``; t-SNE scikit-learn and PCA only
            matplotlib (``embedkit[plot]``). Vectors are unit-scaled first (cosine geometry).
        annotate : None, bool, key or list of keys
            Keys written next to their points (``None``: all if there are at most 50 points).
        random_state : int, optional, default 0
            Seed of UMAP/t-SNE.
        ax : matplotlib Axes, optional
            Draw into these axes.
        figsize : (float, float), default (8, 8)
        title : str, optional
        **params
            Passed to ``umap.UMAP`` or ``sklearn.manifold.TSNE``.

        Returns
        -------
        matplotlib.figure.Figure
            Made without pyplot; save it with ``fig.savefig("map.png")``.

        Raises
        ------
        ImportError
            If the method's package is missing (the message names the extra).

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> emb = Embeddings(np.random.default_rng(0).normal(size=(6, 4)), list("abcdef"))
        >>> fig = emb.plot(labels={"a": 1, "b": 1, "c": 2}, method="pca")
        >>> sum(len(c.get_offsets()) for c in fig.axes[0].collections)
        3
        """
        import pandas as pd  # imported on use: `import embedkit` does not load pandas

        if isinstance(labels, pd.Series):
            labels = labels.to_dict()
        if keys is None:
            pool = self._index_to_key
            key_list = [k for k in pool if k in labels] if isinstance(labels, Mapping) else pool
        else:
            key_list = list(keys)
        rows = np.array([self._index(k) for k in key_list], dtype=np.intp)
        coords = _plot.project_2d(np.asarray(self._vectors[rows]), method, random_state, **params)
        return _plot.plot_map(coords, key_list, labels, annotate=annotate, ax=ax,
                              figsize=figsize, title=title)

    def export_projector(
        self,
        directory: PathLike,
        labels: Any = None,
        *,
        tensor_name: str = "embedkit",
        limit: int | None = None,
    ) -> dict[str, str]:
        """Write TensorBoard Embedding Projector files into ``directory``.

        ``vectors.tsv`` (one row per key), ``metadata.tsv`` (the keys, plus label columns and
        the counts when kept, with a header line then) and ``projector_config.pbtxt``. Tabs,
        newlines and backslashes in keys and labels are escaped (see
        :mod:`embedkit.projector`). View with ``tensorboard --logdir directory``.

        Parameters
        ----------
        directory : str or os.PathLike
            Created if missing; the three files are replaced atomically.
        labels : mapping of key to label, or pandas.DataFrame indexed by key, optional
            One ``label`` column, or one column per DataFrame column (missing keys: empty).
        tensor_name : str, default "embedkit"
        limit : int, optional
            Export only the first ``limit`` keys (the projector handles ~100k points at most).

        Returns
        -------
        dict
            Paths of the files, under ``"vectors"``, ``"metadata"`` and ``"config"``.

        Examples
        --------
        >>> from embedkit import Embeddings
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> paths = Embeddings(np.eye(2), ["x", "y"]).export_projector(d)
        >>> open(paths["metadata"]).read()
        'x\\ny\\n'
        """
        import pandas as pd

        n = _words._resolve_limit(limit, len(self))
        keys = self._index_to_key[:n]
        columns: dict[str, list[Any]] = {}
        if isinstance(labels, pd.DataFrame):
            for name in labels.columns:
                col = labels[name]
                columns[str(name)] = [col.get(k) if k in col.index else None for k in keys]
        elif labels is not None:
            labels = labels.to_dict() if isinstance(labels, pd.Series) else labels
            columns["label"] = [labels.get(k) for k in keys] if isinstance(labels, Mapping) \
                else _aligned_labels(labels, n)
        if self._counts is not None:
            columns["count"] = self._counts[:n].tolist()
        return _projector.write_projector(directory, self._vectors[:n], keys, columns,
                                          tensor_name)
