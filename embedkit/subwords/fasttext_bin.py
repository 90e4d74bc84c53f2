"""Read fastText's binary model format (``.bin``), as written by fastText and by gensim's
``save_facebook_model``: words, counts, and the input matrix with its n-gram buckets.

Layout (fastText >= 0.9, native little-endian): int32 magic ``793712314`` and version ``12``;
the arguments (int32 ``dim ws epoch min_count neg word_ngrams loss model bucket minn maxn
lr_update_rate``, float64 ``t``); the dictionary (int32 ``size nwords nlabels``, int64
``ntokens pruneidx_size``; per entry a NUL-terminated UTF-8 word, int64 count, int8 type; then
``pruneidx_size`` int32 pairs); a bool ``quant``; the input matrix (int64 rows, int64 cols,
float32 data: ``nwords`` word rows then ``bucket`` n-gram rows); a bool and the output matrix.
Quantised (``.ftz``) and supervised models are not supported.
"""

from __future__ import annotations

import os
import struct
from typing import Any

import numpy as np

from embedkit.subwords.hashing import subword_table
from embedkit.subwords.vectors import SubwordEmbeddings, word_vectors

__all__ = ["FASTTEXT_MAGIC", "FASTTEXT_VERSION", "is_fasttext_bin", "load_fasttext_bin",
           "read_fasttext_bin"]

FASTTEXT_MAGIC = 793712314
FASTTEXT_VERSION = 12
_ARGS = ("dim", "ws", "epoch", "min_count", "neg", "word_ngrams", "loss", "model", "bucket",
         "minn", "maxn", "lr_update_rate")
_MAX_WORD_BYTES = 1 << 16


class _Reader:
    def __init__(self, fh, path: str) -> None:
        self.fh = fh
        self.path = path

    def fail(self, what: str) -> ValueError:
        return ValueError(f"{self.path!r} is not a valid fastText .bin file: {what}")

    def read(self, n: int, what: str) -> bytes:
        data = self.fh.read(n)
        if len(data) != n:
            raise self.fail(f"truncated while reading {what}")
        return data

    def unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack("<" + fmt, self.read(struct.calcsize("<" + fmt), what))

    def word(self) -> str:
        buf = bytearray()
        while True:
            c = self.fh.read(1)
            if not c:
                raise self.fail("truncated inside the dictionary")
            if c == b"\0":
                break
            buf += c
            if len(buf) > _MAX_WORD_BYTES:
                raise self.fail("a dictionary word is longer than 64 KiB (corrupt file)")
        return buf.decode("utf-8", errors="backslashreplace")

    def matrix(self, what: str, max_rows: int) -> np.ndarray:
        (quant,) = self.unpack("?", what)
        if quant:
            raise ValueError(f"{self.path!r}: quantised fastText models (.ftz) are not supported")
        m, n = self.unpack("2q", what)
        if not (0 <= m <= max_rows and 0 < n <= 100_000):
            raise self.fail(f"implausible {what} shape ({m}, {n})")
        out = np.empty((m, n), dtype=np.float32)
        got = self.fh.readinto(memoryview(out).cast("B"))
        if got != out.nbytes:
            raise self.fail(f"truncated in the {what} ({got} of {out.nbytes} bytes)")
        return out


def read_fasttext_bin(path: str | os.PathLike) -> dict[str, Any]:
    """The raw content of a fastText ``.bin``: ``args`` (dict), ``words``, ``counts``,
    ``input`` (float32, nwords + bucket rows) and ``output`` matrices.

    Raises
    ------
    ValueError
        For a file that is not a fastText model, is truncated or corrupt, or is quantised.
    """
    path = os.fspath(path)
    with open(path, "rb") as fh:
        r = _Reader(fh, path)
        magic, version = r.unpack("2i", "the header")
        if magic != FASTTEXT_MAGIC:
            raise r.fail(f"bad magic number {magic} (expected {FASTTEXT_MAGIC})")
        if version > FASTTEXT_VERSION:
            raise r.fail(f"unsupported format version {version}")
        args = dict(zip(_ARGS, r.unpack("12i", "the arguments"), strict=True))
        args["t"] = r.unpack("d", "the arguments")[0]
        size, nwords, nlabels = r.unpack("3i", "the dictionary header")
        _ntokens, prune = r.unpack("2q", "the dictionary header")
        if not (0 <= nwords <= size and nlabels >= 0 and size < 2**31 and -1 <= prune < 2**31):
            raise r.fail(f"implausible dictionary sizes (size {size}, nwords {nwords})")
        if args["dim"] <= 0 or args["bucket"] < 0 or args["minn"] < 0 or args["maxn"] < 0:
            raise r.fail(f"implausible arguments {args}")
        words: list[str] = []
        counts = np.zeros(nwords, dtype=np.int64)
        for e in range(size):
            w = r.word()
            count, kind = r.unpack("qb", "the dictionary")
            if e < nwords:
                if kind != 0:
                    raise r.fail("a label among the words (supervised models are unsupported)")
                words.append(w)
                counts[e] = count
        r.read(8 * max(prune, 0), "the pruned index")  # -1: not pruned
        inp = r.matrix("input matrix", nwords + args["bucket"] + 2**24)
        out = r.matrix("output matrix", size + 2**24)
        if fh.read(1):
            raise r.fail("trailing data after the output matrix")
    if inp.shape != (nwords + args["bucket"], args["dim"]):
        raise ValueError(f"{path!r}: input matrix shape {inp.shape} does not match "
                         f"{nwords} words + {args['bucket']} buckets of dim {args['dim']}")
    return {"args": args, "words": words, "counts": counts, "input": inp, "output": out}


def load_fasttext_bin(path: str | os.PathLike) -> SubwordEmbeddings:
    """Load a fastText ``.bin`` model as :class:`SubwordEmbeddings` (n-gram buckets kept).

    Word vectors are fastText's: the mean of the word row and its n-gram rows; unseen words
    are answered from the n-gram rows. The output matrix becomes ``context_vectors`` when it
    has one row per word (negative sampling).
    """
    raw = read_fasttext_bin(path)
    args, words, inp = raw["args"], raw["words"], raw["input"]
    n = len(words)
    maxn = args["maxn"] if args["bucket"] > 0 else 0
    indptr, rows = subword_table(words, max(args["minn"], 1), maxn, args["bucket"])
    out = raw["output"]
    ctx = out if out.shape == (n, args["dim"]) else None
    return SubwordEmbeddings(word_vectors(inp, indptr, rows), words, ngram_vectors=inp[n:],
                             minn=max(args["minn"], 1), maxn=maxn, context_vectors=ctx,
                             counts=raw["counts"])


def is_fasttext_bin(path: str | os.PathLike) -> bool:
    """Does ``path`` start with fastText's magic number (a fastText ``.bin``)?"""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return False
    return len(head) == 4 and struct.unpack("<i", head)[0] == FASTTEXT_MAGIC
