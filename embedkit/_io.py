"""Small file helpers shared by embedkit's readers and writers.

* :func:`atomic_write` writes a file so that readers see either the old or the complete new
  content, never a half-written file.
* :func:`open_text` opens a plain or gzip-compressed text file for streaming reads, with clear
  errors that name the file.
* :func:`open_binary` is the byte-level counterpart used by binary readers.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import gzip
import io
import os
import tempfile
import zlib
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["atomic_write", "is_gzip", "open_binary", "open_text"]

_GZIP_MAGIC = b"\x1f\x8b"
_SNIFF_BYTES = 8192

PathLike = str | os.PathLike[str]


def _current_umask() -> int:
    """The process umask, read without changing it where the platform allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # pragma: no cover - non-Linux fallback
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


@contextlib.contextmanager
def atomic_write(
    path: PathLike, mode: str = "w", *, encoding: str | None = "utf-8", newline: str | None = None
) -> Iterator[IO[Any]]:
    """Open ``path`` for writing so that it is replaced atomically when the block succeeds.

    Data go to a temporary file in the same directory; on a clean exit it is flushed, fsynced and
    moved onto ``path`` with :func:`os.replace`. If the block raises, the temporary file is
    removed and any existing ``path`` is left untouched.

    Parameters
    ----------
    path : str or os.PathLike
        Target file.
    mode : {"w", "wb", "x", "xb"}, default "w"
        Text or binary write mode. ``"x"`` modes fail with :class:`FileExistsError` if ``path``
        already exists (checked before writing starts).
    encoding : str or None, default "utf-8"
        Encoding for text modes (ignored for binary modes).
    newline : str or None, optional
        Passed to :func:`open` for text modes.

    Yields
    ------
    file object
        The open temporary file.

    Examples
    --------
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_write(target) as fh:
    ...     _ = fh.write("hello\\n")
    >>> open(target).read()
    'hello\\n'
    """
    if mode not in ("w", "wb", "x", "xb"):
        raise ValueError(f"mode must be one of 'w', 'wb', 'x', 'xb', got {mode!r}")
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {target!r}: directory {directory!r} does not exist")
    if os.path.isdir(target):
        raise IsADirectoryError(f"cannot write {target!r}: it is a directory")
    if mode.startswith("x") and os.path.exists(target):
        raise FileExistsError(f"cannot write {target!r}: file exists")
    binary = mode.endswith("b")

    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
    try:
        try:
            file_mode = os.stat(target).st_mode & 0o7777
        except OSError:
            file_mode = 0o666 & ~_current_umask()
        os.chmod(tmp, file_mode)
        if binary:
            fh: IO[Any] = os.fdopen(fd, "wb")
        else:
            fh = os.fdopen(fd, "w", encoding=encoding, newline=newline)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    try:
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Best-effort fsync of a directory so that a rename survives a crash."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        dfd = os.open(directory, flags)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dfd)


def _check_readable(path: PathLike) -> str:
    name = os.fspath(path)
    if not isinstance(name, str):
        name = os.fsdecode(name)
    if not os.path.exists(name):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", name)
    if os.path.isdir(name):
        raise IsADirectoryError(errno.EISDIR, "Expected a file but found a directory", name)
    return name


def is_gzip(path: PathLike) -> bool:
    """Whether ``path`` starts with the gzip magic bytes (whatever its suffix).

    Parameters
    ----------
    path : str or os.PathLike
        File to inspect.

    Returns
    -------
    bool

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "data.bin")
    >>> with gzip.open(p, "wt") as fh:
    ...     _ = fh.write("x")
    >>> is_gzip(p)
    True
    """
    name = _check_readable(path)
    with open(name, "rb") as fh:
        return fh.read(2) == _GZIP_MAGIC


class _GzipErrorTranslator(io.RawIOBase):
    """Raw stream over a :class:`gzip.GzipFile` that turns corruption into ``ValueError``."""

    def __init__(self, inner: gzip.GzipFile, name: str) -> None:
        super().__init__()
        self._inner = inner
        self.name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:  # type: ignore[override]
        try:
            return self._inner.readinto(buffer)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise ValueError(f"{self.name}: corrupt or truncated gzip data ({exc})") from exc

    def close(self) -> None:
        if not self.closed:
            try:
                self._inner.close()
            finally:
                super().close()


def open_binary(path: PathLike) -> io.BufferedReader:
    """Open a plain or gzip-compressed file for streaming binary reads.

    Compression is detected from the magic bytes, not the suffix. Corrupt or truncated gzip data
    raise :class:`ValueError` naming the file when they are reached.

    Parameters
    ----------
    path : str or os.PathLike
        File to open.

    Returns
    -------
    io.BufferedReader
        Decompressed byte stream; close it (or use it as a context manager) when done.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "data.gz")
    >>> with gzip.open(p, "wb") as fh:
    ...     _ = fh.write(b"abc")
    >>> with open_binary(p) as fh:
    ...     fh.read()
    b'abc'
    """
    name = _check_readable(path)
    raw = open(name, "rb")  # noqa: SIM115 - returned to the caller
    try:
        if raw.peek(2)[:2] == _GZIP_MAGIC:
            inner = gzip.GzipFile(fileobj=raw, mode="rb")
            stream = _GzipErrorTranslator(inner, name)
            # GzipFile does not close a fileobj it was given, so close it with the wrapper.
            return _ClosingBufferedReader(stream, raw)
    except BaseException:
        raw.close()
        raise
    return raw


class _ClosingBufferedReader(io.BufferedReader):
    """Buffered reader that also closes the underlying OS file of a gzip stream."""

    def __init__(self, raw: io.RawIOBase, owned: IO[bytes]) -> None:
        super().__init__(raw, buffer_size=1 << 16)
        self._owned = owned

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._owned.close()


class _TextReader(io.TextIOWrapper):
    """Text wrapper whose decoding errors are ``ValueError`` naming the file."""

    _path: str
    _encoding_name: str

    def _wrap(self, exc: UnicodeDecodeError) -> ValueError:
        return ValueError(
            f"{self._path}: not valid {self._encoding_name} text ({exc.reason}); "
            "pass errors='replace' to read it anyway"
        )

    def __next__(self) -> str:
        try:
            return super().__next__()
        except UnicodeDecodeError as exc:
            raise self._wrap(exc) from exc

    def read(self, size: int | None = -1) -> str:
        try:
            return super().read(size)
        except UnicodeDecodeError as exc:
            raise self._wrap(exc) from exc

    def readline(self, size: int = -1) -> str:  # type: ignore[override]
        try:
            return super().readline(size)
        except UnicodeDecodeError as exc:
            raise self._wrap(exc) from exc

    def readlines(self, hint: int = -1) -> list[str]:  # type: ignore[override]
        try:
            return super().readlines(hint)
        except UnicodeDecodeError as exc:
            raise self._wrap(exc) from exc


def open_text(
    path: PathLike, *, errors: str = "strict", encoding: str = "utf-8", newline: str | None = None
) -> io.TextIOWrapper:
    """Open a plain or gzip-compressed text file for streaming reads.

    Gzip is detected from the magic bytes, so a compressed file is read correctly whatever its
    name. A leading UTF-8 byte-order mark is skipped. The first few kilobytes are checked so that
    binary files fail early with a clear message; decoding errors found later while streaming
    also raise :class:`ValueError` naming the file.

    Parameters
    ----------
    path : str or os.PathLike
        File to open.
    errors : str, default "strict"
        Decoding error handler (``"strict"``, ``"replace"``, ``"ignore"``, ...).
    encoding : str, default "utf-8"
        Text encoding.
    newline : str or None, optional
        Newline handling as for :func:`open` (default: universal newlines).

    Returns
    -------
    io.TextIOWrapper
        A streaming text file object; close it (or use it as a context manager) when done.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file looks binary (contains NUL bytes near the start) or is not valid text in
        ``encoding`` (with ``errors="strict"``), or its gzip data are corrupt.

    Examples
    --------
    >>> import gzip, os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "lines.txt.gz")
    >>> with gzip.open(p, "wt", encoding="utf-8") as fh:
    ...     _ = fh.write("één\\ntwee\\n")
    >>> with open_text(p) as fh:
    ...     [line.rstrip("\\n") for line in fh]
    ['één', 'twee']
    """
    codec = codecs.lookup(encoding)
    codecs.lookup_error(errors)  # fail early on an unknown handler
    wide = codec.name.startswith(("utf-16", "utf-32"))
    binary = open_binary(path)
    name = _check_name(binary)
    try:
        head = binary.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]
        if not wide and b"\x00" in head:
            raise ValueError(f"{name}: looks like a binary file (NUL bytes), not {encoding} text")
        if errors == "strict":
            try:
                codecs.getincrementaldecoder(encoding)("strict").decode(head, final=False)
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"{name}: not valid {encoding} text ({exc.reason} at byte {exc.start}); "
                    "is it a binary file?"
                ) from exc
        text_encoding = "utf-8-sig" if codec.name == "utf-8" else encoding
        reader = _TextReader(binary, encoding=text_encoding, errors=errors, newline=newline)
    except BaseException:
        binary.close()
        raise
    reader._path = name
    reader._encoding_name = encoding
    return reader


def _check_name(stream: IO[bytes]) -> str:
    name = getattr(stream, "name", "<stream>")
    return name if isinstance(name, str) else str(name)
