"""Uncompressed ``.npz`` archives whose arrays can be memory-mapped or partly read in place.

An ``.npz`` file is a zip archive of ``.npy`` files. When a member is *stored* (not compressed),
its bytes lie contiguously in the archive: the zip local header, then the ``.npy`` header,
then the raw array data. :class:`NpzArchive` finds that data offset and either maps the array
read-only with :class:`numpy.memmap` (``mmap=True``: opening costs no reading, and several
processes share the pages through the OS cache) or reads it (or only its first ``rows``) with
one :func:`numpy.fromfile` call, without zipfile's copies. Member sizes are checked against the
file, so truncation is detected; like ``numpy.load`` of a ``.npy`` file, the CRC is not checked
for such reads. Compressed members are read through :mod:`zipfile`, which checks the CRC.

:func:`write_npz` writes such archives with every member stored and its array data starting on
a 64-byte boundary of the file (the zip local header is padded with an extra field, id
``0xD935``, the id Android's zipalign uses), so mapped arrays are aligned for SIMD code. The
files remain ordinary ``.npz`` archives that :func:`numpy.load` reads. Nothing is unpickled:
object arrays are refused.
"""

from __future__ import annotations

import io
import math
import os
import struct
import zipfile
from typing import IO, Any

import numpy as np

__all__ = ["ALIGN", "NpzArchive", "write_npz"]

#: Alignment of array data written by :func:`write_npz`, in bytes.
ALIGN = 64
_PAD_ID = 0xD935
_LOCAL_HEADER = 30
_ZIP64_EXTRA = 20
_CHUNK_BYTES = 16 << 20


def _npy_header(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    info = np.lib.format.header_data_from_array_1_0(arr)
    try:
        np.lib.format.write_array_header_1_0(buf, info)
    except ValueError:  # header too long for version 1.0
        buf = io.BytesIO()
        np.lib.format.write_array_header_2_0(buf, info)
    return buf.getvalue()


def write_npz(fh: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` as an uncompressed ``.npz`` archive with 64-byte aligned array data.

    Parameters
    ----------
    fh : binary file object
        Seekable destination positioned at its start (e.g. from :func:`embedkit._io.atomic_write`).
    arrays : dict of str to ndarray
        Member names (without ``.npy``) and arrays; object arrays are refused.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.npz")
    >>> with open(p, "wb") as fh:
    ...     write_npz(fh, {"x": np.arange(6, dtype=np.float32).reshape(2, 3)})
    >>> np.load(p)["x"].tolist()
    [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    """
    with zipfile.ZipFile(fh, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, value in arrays.items():
            arr = np.ascontiguousarray(value)
            if arr.dtype.hasobject:
                raise TypeError(f"array {key!r} has an object dtype, which is never written")
            header = _npy_header(arr)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = len(header) + arr.nbytes
            zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT  # zipfile's own rule
            base = fh.tell() + _LOCAL_HEADER + len(info.filename.encode("utf-8"))
            base += _ZIP64_EXTRA if zip64 else 0
            pad = -base % ALIGN
            if pad:
                pad += ALIGN if pad < 4 else 0
                info.extra = struct.pack("<HH", _PAD_ID, pad - 4) + bytes(pad - 4)
            with zf.open(info, mode="w", force_zip64=zip64) as out:
                out.write(header)
                raw = memoryview(arr.reshape(-1) if arr.ndim else arr.reshape(1)).cast("B")
                for start in range(0, len(raw), _CHUNK_BYTES):
                    out.write(raw[start : start + _CHUNK_BYTES])


class NpzArchive:
    """Read-only view of an ``.npz`` archive that can map or partly read stored members.

    Parameters
    ----------
    path : str or os.PathLike
        The archive.

    Attributes
    ----------
    files : list of str
        Member names without the ``.npy`` suffix (as :class:`numpy.lib.npyio.NpzFile`).

    Raises
    ------
    zipfile.BadZipFile
        If the file is not a zip archive (for example because it is truncated).

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.npz")
    >>> with open(p, "wb") as fh:
    ...     write_npz(fh, {"x": np.arange(8, dtype=np.int64).reshape(4, 2)})
    >>> with NpzArchive(p) as z:
    ...     m = z.array("x", mmap=True)
    ...     z.array("x", rows=1).tolist(), m.flags.writeable, m.ctypes.data % 64
    ([[0, 1]], False, 0)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.name = os.fspath(path)
        self._size = os.path.getsize(self.name)
        self._zip = zipfile.ZipFile(self.name)
        self.files = [n[:-4] for n in self._zip.namelist() if n.endswith(".npy")]

    def __enter__(self) -> NpzArchive:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the archive (mapped arrays stay valid)."""
        self._zip.close()

    def __getitem__(self, key: str) -> np.ndarray:
        return self.array(key)

    def array(self, key: str, *, rows: int | None = None, mmap: bool = False) -> np.ndarray:
        """Member ``key`` as an array, whole, its first ``rows`` rows, or memory-mapped.

        Parameters
        ----------
        key : str
            Member name without ``.npy``.
        rows : int, optional
            Return only the first ``rows`` entries along the first axis (reads only those
            bytes from a stored member).
        mmap : bool, default False
            Map the member read-only instead of reading it (stored members only).

        Returns
        -------
        ndarray or numpy.memmap

        Raises
        ------
        KeyError
            If there is no such member.
        ValueError
            If the member is corrupt, truncated, holds objects, or is compressed and
            ``mmap=True``.
        """
        info = self._member(key)
        stored = info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 1
        if not stored:
            if mmap:
                raise ValueError(
                    f"entry {key!r} is compressed and cannot be memory-mapped; load it without "
                    "mmap and save it again with Embeddings.save to get a mappable file"
                )
            return self._read_whole(info, rows)
        offset, shape, fortran, dtype = self._locate(info, key)
        count = shape[0] if not shape or rows is None else min(rows, shape[0])
        part = (count, *shape[1:]) if shape else shape
        if mmap:
            if math.prod(shape) == 0:
                out = np.zeros(part, dtype=dtype)
                out.flags.writeable = False
                return out
            full = np.memmap(self.name, dtype=dtype, mode="r", offset=offset, shape=shape,
                             order="F" if fortran else "C")
            return full[:count] if shape and count < shape[0] else full
        if fortran:
            return self._read_whole(info, rows)
        with open(self.name, "rb") as fh:
            fh.seek(offset)
            flat = np.fromfile(fh, dtype=dtype, count=math.prod(part))
        return flat.reshape(part)

    def header(self, key: str) -> tuple[tuple[int, ...], np.dtype]:
        """Shape and dtype of member ``key``, read from its ``.npy`` header only.

        Raises
        ------
        KeyError
            If there is no such member.
        ValueError
            If its header is corrupt.
        """
        info = self._member(key)
        with self._zip.open(info) as fh:
            version = np.lib.format.read_magic(fh)
            shape, _, dtype = self._read_header(fh, version, key)
        return tuple(shape), dtype

    @staticmethod
    def _read_header(fh: IO[bytes], version: tuple[int, int], key: str) -> tuple[Any, ...]:
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(fh)
        if version == (2, 0):
            return np.lib.format.read_array_header_2_0(fh)
        raise ValueError(f"entry {key!r}: unsupported .npy version {version}")

    def _member(self, key: str) -> zipfile.ZipInfo:
        try:
            return self._zip.getinfo(f"{key}.npy")
        except KeyError:
            raise KeyError(f"no entry {key!r} in the archive") from None

    def _read_whole(self, info: zipfile.ZipInfo, rows: int | None) -> np.ndarray:
        with self._zip.open(info) as fh:
            arr = np.lib.format.read_array(fh, allow_pickle=False)
        return arr if rows is None or arr.ndim == 0 else arr[:rows]

    def _locate(self, info: zipfile.ZipInfo, key: str) -> tuple[int, tuple[int, ...], bool, Any]:
        with open(self.name, "rb") as fh:
            fh.seek(info.header_offset)
            local = fh.read(_LOCAL_HEADER)
            if len(local) < _LOCAL_HEADER or local[:4] != b"PK\x03\x04":
                raise ValueError(f"entry {key!r}: bad zip local header (corrupt file?)")
            name_len, extra_len = struct.unpack("<HH", local[26:30])
            start = info.header_offset + _LOCAL_HEADER + name_len + extra_len
            fh.seek(start)
            version = np.lib.format.read_magic(fh)
            shape, fortran, dtype = self._read_header(fh, version, key)
            offset = fh.tell()
        if dtype.hasobject:
            raise ValueError(f"entry {key!r} holds Python objects, which are never unpickled")
        end = offset + math.prod(shape) * dtype.itemsize
        if end - start != info.file_size or end > self._size:
            raise ValueError(
                f"entry {key!r} is truncated: its array needs bytes up to offset {end} but the "
                f"file has {self._size} bytes and the entry {info.file_size}"
            )
        return offset, tuple(shape), bool(fortran), dtype
