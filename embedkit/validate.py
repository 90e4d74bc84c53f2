"""Validation of the arrays and keys that make up :class:`~embedkit.embeddings.Embeddings`."""

from __future__ import annotations

import operator
from collections.abc import Hashable
from typing import Any

import numpy as np

__all__ = ["as_counts", "as_keys", "as_matrix", "topn_count"]


def as_matrix(
    values: Any, what: str, n_keys: int | None = None, check_finite: bool = True
) -> np.ndarray:
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
    if not check_finite:
        return arr
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise ValueError(
            f"{what} contain non-finite values (NaN/inf, or too large for float32); "
            f"first bad row is {row}"
        )
    return arr


def as_keys(index_to_key: Any) -> tuple[list[Hashable], dict[Hashable, int]]:
    if isinstance(index_to_key, (str, bytes)):
        raise TypeError("index_to_key must be a sequence of keys, not a single string")
    try:
        keys = list(index_to_key)
    except TypeError:
        raise TypeError(
            f"index_to_key must be a sequence of keys, got {type(index_to_key).__name__}"
        ) from None
    try:
        key_to_index: dict[Hashable, int] = dict(zip(keys, range(len(keys)), strict=True))
    except TypeError:
        key_to_index = {}
    if len(key_to_index) == len(keys):
        return keys, key_to_index  # fast path: all hashable and unique
    key_to_index = {}
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


def as_counts(counts: Any, n: int) -> np.ndarray:
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


def topn_count(topn: int | None, available: int) -> int:
    if topn is None:
        return available
    if isinstance(topn, bool):
        raise TypeError("topn must be an int or None, not bool")
    k = operator.index(topn)
    if k < 0:
        raise ValueError(f"topn must be >= 0, got {k}")
    return min(k, available)
