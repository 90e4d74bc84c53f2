"""The encoded corpus of :class:`~embedkit.contexts.text.TextCorpus`: memory, then disk.

:class:`IdStream` keeps what the vocabulary pass encodes (provisional int32 ids and sentence
lengths, about 4 bytes per token) in a small in-memory budget and spills the rest to an
*unlinked* temporary file, written once and read back with ``os.pread`` every epoch. Epochs
then cost a read and a NumPy gather per batch (about 25 ns per token) instead of reading,
tokenizing and encoding the text again in Python (about 700 ns per token), which would hold the
training kernel back. The file has no name from the moment it is created, so it disappears
when the stream is closed or the process dies, and its pages are never mapped into the
process, so resident memory does not grow with the corpus.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from itertools import repeat

import numpy as np

from embedkit._io import is_gzip

__all__ = ["DEFAULT_CACHE_BYTES", "FirstSeen", "IdStream", "estimate_id_bytes", "vocab_encoder"]

#: Default in-memory budget for encoded batches; the rest of the corpus goes to the id stream.
DEFAULT_CACHE_BYTES = 16 * 2**20

_HEADER = np.dtype("<i8")


class FirstSeen(dict):
    """``{token: id}`` handing out ids in order of first appearance (lookups run in C)."""

    def __missing__(self, key) -> int:
        self[key] = n = len(self)
        return n

    def encode(self, tokens: Iterable, count: int = -1) -> np.ndarray:
        return np.fromiter(map(self.__getitem__, tokens), dtype=np.int32, count=count)


def vocab_encoder(key_to_index: dict) -> Callable[..., np.ndarray]:
    """``encode`` for an epoch pass: vocabulary ids, ``-1`` for unknown tokens."""
    get = key_to_index.get

    def encode(tokens: Iterable, count: int = -1) -> np.ndarray:
        return np.fromiter(map(get, tokens, repeat(-1)), dtype=np.int32, count=count)

    return encode


# ---------------------------------------------------------------------------------------------
# The encoded corpus: memory budget, then an unlinked temporary file
# ---------------------------------------------------------------------------------------------


_SEEK_LOCK = threading.Lock()


def _pread(fd: int, n: int, offset: int) -> bytes:
    """``os.pread`` (Unix), or seek + read under a lock where it is missing (Windows)."""
    if hasattr(os, "pread"):
        return os.pread(fd, n, offset)
    with _SEEK_LOCK:  # pragma: no cover - Windows
        os.lseek(fd, offset, os.SEEK_SET)
        parts = []
        while n > 0 and (part := os.read(fd, n)):
            parts.append(part)
            n -= len(part)
        return b"".join(parts)


def _pwrite(fd: int, data: bytes, offset: int) -> int:
    if hasattr(os, "pwrite"):
        return os.pwrite(fd, data, offset)
    with _SEEK_LOCK:  # pragma: no cover - Windows
        os.lseek(fd, offset, os.SEEK_SET)
        return os.write(fd, data)


def _stream_error(directory: str, exc: OSError) -> OSError:
    what = "is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "is not writable"
    return OSError(
        exc.errno,
        f"cannot write the encoded corpus (the on-disk id stream) to '{directory}': the "
        f"directory {what} ({exc.strerror or exc}). Choose another directory with "
        "TextCorpus(..., tmp_dir=...) / Word2Vec(tmp_dir=...), free some space, or pass "
        "disk_cache=False to re-read and tokenize the text every epoch",
    )


def estimate_id_bytes(path: str) -> int:
    """Rough size of a text file's encoded ids (4 bytes per ~5.5 characters, gzip x 3)."""
    size = os.path.getsize(path)
    if is_gzip(path):
        size *= 3
    return int(size * 0.75)


class IdStream:
    """Encoded batches ``(ids, lengths, n_raw)``: in memory up to a budget, then on disk.

    Parameters
    ----------
    cache_bytes : int
        Memory budget for batches.
    disk : bool
        Spill batches beyond the budget to an unlinked temporary file. If ``False`` the stream
        is abandoned (``complete`` is False) once over budget.
    tmp_dir : str or None
        Directory of the temporary file (``None``: :func:`tempfile.gettempdir`).
    """

    def __init__(self, cache_bytes: int, disk: bool, tmp_dir: str | None) -> None:
        self.cache_bytes = int(cache_bytes)
        self.disk = bool(disk)
        self.tmp_dir = tmp_dir
        self.memory: list[tuple[np.ndarray, np.ndarray, int]] = []
        self.records: list[tuple[int, int, int, int]] = []  # offset, n_ids, n_lens, n_raw
        self.size = 0
        self.complete = True
        self._fd: int | None = None
        self._end = 0

    @property
    def directory(self) -> str:
        return os.fspath(self.tmp_dir) if self.tmp_dir is not None else tempfile.gettempdir()

    @property
    def on_disk(self) -> bool:
        return self._fd is not None

    def open(self, expected_bytes: int = 0) -> None:
        """Create the unlinked file now (errors surface before any reading)."""
        if self._fd is not None:
            return
        directory = self.directory
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"tmp_dir '{directory}' does not exist or is not a directory")
        free = shutil.disk_usage(directory).free
        if expected_bytes > free:
            raise OSError(errno.ENOSPC, (
                f"the on-disk id stream needs about {expected_bytes / 2**20:.0f} MiB in "
                f"'{directory}', which has {free / 2**20:.0f} MiB free; choose another "
                "directory with tmp_dir=..., or pass disk_cache=False to re-read and tokenize "
                "the text every epoch"))
        try:
            f = tempfile.TemporaryFile(dir=directory, prefix="embedkit-ids-")
        except OSError as exc:
            raise _stream_error(directory, exc) from exc
        self._fd = os.dup(f.fileno())
        f.close()

    def add(self, ids: np.ndarray, lens: np.ndarray, n_raw: int) -> None:
        if not self.complete:
            return
        self.size += ids.nbytes + lens.nbytes
        if self.size <= self.cache_bytes and self._fd is None:
            self.memory.append((ids, lens, n_raw))
            return
        if not self.disk:
            self.complete = False
            self.memory = []
            return
        self.open()
        for item in self.memory:
            self._write(*item)
        self.memory = []
        self._write(ids, lens, n_raw)

    def _write(self, ids: np.ndarray, lens: np.ndarray, n_raw: int) -> None:
        ids = np.ascontiguousarray(ids, dtype="<i4")
        lens = np.ascontiguousarray(lens, dtype="<i8")
        data = (np.array([ids.size, lens.size, n_raw], dtype=_HEADER).tobytes()
                + ids.tobytes() + lens.tobytes())
        try:
            written = _pwrite(self._fd, data, self._end)
            while written < len(data):  # pragma: no cover - short writes are rare
                step = _pwrite(self._fd, data[written:], self._end + written)
                if step == 0:
                    raise OSError(errno.ENOSPC, "No space left on device")
                written += step
        except OSError as exc:
            self.close()
            raise _stream_error(self.directory, exc) from exc
        self.records.append((self._end + 24, ids.size, lens.size, n_raw))
        self._end += len(data)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        if self._fd is None:
            yield from self.memory
            return
        for offset, n_ids, n_lens, n_raw in self.records:
            fd = self._fd
            if fd is None:
                raise RuntimeError("the on-disk id stream was closed during an epoch")
            nbytes = 4 * n_ids + 8 * n_lens
            data = _pread(fd, nbytes, offset)
            if len(data) != nbytes:
                raise OSError(f"the on-disk id stream is truncated ({len(data)} of {nbytes} "
                              "bytes read)")
            ids = np.frombuffer(data, dtype="<i4", count=n_ids)
            lens = np.frombuffer(data, dtype="<i8", count=n_lens, offset=4 * n_ids)
            yield ids, lens, n_raw

    def close(self) -> None:
        """Release the file (its disk space is freed: it never had a name)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self.records = []
            self.complete = False

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
