"""Streaming sequence input: FASTA and FASTQ files (plain or gzip), or sequences in memory.

:func:`read_sequences` yields one :class:`SequenceRecord` at a time; a file is never read whole
into memory (only the current record is). Files are read as bytes, so no text decoding is paid
for; compression is detected from the gzip magic bytes, not the suffix.

Format rules (what a bioinformatician's tools accept):

* FASTA: a record starts at a line beginning with ``>``; the following lines up to the next
  header hold the sequence, wrapped at any width. ``;`` comment lines are skipped.
* FASTQ: ``@name``, one or more sequence lines, a ``+`` separator line, then quality lines
  until they are as long as the sequence.
* Windows (``\\r\\n``) line endings, blank lines and surrounding whitespace are tolerated;
  case is kept as in the file (the k-mer encoder is case-insensitive).
* Sequence lines may hold letters and the gap/stop symbols ``-``, ``.``, ``*``; anything else
  (digits, punctuation, binary bytes) is an error naming the record and line.

Errors are :class:`ValueError` naming the file, record and line: a file that is neither FASTA
nor FASTQ, an empty file, a record without sequence, a malformed FASTQ record, and truncated or
corrupt gzip data.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from embedkit._io import open_binary

__all__ = ["SequenceRecord", "SequenceSource", "read_sequences", "check_sequence_source"]

#: Bytes allowed in a sequence line: letters plus gap / stop symbols.
_ALLOWED = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1)) + b"-.*"


class SequenceRecord(NamedTuple):
    """One sequence.

    Attributes
    ----------
    name : str
        The header without ``>``/``@`` (files) or the item's index / Series label (memory).
    seq : bytes
        The sequence as bytes, line breaks removed, case as given.
    line : int
        1-based line number of the header in the file (0 for in-memory sequences).
    """

    name: str
    seq: bytes
    line: int


def _bad_symbol(data: bytes) -> str | None:
    """The first byte of ``data`` that is not allowed in a sequence, shown readably."""
    rest = data.translate(None, _ALLOWED)
    if not rest:
        return None
    b = rest[:1]
    return repr(b.decode("latin-1")) if 32 <= b[0] < 127 else f"byte 0x{b[0]:02x}"


class _Lines:
    """Numbered, stripped lines of a binary stream (blank lines are returned as ``b""``)."""

    def __init__(self, fh) -> None:
        self._fh = fh
        self.lineno = 0

    def next(self) -> bytes | None:
        raw = self._fh.readline()
        if not raw:
            return None
        self.lineno += 1
        return raw.strip()


_BLOCK = 1 << 20
_WHITESPACE = b" \t\r\n\v\f"


def _fasta_records(fh, lines: _Lines, name: str, first: bytes) -> Iterator[SequenceRecord]:
    """FASTA records, read in 1 MiB blocks: a record's body is cleaned with two C-level
    ``bytes.translate`` calls instead of a Python loop over its lines."""
    header: bytes | None = first
    header_line = lines.lineno
    pending = b""
    eof = False

    def more() -> bytes:
        nonlocal eof
        chunk = fh.read(_BLOCK)
        if not chunk:
            eof = True
        return chunk

    while header is not None:
        # the body runs up to the next line starting with '>'
        parts: list[bytes] = []
        if not pending and not eof:
            pending = more()
        at_start = True
        while True:
            if at_start and pending.startswith(b">"):
                cut = 0
                break
            cut = pending.find(b"\n>")
            if cut >= 0:
                cut += 1
                break
            if eof:
                break
            chunk = more()
            if chunk and pending:
                at_start = False
                parts.append(pending[:-1])
                pending = pending[-1:] + chunk
            elif chunk:
                pending = chunk
        if cut >= 0:
            parts.append(pending[:cut])
            pending = pending[cut:]
        else:
            parts.append(pending)
            pending = b""
        body = b"".join(parts)
        seq = _clean_body(body, name, header, header_line)
        if not seq:
            raise ValueError(
                f"{name}, line {header_line}: record {_label(header)!r} has no sequence"
            )
        yield SequenceRecord(_label(header), seq, header_line)
        if not pending:
            return
        header_line += 1 + body.count(b"\n")
        nl = pending.find(b"\n")
        while nl < 0 and not eof:
            pending += more()
            nl = pending.find(b"\n")
        if nl < 0:
            header, pending = pending.strip(), b""
        else:
            header, pending = pending[:nl].strip(), pending[nl + 1:]


def _clean_body(body: bytes, name: str, header: bytes, header_line: int) -> bytes:
    """Sequence bytes of a FASTA record body (line breaks and whitespace removed)."""
    if body.startswith(b";") or b"\n;" in body:  # comment lines: drop them line by line
        body = b"\n".join(b"" if ln.lstrip().startswith(b";") else ln
                          for ln in body.split(b"\n"))
    seq = body.translate(None, _WHITESPACE)
    if seq.translate(None, _ALLOWED):
        for offset, line in enumerate(body.split(b"\n"), 1):
            bad = _bad_symbol(line.translate(None, _WHITESPACE))
            if bad is not None:
                raise ValueError(
                    f"{name}, line {header_line + offset} (record {_label(header)!r}): invalid "
                    f"sequence symbol {bad}; FASTA sequence lines hold letters and '-', '.', "
                    "'*' only"
                )
    return seq


def _fastq_records(lines: _Lines, name: str, first: bytes) -> Iterator[SequenceRecord]:
    header: bytes | None = first
    while header is not None:
        header_line = lines.lineno
        if header[:1] != b"@":
            raise ValueError(
                f"{name}, line {header_line}: expected a FASTQ header starting with '@', got "
                f"{header[:30].decode('latin-1')!r}"
            )
        rec = _label(header)
        chunks: list[bytes] = []
        while True:
            line = lines.next()
            if line is None:
                raise ValueError(
                    f"{name}, line {lines.lineno}: FASTQ record {rec!r} (line {header_line}) "
                    "ends before its '+' separator line (truncated file?)"
                )
            if line[:1] == b"+":
                break
            bad = _bad_symbol(line)
            if bad is not None:
                raise ValueError(
                    f"{name}, line {lines.lineno} (record {rec!r}): invalid sequence symbol "
                    f"{bad} in a FASTQ sequence line"
                )
            chunks.append(line)
        seq = b"".join(chunks)
        if not seq:
            raise ValueError(f"{name}, line {header_line}: record {rec!r} has no sequence")
        n_qual = 0
        while n_qual < len(seq):
            line = lines.next()
            if line is None:
                raise ValueError(
                    f"{name}, line {lines.lineno}: FASTQ record {rec!r} (line {header_line}) has "
                    f"{n_qual} quality values for {len(seq)} bases (truncated file?)"
                )
            n_qual += len(line)
        if n_qual != len(seq):
            raise ValueError(
                f"{name}, line {lines.lineno}: FASTQ record {rec!r} has {n_qual} quality values "
                f"for {len(seq)} bases"
            )
        yield SequenceRecord(rec, seq, header_line)
        header = lines.next()
        while header is not None and not header:
            header = lines.next()


def _label(header: bytes) -> str:
    return header[1:].decode("utf-8", errors="replace").strip()


def _file_records(path: str) -> Iterator[SequenceRecord]:
    with open_binary(path) as fh:
        lines = _Lines(fh)
        first = lines.next()
        while first is not None and not first:
            first = lines.next()
        if first is None:
            raise ValueError(f"{path}: the file is empty (no FASTA or FASTQ records)")
        if first[:1] == b">":
            yield from _fasta_records(fh, lines, path, first)
        elif first[:1] == b"@":
            yield from _fastq_records(lines, path, first)
        else:
            shown = first[:30].decode("latin-1")
            raise ValueError(
                f"{path}, line {lines.lineno}: not a FASTA or FASTQ file (the first record must "
                f"start with '>' or '@', found {shown!r})"
            )


def _memory_records(items: Iterable, labels: Iterable | None) -> Iterator[SequenceRecord]:
    names = iter(labels) if labels is not None else None
    for i, item in enumerate(items):
        label = str(next(names)) if names is not None else str(i)
        if isinstance(item, str):
            try:
                seq = item.encode("ascii")
            except UnicodeEncodeError:
                raise ValueError(
                    f"sequence {label!r} contains non-ASCII characters; DNA sequences are "
                    "letters A, C, G, T (and IUPAC codes / N)"
                ) from None
        elif isinstance(item, (bytes, bytearray)):
            seq = bytes(item)
        else:
            raise TypeError(
                f"sequence {label!r} is of type {type(item).__name__}; each item must be a str "
                "(or bytes) holding one DNA sequence"
            )
        seq = seq.strip()
        bad = _bad_symbol(seq)
        if bad is not None:
            raise ValueError(
                f"sequence {label!r}: invalid symbol {bad}; sequences hold letters and "
                "'-', '.', '*' only"
            )
        yield SequenceRecord(label, seq, 0)


SequenceSource = str | os.PathLike | Iterable[str]


def check_sequence_source(source: object, *, reiterable: bool = True) -> object:
    """Validate a sequence source early, with a clear error; returns a normalised source.

    Paths become :class:`pathlib.Path` (the file must exist and be a file); pandas Series and
    re-iterables of strings are returned as they are.

    Parameters
    ----------
    source : str, os.PathLike, pandas.Series or iterable of str
        What :func:`read_sequences` accepts.
    reiterable : bool, default True
        Reject one-shot iterators (training reads the data once per epoch).

    Raises
    ------
    FileNotFoundError, TypeError, ValueError
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(os.fsdecode(os.fspath(source))).expanduser()
        if not path.exists():
            hint = ""
            if isinstance(source, str) and source and set(source.upper()) <= set("ACGTUN"):
                hint = " (it looks like a DNA sequence: pass a list of sequences instead)"
            raise FileNotFoundError(f"sequence file not found: '{path}'{hint}")
        if path.is_dir():
            raise ValueError(f"'{path}' is a directory; pass a FASTA or FASTQ file")
        return path
    if isinstance(source, (bytes, bytearray, memoryview)):
        raise TypeError(
            "pass DNA held in memory as a list of str (one sequence each), not a single "
            f"{type(source).__name__} object"
        )
    try:
        it = iter(source)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(
            "sequences must be a FASTA/FASTQ path, a pandas Series or an iterable of str, got "
            f"{type(source).__name__}"
        ) from None
    if reiterable and it is source:
        raise TypeError(
            f"sequences is a one-shot iterator ({type(source).__name__}): training reads the "
            "data once to count k-mers and once per epoch; pass a list, a pandas Series or a "
            "file path"
        )
    return source


def read_sequences(source: SequenceSource) -> Iterator[SequenceRecord]:
    """Stream the sequences of a FASTA/FASTQ file or an in-memory collection, one at a time.

    Parameters
    ----------
    source : str, os.PathLike, pandas.Series or iterable of str
        A FASTA or FASTQ file, plain or gzip-compressed (detected from the content); a pandas
        Series of strings (records are named by the index); or any iterable of strings.

    Yields
    ------
    SequenceRecord
        ``(name, seq, line)`` with ``seq`` as bytes.

    Raises
    ------
    ValueError
        Not FASTA/FASTQ, an empty file, a record without sequence, invalid symbols, a malformed
        FASTQ record, or truncated/corrupt gzip data; the message names file, record and line.

    Examples
    --------
    >>> [(r.name, r.seq) for r in read_sequences(["ACGT", "ggNNa"])]
    [('0', b'ACGT'), ('1', b'ggNNa')]
    """
    src = check_sequence_source(source, reiterable=False)
    if isinstance(src, Path):
        yield from _file_records(str(src))
        return
    labels = None
    index = getattr(src, "index", None)
    if index is not None and hasattr(src, "to_numpy"):  # pandas Series
        labels = list(index)
        src = src.to_numpy()
    yield from _memory_records(src, labels)  # type: ignore[arg-type]
