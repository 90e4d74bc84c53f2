"""Tests for embedkit.contexts.fasta: streaming FASTA/FASTQ and in-memory sequence input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from embedkit import datasets
from embedkit.contexts.fasta import read_sequences

FASTA = (
    ">rec1 first record\n"
    "ACGTACGTAC\n"
    "gtacgtNNNN\n"
    "AC\n"
    "\n"
    "; a comment line\n"
    ">rec2\n"
    "TTTT\n"
    "\n"
    ">rec3 last\n"
    "ryk-ACG\n"
)
EXPECTED = [
    ("rec1 first record", b"ACGTACGTACgtacgtNNNNAC", 1),
    ("rec2", b"TTTT", 7),
    ("rec3 last", b"ryk-ACG", 10),
]

FASTQ = (
    "@read1 desc\n"
    "ACGTN\n"
    "+\n"
    "IIIII\n"
    "@read2\n"
    "ACG\n"
    "TT\n"
    "+read2\n"
    "@@I\n"  # quality may start with '@'
    "II\n"
    "\n"
    "@read3\n"
    "a\n"
    "+\n"
    "#\n"
)
EXPECTED_FQ = [("read1 desc", b"ACGTN", 1), ("read2", b"ACGTT", 5), ("read3", b"a", 12)]


def _write(path: Path, text: str, *, gz: bool = False, crlf: bool = False) -> Path:
    data = text.replace("\n", "\r\n") if crlf else text
    raw = data.encode("ascii")
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(raw)
    else:
        path.write_bytes(raw)
    return path


def _records(source) -> list[tuple[str, bytes, int]]:
    return [tuple(r) for r in read_sequences(source)]


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_fasta_wrapping_blank_lines_case_crlf_gzip(tmp_path: Path, gz: bool, crlf: bool) -> None:
    path = _write(tmp_path / ("x.fa.gz" if gz else "x.fa"), FASTA, gz=gz, crlf=crlf)
    assert _records(path) == EXPECTED
    assert _records(str(path)) == EXPECTED


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_fastq_single_and_multiline(tmp_path: Path, gz: bool, crlf: bool) -> None:
    path = _write(tmp_path / "r.fq", FASTQ, gz=gz, crlf=crlf)
    assert _records(path) == EXPECTED_FQ


def test_gzip_detected_by_content_not_suffix(tmp_path: Path) -> None:
    path = _write(tmp_path / "plain_name.fa", FASTA, gz=True)
    assert _records(path) == EXPECTED


def test_leading_blank_lines_and_no_final_newline(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.fa", "\n\n>a\nAC\nGT")
    assert _records(path) == [("a", b"ACGT", 3)]


def test_streams_record_by_record(tmp_path: Path) -> None:
    # A broken second record must not prevent reading the first: records are yielded lazily.
    path = _write(tmp_path / "x.fa", ">ok\nACGT\n>bad\n")
    it = read_sequences(path)
    assert next(it).seq == b"ACGT"
    with pytest.raises(ValueError, match="line 3: record 'bad' has no sequence"):
        next(it)


def test_bundled_tiny_fasta() -> None:
    recs = list(read_sequences(datasets.tiny_fasta_path()))
    assert [r.name.split()[0] for r in recs] == ["chr_a", "chr_b", "chr_c"]
    assert [len(r.seq) for r in recs] == [250, 271, 45]
    assert b"N" * 25 in recs[1].seq and any(c.islower() for c in recs[0].seq.decode())


def test_bundled_lambda_genome() -> None:
    (rec,) = list(read_sequences(datasets.lambda_genome_path()))
    assert len(rec.seq) == 48_502 and rec.name.startswith("gi|9626243")


# -- in-memory sources ---------------------------------------------------------------------------


def test_list_and_series_sources() -> None:
    assert _records(["acgt", b"GG", " TT\n"]) == [("0", b"acgt", 0), ("1", b"GG", 0),
                                                  ("2", b"TT", 0)]
    s = pd.Series(["AC", "GT"], index=["x", "y"])
    assert _records(s) == [("x", b"AC", 0), ("y", b"GT", 0)]


def test_memory_errors() -> None:
    with pytest.raises(TypeError, match="sequence '1' is of type int"):
        _records(["ACGT", 5])
    with pytest.raises(ValueError, match="non-ASCII"):
        _records(["ACGTé"])
    with pytest.raises(ValueError, match=r"sequence 'q': invalid symbol '1'"):
        _records(pd.Series(["AC1"], index=["q"]))
    with pytest.raises(TypeError, match="not a single bytes"):
        _records(b"ACGT")
    with pytest.raises(TypeError, match="iterable of str"):
        _records(42)


# -- bad files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("\n\n  \n", "the file is empty"),
        ("hello world\nACGT\n", r"line 1: not a FASTA or FASTQ file"),
        (">a\nACGT\n>b\n>c\nAC\n", r"line 3: record 'b' has no sequence"),
        (">a\nACGT\n>b\n\n", r"line 3: record 'b' has no sequence"),
        (">a\nAC\nAC3T\n", r"line 3 \(record 'a'\): invalid sequence symbol '3'"),
        (">a\nAC\x00T\n", r"line 2 \(record 'a'\): invalid sequence symbol byte 0x00"),
        ("@r\nACGT\nIIII\n", r"line 3: FASTQ record 'r' \(line 1\) ends before its '\+'"),
        ("@r\nACGT\n+\nIII\n", r"FASTQ record 'r' \(line 1\) has 3 quality values for 4 bases"),
        ("@r\nACGT\n+\nIIIII\n", r"line 4: FASTQ record 'r' has 5 quality values for 4"),
        ("@r\nAC\n+\nII\nAC\n+\nII\n", r"line 5: expected a FASTQ header starting with '@'"),
        ("@r\n+\n\n", r"line 1: record 'r' has no sequence"),
    ],
)
def test_bad_files_raise_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path / "bad.fa", text)
    with pytest.raises(ValueError, match=message) as info:
        _records(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_names_the_file(tmp_path: Path) -> None:
    full = _write(tmp_path / "full.fa.gz", ">a\n" + "ACGT" * 20_000 + "\n", gz=True)
    cut = tmp_path / "cut.fa.gz"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(ValueError, match=r"cut\.fa\.gz: corrupt or truncated gzip"):
        _records(cut)


def test_missing_path_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="looks like a DNA sequence"):
        _records("ACGTACGT")
    with pytest.raises(FileNotFoundError, match="sequence file not found"):
        _records(tmp_path / "nope.fa")
    with pytest.raises(ValueError, match="is a directory"):
        _records(tmp_path)
