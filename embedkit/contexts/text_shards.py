"""Shards of a text corpus: one per file of a :class:`TextFiles` set, byte ranges of a plain
text file (lines whose first byte falls in the range), or slices of an in-memory list.

A gzip file is one shard (a gzip stream cannot be split).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embedkit._io import is_gzip
from embedkit.contexts.base import SHARD_TOKENS, Counts, SeqBatch
from embedkit.vocab import Vocab

__all__ = ["TextFiles", "TextShard", "text_shards"]


class TextFiles:
    """Several text files read as one corpus: a re-iterable of lines, sharded one per file.

    ``Word2Vec().fit(TextFiles([...]))`` trains on the concatenation on one machine too; the
    distributed fit counts and streams each file as its own shard.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> for name in "ab":
    ...     _ = open(os.path.join(d, name), "w").write(f"{name} x\\n")
    >>> list(TextFiles([os.path.join(d, "a"), os.path.join(d, "b")]))
    ['a x', 'b x']
    """

    def __init__(self, paths: Sequence[str | os.PathLike]) -> None:
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        self.paths = [Path(os.fspath(p)).expanduser() for p in paths]
        if not self.paths:
            raise ValueError("TextFiles needs at least one path")
        for p in self.paths:
            if not p.is_file():
                raise FileNotFoundError(f"text corpus file not found: '{p}'")

    def __iter__(self) -> Iterator[str]:
        from embedkit.contexts.text import file_lines

        for p in self.paths:
            yield from file_lines(str(p))

    def __repr__(self) -> str:
        return f"TextFiles({len(self.paths)} files)"


class _ByteRange:
    """Lines of a plain UTF-8 file whose first byte lies in ``[lo, hi)`` (re-iterable)."""

    def __init__(self, path: str, lo: int, hi: int) -> None:
        self.path, self.lo, self.hi = path, int(lo), int(hi)

    def __iter__(self) -> Iterator[str]:
        with open(self.path, "rb") as f:
            pos = self.lo
            if pos > 0:
                f.seek(pos - 1)
                if f.read(1) != b"\n":  # mid-line: that line belongs to the previous range
                    pos += len(f.readline())
            while pos < self.hi:
                line = f.readline()
                if not line:
                    return
                pos += len(line)
                if line.endswith(b"\n"):
                    line = line[:-1]
                try:
                    yield line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    start = pos - len(line) - 1
                    raise ValueError(
                        f"{self.path}: line at byte offset {start}: invalid UTF-8 ({exc.reason})"
                    ) from None

    def __repr__(self) -> str:
        return f"_ByteRange({self.path!r}, {self.lo}, {self.hi})"


class TextShard:
    """One text shard: a :class:`TextCorpus` over a file, byte range or list slice."""

    epoch_invariant = True  # text streams ignore (seed, epoch): cache across epochs

    def __init__(self, source: Any, options: dict) -> None:
        self.source = source
        self.options = options
        self._corpus = None

    @property
    def corpus(self):
        if self._corpus is None:
            from embedkit.contexts.text import TextCorpus

            self._corpus = TextCorpus(self.source, **self.options)
        return self._corpus

    def __getstate__(self):
        return {"source": self.source, "options": self.options, "_corpus": None}

    def count(self) -> Counts:
        counts: Counter = Counter()
        n = 0
        update = counts.update
        for tokens in self.corpus.sentences():
            update(tokens)
            n += len(tokens)
        keys = list(counts)
        return Counts(keys, np.fromiter(counts.values(), np.int64, len(keys)), n, (n,))

    def batches(self, vocab: Vocab, *, epoch: int, seed: int) -> Iterator[SeqBatch]:
        return self.corpus.batches(vocab, epoch=epoch, seed=seed)

    def __repr__(self) -> str:
        return f"TextShard({self.source!r})"


def text_shards(corpus, n_shards: int | None = None) -> list[TextShard]:
    """Shards of a :class:`~embedkit.contexts.text.TextCorpus` (see :func:`plan_shards`)."""
    options = {"tokenizer": corpus.tokenizer, "lowercase": corpus.lowercase,
               "batch_words": corpus.batch_words,
               "max_sentence_length": corpus.max_sentence_length,
               "cache_bytes": corpus.cache_bytes, "disk_cache": corpus.disk_cache,
               "tmp_dir": corpus.tmp_dir}  # (tmp_dir must exist on the workers too)
    if corpus.path is not None:
        path = corpus.path
        size = path.stat().st_size
        if is_gzip(path):
            return [TextShard(str(path), options)]  # a gzip stream cannot be split
        if n_shards is None:
            n_shards = max(1, -(-size // (SHARD_TOKENS * 6)))  # ~6 bytes per token
        if n_shards == 1:
            return [TextShard(str(path), options)]
        cuts = [size * s // n_shards for s in range(n_shards + 1)]
        return [TextShard(_ByteRange(str(path), a, b), options)
                for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]
    source = corpus.source
    if isinstance(source, TextFiles):
        return [TextShard(str(p), options) for p in source.paths]
    if isinstance(source, (list, tuple)) and n_shards and n_shards > 1:
        cuts = [len(source) * s // n_shards for s in range(n_shards + 1)]
        return [TextShard(list(source[a:b]), options)
                for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]
    return [TextShard(source, options)]
