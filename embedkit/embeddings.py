"""The result of training: a plain container of key vectors with similarity queries and I/O.

:class:`Embeddings` does not depend on the training code. It holds the input ("word") vectors,
optionally the output (context) vectors and key counts, answers nearest-neighbour and analogy
queries, evaluates word similarity/analogy benchmarks, and reads/writes its own ``.npz`` format
as well as the word2vec text and binary formats (interoperable with word2vec.c and gensim).
"""

from __future__ import annotations

import gzip
import json
import math
import operator
import os
import re
import zipfile
from collections.abc import Hashable, Iterable, Iterator, Sequence
from functools import cached_property
from typing import IO, Any

import numpy as np
import pandas as pd

from embedkit._io import atomic_write, open_binary, open_text
from embedkit.eval import words as _words

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "Embeddings"]

#: Format name recorded in the metadata of files written by :meth:`Embeddings.save`.
FORMAT_NAME = "embedkit.Embeddings"
#: Version of that format written by this code (files of later versions are refused).
FORMAT_VERSION = 1

PathLike = str | os.PathLike[str]
Query = Hashable | np.ndarray

_WHITESPACE = re.compile(r"\s")
_ROWS_PER_WRITE = 4096


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _as_matrix(values: Any, what: str, n_keys: int | None = None) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating)
        or np.issubdtype(arr.dtype, np.integer)
        or arr.dtype == np.bool_
    ):
        raise TypeError(f"{what} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{what} must be 2-D with shape (n_keys, dim), got shape {arr.shape}")
    if arr.shape[1] < 1:
        raise ValueError(f"{what} must have at least one dimension, got shape {arr.shape}")
    if n_keys is not None and arr.shape[0] != n_keys:
        raise ValueError(f"{what} has {arr.shape[0]} rows but there are {n_keys} keys")
    with np.errstate(over="ignore"):
        arr = np.ascontiguousarray(arr, dtype=np.float32)
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise ValueError(
            f"{what} contain non-finite values (NaN/inf, or too large for float32); "
            f"first bad row is {row}"
        )
    return arr


def _as_keys(index_to_key: Any) -> tuple[list[Hashable], dict[Hashable, int]]:
    if isinstance(index_to_key, (str, bytes)):
        raise TypeError("index_to_key must be a sequence of keys, not a single string")
    try:
        keys = list(index_to_key)
    except TypeError:
        raise TypeError(
            f"index_to_key must be a sequence of keys, got {type(index_to_key).__name__}"
        ) from None
    key_to_index: dict[Hashable, int] = {}
    for i, key in enumerate(keys):
        try:
            previous = key_to_index.setdefault(key, i)
        except TypeError:
            raise TypeError(
                f"keys must be hashable; key at position {i} is {type(key).__name__}"
            ) from None
        if previous != i:
            raise ValueError(f"duplicate key {key!r} at positions {previous} and {i}")
    return keys, key_to_index


def _as_counts(counts: Any, n: int) -> np.ndarray:
    arr = np.asarray(counts)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"counts must be 1-D with {n} entries, got shape {arr.shape}")
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(f"counts must be integers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating) and not (
        np.isfinite(arr).all() and (arr == np.round(arr)).all()
    ):
        raise ValueError("counts must be whole numbers")
    out = np.ascontiguousarray(arr, dtype=np.int64)
    if (out < 0).any():
        raise ValueError("counts must be >= 0")
    return out


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.sqrt(np.dot(vector.astype(np.float64), vector.astype(np.float64))))
    return vector / np.float32(norm) if norm > 0 else vector


def _topn_count(topn: int | None, available: int) -> int:
    if topn is None:
        return available
    if isinstance(topn, bool):
        raise TypeError("topn must be an int or None, not bool")
    k = operator.index(topn)
    if k < 0:
        raise ValueError(f"topn must be >= 0, got {k}")
    return min(k, available)


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
# Key (de)serialisation for the .npz format
# --------------------------------------------------------------------------------------------


def _key_to_json(key: Any) -> Any:
    if isinstance(key, str):
        return str(key)
    if isinstance(key, bool) or key is None:
        return key
    if isinstance(key, (int, np.integer)):
        return int(key)
    if isinstance(key, (float, np.floating)):
        if not math.isfinite(key):
            raise TypeError(f"key {key!r} cannot be saved (non-finite float)")
        return float(key)
    if isinstance(key, tuple):
        return [_key_to_json(part) for part in key]
    raise TypeError(
        f"key {key!r} of type {type(key).__name__} cannot be saved; supported keys are str, "
        "int, float, bool, None and (nested) tuples of these"
    )


def _key_from_json(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_key_from_json(part) for part in value)
    if isinstance(value, dict):
        raise ValueError("a key is a JSON object, which is not a valid key")
    return value


def _encode_keys(keys: list[Hashable]) -> tuple[str, list[Any]]:
    if all(isinstance(k, str) for k in keys):
        return "str", [str(k) for k in keys]
    if all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in keys):
        return "int", [int(k) for k in keys]  # type: ignore[call-overload]
    encoded = [_key_to_json(k) for k in keys]
    for key, value in zip(keys, encoded, strict=True):
        if _key_from_json(value) != key:  # pragma: no cover - defensive
            raise TypeError(f"key {key!r} does not survive a JSON round trip")
    return "json", encoded


def _decode_keys(key_type: str, values: Any) -> list[Any]:
    if not isinstance(values, list):
        raise ValueError("keys are not a JSON list")
    if key_type == "str":
        if not all(isinstance(v, str) for v in values):
            raise ValueError("key type is 'str' but some keys are not strings")
        return values
    if key_type == "int":
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ValueError("key type is 'int' but some keys are not integers")
        return values
    if key_type == "json":
        return [_key_from_json(v) for v in values]
    raise ValueError(f"unknown key type {key_type!r}")


def _json_array(obj: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(obj, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _array_json(arr: np.ndarray, what: str) -> Any:
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise ValueError(f"entry {what!r} is not a JSON byte string")
    return json.loads(arr.tobytes().decode("utf-8"))


# --------------------------------------------------------------------------------------------
# word2vec format helpers
# --------------------------------------------------------------------------------------------


def _parse_w2v_header(line: bytes | str, name: str) -> tuple[int, int]:
    if isinstance(line, bytes):
        text = line.removeprefix(b"\xef\xbb\xbf").decode("ascii", "replace")
    else:
        text = line.removeprefix("\ufeff")
    parts = text.split()
    try:
        if len(parts) != 2:
            raise ValueError
        n, d = int(parts[0]), int(parts[1])
    except ValueError:
        raise ValueError(
            f"{name}: malformed word2vec header {text.strip()[:80]!r}; expected '<n_keys> <dim>'"
        ) from None
    if n < 0 or d < 1:
        raise ValueError(f"{name}: invalid word2vec header: n_keys={n}, dim={d}")
    return n, d


def _looks_like_float(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _detect_w2v_binary(path: PathLike, name: str, encoding: str, unicode_errors: str) -> bool:
    """Guess whether a word2vec file is binary by looking at its first record."""
    with open_binary(path) as fh:
        n, d = _parse_w2v_header(fh.readline(4096), name)
        if n == 0:
            return False
        first = fh.readline(max(1 << 16, 48 * d + 4096))
    if b"\x00" in first:
        return True
    try:
        text = first.decode(encoding, unicode_errors)
    except UnicodeDecodeError:
        return True
    key, sep, rest = text.partition(" ")
    values = rest.split()
    if not sep or not values or not all(_looks_like_float(v) for v in values):
        return True
    # d values: clearly text. Otherwise a text file with the wrong count (>= 2 numbers) is far
    # likelier than binary bytes that happen to spell several numbers and end in a newline.
    return not (len(values) == d or len(values) >= 2)


class _RowBuffer:
    """Growable (rows, d) float32 matrix with doubling capacity capped at ``max_rows``."""

    def __init__(self, max_rows: int, d: int) -> None:
        self.max_rows = max_rows
        self.data = np.empty((min(max_rows, 1 << 14), d), dtype=np.float32)
        self.used = 0

    def row(self) -> np.ndarray:
        if self.used == self.data.shape[0]:
            grown = np.empty(
                (min(self.max_rows, 2 * self.data.shape[0]), self.data.shape[1]), np.float32
            )
            grown[: self.used] = self.data
            self.data = grown
        self.used += 1
        return self.data[self.used - 1]

    def result(self) -> np.ndarray:
        if self.used == self.data.shape[0]:
            return self.data
        return self.data[: self.used].copy()


def _read_w2v_text(
    path: PathLike, name: str, limit: int | None, encoding: str, unicode_errors: str
) -> tuple[list[str], np.ndarray]:
    with open_text(path, errors=unicode_errors, encoding=encoding) as fh:
        n, d = _parse_w2v_header(fh.readline(), name)
        count = n if limit is None else min(n, limit)
        rows = _RowBuffer(count, d)
        keys: list[str] = []
        lineno = 1
        while len(keys) < count:
            line = fh.readline()
            lineno += 1
            if not line:
                raise ValueError(
                    f"{name}: file ends after {len(keys)} vectors but the header says {n}"
                )
            key, sep, rest = line.rstrip("\r\n").partition(" ")
            values = rest.split()
            if not key or not sep:
                raise ValueError(
                    f"{name}, line {lineno}: malformed line, expected a key followed by "
                    f"{d} space-separated values"
                )
            if len(values) != d:
                raise ValueError(
                    f"{name}, line {lineno}: expected {d} values for key {key!r}, got {len(values)}"
                )
            try:
                rows.row()[:] = [float(v) for v in values]
            except ValueError:
                raise ValueError(
                    f"{name}, line {lineno}: non-numeric value in the vector of {key!r}"
                ) from None
            keys.append(key)
    return keys, rows.result()


def _read_w2v_binary(
    path: PathLike, name: str, limit: int | None, encoding: str, unicode_errors: str
) -> tuple[list[str], np.ndarray]:
    with open_binary(path) as fh:
        n, d = _parse_w2v_header(fh.readline(4096), name)
        count = n if limit is None else min(n, limit)
        rows = _RowBuffer(count, d)
        record = 4 * d
        keys: list[str] = []
        buf = bytearray()
        pos = 0
        for i in range(count):
            while True:
                while pos < len(buf) and buf[pos] == 0x0A:  # newline after the previous vector
                    pos += 1
                space = buf.find(b" ", pos)
                if space >= 0 and len(buf) >= space + 1 + record:
                    break
                if space < 0 and len(buf) - pos > (1 << 20):
                    raise ValueError(
                        f"{name}: no key terminator within 1 MiB at vector {i + 1}; "
                        "not a word2vec binary file?"
                    )
                chunk = fh.read(1 << 20)
                if not chunk:
                    raise ValueError(
                        f"{name}: unexpected end of file in vector {i + 1} of {n} "
                        "(truncated binary word2vec file?)"
                    )
                del buf[:pos]
                pos = 0
                buf += chunk
            raw_key = bytes(buf[pos:space])
            try:
                key = raw_key.decode(encoding, unicode_errors)
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"{name}: key of vector {i + 1} is not valid {encoding} ({exc.reason}); "
                    "pass unicode_errors='replace' to load anyway"
                ) from None
            if not key:
                raise ValueError(f"{name}: empty key at vector {i + 1}")
            rows.row()[:] = np.frombuffer(bytes(buf[space + 1 : space + 1 + record]), "<f4")
            keys.append(key)
            pos = space + 1 + record
    return keys, rows.result()


# --------------------------------------------------------------------------------------------
# The container
# --------------------------------------------------------------------------------------------


class Embeddings:
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

    :attr:`normed_vectors` is computed on first use and cached. If you modify :attr:`vectors`
    in place afterwards, run ``del emb.normed_vectors`` to drop the stale cache.

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
    ) -> None:
        keys, key_to_index = _as_keys(index_to_key)
        self._vectors = _as_matrix(vectors, "vectors", len(keys))
        self._index_to_key = keys
        self._key_to_index = key_to_index
        self._context_vectors: np.ndarray | None = None
        if context_vectors is not None:
            ctx = _as_matrix(context_vectors, "context_vectors", len(keys))
            if ctx.shape != self._vectors.shape:
                raise ValueError(
                    f"context_vectors has shape {ctx.shape} but vectors has shape "
                    f"{self._vectors.shape}"
                )
            self._context_vectors = ctx
        self._counts = None if counts is None else _as_counts(counts, len(keys))

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
        return self.normed_vectors[idx], idx

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
        return self._rank(_unit(target.astype(np.float32)), exclude, topn, restrict_vocab)

    def _rank(
        self,
        target: np.ndarray,
        exclude: Iterable[int],
        topn: int | None,
        restrict_vocab: int | None,
    ) -> list[tuple[Hashable, float]]:
        limit = _words._resolve_limit(restrict_vocab, len(self))
        scores = self.normed_vectors[:limit] @ target
        return self._select(scores, exclude, topn)

    def _select(
        self, scores: np.ndarray, exclude: Iterable[int], topn: int | None
    ) -> list[tuple[Hashable, float]]:
        excluded = [i for i in set(exclude) if i < scores.shape[0]]
        if excluded:
            scores[np.asarray(excluded, dtype=np.intp)] = -np.inf
        k = _topn_count(topn, scores.shape[0] - len(excluded))
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
        key_type, encoded = _encode_keys(self._index_to_key)
        meta = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "n_keys": len(self),
            "dim": self.dim,
            "key_type": key_type,
            "has_context_vectors": self._context_vectors is not None,
            "has_counts": self._counts is not None,
        }
        arrays = {"meta": _json_array(meta), "keys": _json_array(encoded), "vectors": self.vectors}
        if self._context_vectors is not None:
            arrays["context_vectors"] = self._context_vectors
        if self._counts is not None:
            arrays["counts"] = self._counts
        with atomic_write(path, "wb") as fh:
            np.savez(fh, **arrays)

    @classmethod
    def load(cls, path: PathLike) -> Embeddings:
        """Load a file written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
            The ``.npz`` file.

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
        """
        name = os.fspath(path)
        if not os.path.exists(name):
            raise FileNotFoundError(2, "No such file or directory", name)
        try:
            data = np.load(name, allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"{name} is not a valid {FORMAT_NAME} file: {exc}") from exc
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(f"{name} is not a valid {FORMAT_NAME} file: not an .npz archive")
        try:
            with data:
                return cls._from_npz(data, name)
        except (
            KeyError,
            ValueError,
            TypeError,
            OSError,
            EOFError,
            zipfile.BadZipFile,
        ) as exc:
            raise ValueError(f"{name} is not a valid {FORMAT_NAME} file: {exc}") from exc

    @classmethod
    def _from_npz(cls, data: Any, name: str) -> Embeddings:
        if "meta" not in data.files:
            raise ValueError("no embedkit metadata (missing 'meta' entry)")
        meta = _array_json(data["meta"], "meta")
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise ValueError("metadata does not identify an embedkit.Embeddings file")
        version = meta.get("format_version")
        if not isinstance(version, int) or version < 1:
            raise ValueError(f"invalid format version {version!r}")
        if version > FORMAT_VERSION:
            raise ValueError(
                f"format version {version} is newer than supported ({FORMAT_VERSION}); "
                "upgrade embedkit"
            )
        n, d = meta["n_keys"], meta["dim"]
        keys = _decode_keys(meta["key_type"], _array_json(data["keys"], "keys"))
        if len(keys) != n:
            raise ValueError(f"metadata says {n} keys but {len(keys)} are stored")
        vectors = data["vectors"]
        if vectors.shape != (n, d) or vectors.dtype != np.float32:
            raise ValueError(
                f"vectors have shape {vectors.shape} and dtype {vectors.dtype}, expected "
                f"({n}, {d}) float32"
            )
        context = data["context_vectors"] if meta.get("has_context_vectors") else None
        counts = data["counts"] if meta.get("has_counts") else None
        if context is not None and context.shape != (n, d):
            raise ValueError(f"context_vectors have shape {context.shape}, expected ({n}, {d})")
        return cls(vectors, keys, context_vectors=context, counts=counts)

    # ---- word2vec formats --------------------------------------------------------------------

    def save_word2vec_format(self, path: PathLike, binary: bool = False) -> None:
        """Write the vectors in the word2vec text or binary format, atomically.

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
        keys = [k if isinstance(k, str) else str(k) for k in self._index_to_key]
        seen: dict[str, int] = {}
        for i, key in enumerate(keys):
            if not key or _WHITESPACE.search(key):
                raise ValueError(
                    f"key {key!r} cannot be written in word2vec format (empty or contains "
                    "whitespace)"
                )
            if seen.setdefault(key, i) != i:
                raise ValueError(
                    f"keys at positions {seen[key]} and {i} both become {key!r} as text"
                )
        n, d = self._vectors.shape
        vectors = self._vectors.astype("<f4", copy=False)
        with atomic_write(path, "wb") as raw:
            out: IO[bytes] = raw
            if os.fspath(path).endswith(".gz"):
                out = gzip.GzipFile(  # type: ignore[assignment]
                    filename=os.path.basename(os.fspath(path)),
                    fileobj=raw,
                    mode="wb",
                    compresslevel=6,
                    mtime=0,
                )
            try:
                out.write(f"{n} {d}\n".encode("ascii"))
                line_format = " ".join(["%.9g"] * d)
                for start in range(0, n, _ROWS_PER_WRITE):
                    block = vectors[start : start + _ROWS_PER_WRITE]
                    block_keys = keys[start : start + _ROWS_PER_WRITE]
                    if binary:
                        payload = b"".join(
                            key.encode("utf-8") + b" " + row.tobytes() + b"\n"
                            for key, row in zip(block_keys, block, strict=True)
                        )
                    else:
                        payload = "".join(
                            f"{key} {line_format % tuple(row)}\n"
                            for key, row in zip(block_keys, block.tolist(), strict=True)
                        ).encode("utf-8")
                    out.write(payload)
            finally:
                if out is not raw:
                    out.close()

    @classmethod
    def load_word2vec_format(
        cls,
        path: PathLike,
        binary: bool | None = None,
        limit: int | None = None,
        encoding: str = "utf-8",
        unicode_errors: str = "strict",
    ) -> Embeddings:
        """Read a word2vec text or binary file (plain or gzip-compressed).

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
        """
        name = os.fspath(path)
        if not os.path.exists(name):
            raise FileNotFoundError(2, "No such file or directory", name)
        if limit is not None:
            if isinstance(limit, bool) or operator.index(limit) < 0:
                raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
            limit = operator.index(limit)
        if binary is None:
            binary = _detect_w2v_binary(path, name, encoding, unicode_errors)
        reader = _read_w2v_binary if binary else _read_w2v_text
        keys, vectors = reader(path, name, limit, encoding, unicode_errors)
        try:
            return cls(vectors, keys)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from exc
