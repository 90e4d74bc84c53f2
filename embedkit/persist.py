"""Persistence for :class:`~embedkit.embeddings.Embeddings`: the ``.npz`` and word2vec formats.

The functions here implement :meth:`Embeddings.save <embedkit.embeddings.Embeddings.save>`,
:meth:`~embedkit.embeddings.Embeddings.load`, and the word2vec text/binary readers and writer
(interoperable with word2vec.c and gensim). The loaders build the class their caller passes
(``cls``), so this module never imports :mod:`embedkit.embeddings` (which imports it).
"""

from __future__ import annotations

import gzip
import json
import math
import operator
import os
import re
import zipfile
from collections.abc import Hashable
from typing import IO, Any

import numpy as np

from embedkit._io import atomic_write, open_binary, open_text
from embedkit.npzmap import NpzArchive, write_npz

#: The vectors class (embedkit.embeddings.Embeddings); callers pass it, so persist never
#: imports it (no embeddings <-> persist cycle).
Embeddings = Any

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "from_npz",
    "load_npz",
    "load_word2vec_format",
    "save_npz",
    "save_word2vec_format",
]

#: Format name recorded in the metadata of files written by :meth:`Embeddings.save`.
FORMAT_NAME = "embedkit.Embeddings"
#: Version of that format written by this code (files of later versions are refused).
FORMAT_VERSION = 1

PathLike = str | os.PathLike[str]

_WHITESPACE = re.compile(r"\s")
_ROWS_PER_WRITE = 4096


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


def _has_no_header(path: PathLike, encoding: str, unicode_errors: str) -> bool:
    """Whether a text file starts with a vector row (GloVe) rather than ``<n> <dim>``."""
    with open_binary(path) as fh:
        first = fh.readline(1 << 20).removeprefix(b"\xef\xbb\xbf")
    try:
        parts = first.decode(encoding, unicode_errors).split()
    except UnicodeDecodeError:
        return False
    # A key and at least two numbers; a 1-D GloVe file is indistinguishable from a broken
    # header, so it needs no_header=True.
    return len(parts) >= 3 and all(_looks_like_float(p) for p in parts[1:])


def _read_w2v_text(
    path: PathLike,
    name: str,
    limit: int | None,
    encoding: str,
    unicode_errors: str,
    no_header: bool = False,
) -> tuple[list[str], np.ndarray]:
    with open_text(path, errors=unicode_errors, encoding=encoding) as fh:
        pending: str | None = None
        if no_header:
            pending = fh.readline()
            n, d, lineno = None, len(pending.split()) - 1, 0
            if d < 1:
                raise ValueError(f"{name}, line 1: expected a key followed by its values")
        else:
            n, d = _parse_w2v_header(fh.readline(), name)
            lineno = 1
        count = min(x for x in (n, limit, 1 << 62) if x is not None)
        rows = _RowBuffer(count, d)
        keys: list[str] = []
        while len(keys) < count:
            line, pending = (fh.readline() if pending is None else pending), None
            lineno += 1
            if not line and n is None:
                break
            if not line:
                raise ValueError(
                    f"{name}: file ends after {len(keys)} vectors but the header says {n}"
                )
            if n is None and not line.strip():
                continue
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
# Native .npz format
# --------------------------------------------------------------------------------------------


def save_npz(emb: Embeddings, path: PathLike) -> None:
    """Save ``emb`` to a single uncompressed ``.npz`` file, atomically.

    See :meth:`Embeddings.save <embedkit.embeddings.Embeddings.save>`.
    """
    key_type, encoded = _encode_keys(emb.index_to_key)
    meta = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "n_keys": len(emb),
        "dim": emb.dim,
        "key_type": key_type,
        "has_context_vectors": emb.context_vectors is not None,
        "has_counts": emb.counts is not None,
    }
    arrays = {"meta": _json_array(meta), "keys": _json_array(encoded), "vectors": emb.vectors}
    if emb.context_vectors is not None:
        arrays["context_vectors"] = emb.context_vectors
    if emb.counts is not None:
        arrays["counts"] = emb.counts
    with atomic_write(path, "wb") as fh:
        write_npz(fh, arrays)


def load_npz(
    path: PathLike,
    cls: type[Embeddings] | None = None,
    *,
    mmap: bool = False,
    limit: int | None = None,
) -> Embeddings:
    """Load a file written by :func:`save_npz` as ``cls`` (the caller's Embeddings class).

    See :meth:`Embeddings.load <embedkit.embeddings.Embeddings.load>`.
    """
    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(2, "No such file or directory", name)
    limit = _check_limit(limit)
    try:
        data = NpzArchive(name)
    except zipfile.BadZipFile as exc:
        raise ValueError(
            f"{name} is not a valid {FORMAT_NAME} file: not an .npz archive, or truncated ({exc})"
        ) from exc
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"{name} is not a valid {FORMAT_NAME} file: {exc}") from exc
    try:
        with data:
            return from_npz(data, name, cls, mmap=mmap, limit=limit)
    except (
        KeyError,
        ValueError,
        TypeError,
        OSError,
        EOFError,
        zipfile.BadZipFile,
    ) as exc:
        raise ValueError(f"{name} is not a valid {FORMAT_NAME} file: {exc}") from exc


def _check_limit(limit: Any) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or operator.index(limit) < 0:
        raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
    return operator.index(limit)


def from_npz(
    data: Any,
    name: str,
    cls: type[Embeddings] | None = None,
    *,
    mmap: bool = False,
    limit: int | None = None,
) -> Embeddings:
    """Build ``cls`` (the caller's Embeddings class) from an open ``.npz`` archive ``data``.

    ``data`` is an :class:`~embedkit.npzmap.NpzArchive` (needed for ``mmap``) or any mapping
    of member names to arrays with a ``files`` list (e.g. :class:`numpy.lib.npyio.NpzFile`).
    ``limit`` keeps the first ``limit`` keys; ``mmap`` maps the vector matrices read-only and
    skips the scan for NaN/inf values.
    """
    if cls is None:  # the caller passes its class: persist never imports Embeddings
        raise TypeError("cls (the Embeddings class to build) is required")
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
            f"format version {version} is newer than supported ({FORMAT_VERSION}); upgrade embedkit"
        )
    n, d = meta["n_keys"], meta["dim"]
    keys = _decode_keys(meta["key_type"], _array_json(data["keys"], "keys"))
    if len(keys) != n:
        raise ValueError(f"metadata says {n} keys but {len(keys)} are stored")
    rows = n if limit is None else min(n, limit)

    def member(key: str, what_mmap: bool) -> np.ndarray:
        if isinstance(data, NpzArchive):
            shape, _ = data.header(key)
            if not shape or shape[0] != n:
                raise ValueError(f"{key} have shape {shape} but there are {n} keys")
            return data.array(key, rows=rows, mmap=what_mmap)
        if what_mmap:
            raise ValueError("memory-mapping needs an NpzArchive")
        return data[key][:rows]

    vectors = member("vectors", mmap)
    if vectors.shape != (rows, d) or vectors.dtype != np.float32:
        raise ValueError(
            f"vectors have shape {vectors.shape} and dtype {vectors.dtype}, expected "
            f"({n}, {d}) float32"
        )
    context = member("context_vectors", mmap) if meta.get("has_context_vectors") else None
    counts = member("counts", False) if meta.get("has_counts") else None
    if context is not None and context.shape != (rows, d):
        raise ValueError(f"context_vectors have shape {context.shape}, expected ({n}, {d})")
    return cls(vectors, keys[:rows], context_vectors=context, counts=counts,
               check_finite=not mmap)


# --------------------------------------------------------------------------------------------
# word2vec formats
# --------------------------------------------------------------------------------------------


def save_word2vec_format(
    emb: Embeddings, path: PathLike, binary: bool = False, write_header: bool = True
) -> None:
    """Write ``emb`` in the word2vec text or binary format, atomically.

    See :meth:`Embeddings.save_word2vec_format
    <embedkit.embeddings.Embeddings.save_word2vec_format>`.
    """
    if binary and not write_header:
        raise ValueError("write_header=False (GloVe) is a text format; it needs binary=False")
    keys = [k if isinstance(k, str) else str(k) for k in emb.index_to_key]
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if not key or _WHITESPACE.search(key):
            raise ValueError(
                f"key {key!r} cannot be written in word2vec format (empty or contains whitespace)"
            )
        if seen.setdefault(key, i) != i:
            raise ValueError(f"keys at positions {seen[key]} and {i} both become {key!r} as text")
    n, d = emb.vectors.shape
    vectors = emb.vectors.astype("<f4", copy=False)
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
            if write_header:
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


def load_word2vec_format(
    path: PathLike,
    binary: bool | None = None,
    limit: int | None = None,
    encoding: str = "utf-8",
    unicode_errors: str = "strict",
    cls: type[Embeddings] | None = None,
    no_header: bool | None = None,
) -> Embeddings:
    """Read a word2vec text or binary file (plain or gzip-compressed) as ``cls``.

    See :meth:`Embeddings.load_word2vec_format
    <embedkit.embeddings.Embeddings.load_word2vec_format>`.
    """
    if cls is None:  # the caller passes its class: persist never imports Embeddings
        raise TypeError("cls (the Embeddings class to build) is required")
    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(2, "No such file or directory", name)
    limit = _check_limit(limit)
    if no_header is None:
        no_header = not binary and _has_no_header(path, encoding, unicode_errors)
    if no_header:
        if binary:
            raise ValueError("no_header=True (GloVe) files are text; binary=True is not supported")
        keys, vectors = _read_w2v_text(path, name, limit, encoding, unicode_errors, True)
    else:
        if binary is None:
            binary = _detect_w2v_binary(path, name, encoding, unicode_errors)
        reader = _read_w2v_binary if binary else _read_w2v_text
        keys, vectors = reader(path, name, limit, encoding, unicode_errors)
    try:
        return cls(vectors, keys)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc
