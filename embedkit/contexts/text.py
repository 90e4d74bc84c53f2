"""Text context generator: sentences of words, from a file or from memory.

:class:`TextCorpus` streams a corpus (a plain or gzip-compressed file with one sentence per line,
a list of strings, or a list of token lists) into vocabulary counts and :class:`SeqBatch` id
batches for the SGNS engine. Sentences are never truncated.
"""

from __future__ import annotations

import codecs
import os
import re
import sys
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from embedkit._io import open_binary, open_text
from embedkit.contexts.base import SeqBatch
from embedkit.contexts.textstream import (
    DEFAULT_CACHE_BYTES,
    FirstSeen,
    IdStream,
    estimate_id_bytes,
    vocab_encoder,
)
from embedkit.validation import check_positive_int as _check_positive_int
from embedkit.vocab import Vocab

__all__ = ["TextCorpus", "default_tokenizer"]

Tokenizer = Callable[[str], list[str]]
TextSource = str | os.PathLike | Iterable[str] | Iterable[Sequence[Hashable]]

# ---------------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------------

#: The token pattern of :func:`default_tokenizer` (``\w`` extended by combining marks).
TOKEN_PATTERN = r"\w+(?:'\w+)*"

# Python >= 3.11 has possessive quantifiers; they give the same matches here (nothing follows
# the group) but avoid backtracking bookkeeping, which makes ``findall`` ~1.5x faster.
_POSSESSIVE = "+" if sys.version_info >= (3, 11) else ""
_ASCII_FINDALL = re.compile(TOKEN_PATTERN + _POSSESSIVE, re.ASCII).findall
_unicode_findall: Callable[[str], list[str]] | None = None


def _combining_mark_ranges() -> str:
    """A regex character-class body covering Unicode combining marks (Mn, Mc, Me)."""
    parts: list[str] = []
    start = None
    # Marks live in planes 0-2 and 14 (variation selectors supplement).
    for lo, hi in ((0, 0x30000), (0xE0000, 0xE1000)):
        for cp in range(lo, hi + 1):
            is_mark = cp < hi and unicodedata.category(chr(cp)).startswith("M")
            if is_mark and start is None:
                start = cp
            elif not is_mark and start is not None:
                parts.append(f"\\U{start:08x}-\\U{cp - 1:08x}")
                start = None
    return "".join(parts)


def _findall_unicode(text: str) -> list[str]:
    global _unicode_findall
    if _unicode_findall is None:  # built on first use: scanning the Unicode tables takes ~40 ms
        w = f"[\\w{_combining_mark_ranges()}]"
        _unicode_findall = re.compile(f"{w}+(?:'{w}+)*{_POSSESSIVE}").findall
    return _unicode_findall(text)



def _tokenize_keep_case(line: str) -> list[str]:
    """:func:`default_tokenizer` without the lowercasing step."""
    if "\u2019" in line:
        line = line.replace("\u2019", "'")
    tokens = _ASCII_FINDALL(line) if line.isascii() else _findall_unicode(line)
    if "_" in line:
        tokens = [t for t in tokens if t.strip("_")]
    return tokens


def default_tokenizer(line: str) -> list[str]:
    """Split a line of text into lowercase word tokens.

    The exact procedure:

    1. ``line.lower()``;
    2. the typographic apostrophe U+2019 (``’``) becomes ``'``;
    3. tokens are the matches of ``re.findall(r"\\w+(?:'\\w+)*", line)``, where a word character
       ``\\w`` is a Unicode letter, digit or underscore as in Python's :mod:`re`, extended by
       the Unicode combining marks (categories Mn, Mc, Me) so that words in scripts such as
       Devanagari, or decomposed accents, stay whole;
    4. tokens made only of underscores are dropped.

    So every character that is not a word character splits tokens, except an apostrophe
    *between* two word characters: ``"don't"`` stays one token, ``"'tis"`` gives ``"tis"`` and
    ``"dogs'"`` gives ``"dogs"``. Digits are kept (``"1,000"`` gives ``"1"``, ``"000"``).
    On lowercase ASCII text this reproduces the normalisation of the bundled corpus; unlike
    that corpus, accents are kept (``"café"``) and underscores stay inside tokens.

    Parameters
    ----------
    line : str
        One sentence.

    Returns
    -------
    list of str

    Examples
    --------
    >>> default_tokenizer("Don't panic: it's 42 -- 'tis the café’s __init__!")
    ["don't", 'panic', "it's", '42', 'tis', 'the', "café's", '__init__']
    """
    return _tokenize_keep_case(line.lower())


def _split_lower(line: str) -> list[str]:
    return line.lower().split()


def _wrap_user_tokenizer(fn: Callable[[str], Iterable[str]], lowercase: bool) -> Tokenizer:
    """Make a user tokenizer safe: strip line endings, optional lowercasing, list output."""

    def tokenize(line: str) -> list[str]:
        if lowercase:
            line = line.lower()
        tokens = fn(line.rstrip("\r\n"))
        if isinstance(tokens, list):
            return tokens
        if isinstance(tokens, (str, bytes)):
            raise TypeError(
                f"the tokenizer returned a {type(tokens).__name__}, not a list of tokens: "
                f"{fn!r}({line[:40]!r}...) must return e.g. line.split()"
            )
        return list(tokens)

    return tokenize


def _resolve_tokenizer(
    tokenizer: str | Callable[[str], Iterable[str]] | None, lowercase: bool | None
) -> Tokenizer:
    if tokenizer is None:
        return _tokenize_keep_case if lowercase is False else default_tokenizer
    if isinstance(tokenizer, str):
        if tokenizer != "split":
            raise ValueError(
                f"tokenizer must be None, 'split' or a callable str -> list[str], got {tokenizer!r}"
            )
        return _split_lower if lowercase else str.split
    if callable(tokenizer):
        return _wrap_user_tokenizer(tokenizer, bool(lowercase))
    raise TypeError(
        "tokenizer must be None, 'split' or a callable str -> list[str], "
        f"got {type(tokenizer).__name__}"
    )


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------

_READ_CHARS = 1 << 16


def _locate_bad_bytes(path: str) -> tuple[int, str] | None:
    """Line number and description of the first NUL byte or invalid UTF-8 in a file, if any."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    line = 1
    try:
        with open_binary(path) as f:
            while block := f.read(1 << 16):
                nul = block.find(b"\x00")
                good = block if nul < 0 else block[:nul]
                pending = len(decoder.getstate()[0])
                try:
                    decoder.decode(good)
                except UnicodeDecodeError as exc:
                    pos = max(0, exc.start - pending)
                    byte = good[pos] if pos < len(good) else 0
                    what = f"invalid UTF-8 (byte 0x{byte:02x}: {exc.reason})"
                    return line + good[:pos].count(b"\n"), what
                if nul >= 0:
                    return line + good.count(b"\n"), "a NUL byte"
                line += block.count(b"\n")
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                return line, f"invalid UTF-8 at the end of the file ({exc.reason})"
    except (OSError, ValueError):
        return None
    return None


def _binary_file_error(path: str) -> ValueError | None:
    """A ValueError naming the file and its first binary/undecodable line (None if all fine)."""
    found = _locate_bad_bytes(path)
    if found is None:
        return None
    lineno, what = found
    return ValueError(
        f"{path}: line {lineno} contains {what}, so this is not UTF-8 text (a binary file, or "
        "text in another encoding?); TextCorpus reads UTF-8 text files, plain or gzip-compressed, "
        "one sentence per line"
    )


def _file_lines(path: str) -> Iterator[str]:
    """Stream the lines of a text file (split on ``\\n`` only; the ``\\n`` is removed).

    Reads 64k-character chunks and splits them in C, which is faster than line iteration; a
    line longer than a chunk is assembled without quadratic copying.
    """
    try:
        with open_text(path, newline="\n") as f:
            pending: list[str] = []
            while chunk := f.read(_READ_CHARS):
                if "\x00" in chunk:
                    raise ValueError(f"{path}: contains a NUL byte")
                if "\n" not in chunk:
                    pending.append(chunk)
                    continue
                lines = chunk.split("\n")
                if pending:
                    pending.append(lines[0])
                    lines[0] = "".join(pending)
                    pending = []
                tail = lines.pop()
                if tail:
                    pending.append(tail)
                yield from lines
            if pending:
                yield "".join(pending)
    except ValueError as exc:
        error = _binary_file_error(path)
        if error is None:
            raise
        raise error from exc


# ---------------------------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------------------------


class TextCorpus:
    """Sentences of words as a context generator for the SGNS engine.

    The source is streamed once to count words (:meth:`build_vocab`) and once per epoch to
    produce id batches (:meth:`batches`). Only the current batch is held in memory, and a file is
    re-opened for every pass.

    Parameters
    ----------
    source : str, os.PathLike, or re-iterable
        Either

        * a path to a text file with one sentence per line, plain or gzip-compressed
          (detected from the magic bytes, not the name), UTF-8;
        * a re-iterable of strings, each one sentence, tokenized with ``tokenizer``;
        * a re-iterable of token lists or tuples, used as they are (tokens may be any
          hashable values; ``tokenizer`` is ignored for them).

        Re-iterable means that ``iter(source)`` gives a fresh iterator each time (a list, a
        tuple, or an object whose ``__iter__`` starts over); one-shot generators and open file
        objects are rejected because training reads the corpus once per epoch.
    tokenizer : None, "split" or callable, optional
        How lines and strings become tokens. ``None`` uses :func:`default_tokenizer`
        (lowercase, words and in-word apostrophes). ``"split"`` is ``str.split`` (whitespace,
        no lowercasing): the fast choice for normalised corpora such as the bundled one. A
        callable ``str -> list[str]`` receives each line without its line ending.
    lowercase : bool, optional
        ``None`` (default) leaves case to the tokenizer (the default tokenizer lowercases,
        ``"split"`` and callables do not). ``True`` lowercases every line before tokenizing
        (and string tokens of token lists); ``False`` makes the default tokenizer keep case.
    batch_words : int, default 100_000
        Target number of raw tokens per :class:`SeqBatch`. Batches hold whole sentences, so
        they are slightly larger, and a single longer sentence makes a batch of its own.
    max_sentence_length : int, optional
        If given, sentences longer than this are split into consecutive pieces of at most this
        many tokens (context windows do not cross the cuts). Nothing is ever truncated: by
        default a sentence of any length is kept whole.
    cache_bytes : int, default 16 MiB
        Memory budget for keeping the *encoded* corpus (int32 ids and sentence lengths, about
        4 bytes per token) that the vocabulary pass produces, so that epochs skip reading,
        tokenizing and encoding. Beyond the budget the encoded corpus goes to the on-disk id
        stream (see ``disk_cache``), so resident memory does not grow with the corpus.
    disk_cache : bool, default True
        Write the encoded corpus beyond ``cache_bytes`` to a temporary file in ``tmp_dir``
        (about 4 bytes per token, written once by :meth:`build_vocab`, read back every epoch;
        the file is unlinked as soon as it is created, so it never shows in the directory and
        its space is freed by :meth:`close`, by garbage collection, or when the process ends).
        ``False`` re-reads and tokenizes the source every epoch instead (no disk space, but a
        Python reader that the kernel may wait for). Results are identical either way.
    tmp_dir : str or os.PathLike, optional
        Directory of the id stream; default :func:`tempfile.gettempdir` (``$TMPDIR``). An
        unwritable or missing directory, or one with too little free space for a file source,
        raises an ``OSError`` from :meth:`build_vocab`, before any training.

    Attributes
    ----------
    path : pathlib.Path or None
        The file read, for a path source.
    n_raw_tokens : int or None
        Tokens counted by :meth:`build_vocab` (``None`` before it ran).
    n_sentences : int or None
        Non-empty sentences (lines) counted by :meth:`build_vocab`.

    Notes
    -----
    Text has no random choices: ``epoch`` and ``seed`` of :meth:`batches` are accepted for the
    ContextGenerator protocol and ignored; every epoch streams the same batches. Out-of-vocabulary
    tokens are dropped while encoding (windows span the gap, as in word2vec) but still count in
    ``SeqBatch.n_raw``.

    Examples
    --------
    >>> corpus = TextCorpus(["The cat sat.", "The dog sat, too!"])
    >>> vocab = corpus.build_vocab(min_count=2, max_vocab_size=None, subsample=0.0)
    >>> vocab.index_to_key
    ['the', 'sat']
    >>> batch = next(corpus.batches(vocab, epoch=0, seed=0))
    >>> batch.ids.tolist(), batch.offsets.tolist(), batch.n_raw
    ([0, 1, 0, 1], [0, 2, 4], 7)
    """

    def __init__(
        self,
        source: TextSource,
        *,
        tokenizer: str | Callable[[str], Iterable[str]] | None = None,
        lowercase: bool | None = None,
        batch_words: int = 100_000,
        max_sentence_length: int | None = None,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        disk_cache: bool = True,
        tmp_dir: str | os.PathLike | None = None,
    ) -> None:
        if lowercase is not None and not isinstance(lowercase, bool):
            raise TypeError(f"lowercase must be True, False or None, got {lowercase!r}")
        _check_positive_int("batch_words", batch_words)
        _check_positive_int("max_sentence_length", max_sentence_length, allow_none=True)
        self._tokenize = _resolve_tokenizer(tokenizer, lowercase)
        self.tokenizer = tokenizer
        self.lowercase = lowercase
        self.batch_words = int(batch_words)
        self.max_sentence_length = None if max_sentence_length is None else int(max_sentence_length)
        if not isinstance(cache_bytes, (int, np.integer)) or cache_bytes < 0:
            raise ValueError(f"cache_bytes must be a non-negative int, got {cache_bytes!r}")
        self.cache_bytes = int(cache_bytes)
        if not isinstance(disk_cache, (bool, np.bool_)):
            raise TypeError(f"disk_cache must be True or False, got {disk_cache!r}")
        self.disk_cache = bool(disk_cache)
        if tmp_dir is not None and not isinstance(tmp_dir, (str, os.PathLike)):
            raise TypeError(f"tmp_dir must be a directory path or None, got {tmp_dir!r}")
        self.tmp_dir = None if tmp_dir is None else os.fspath(tmp_dir)
        self._cache: tuple[Vocab, list[SeqBatch]] | None = None
        # provisional ids from the counting pass: keys in first-seen order, encoded corpus
        self._counted: tuple[list, IdStream] | None = None
        self._remap: tuple[Vocab, np.ndarray] | None = None
        self.path: Path | None = None
        self._source: Iterable[str] | Iterable[Sequence[Hashable]] | None = None
        self.n_raw_tokens: int | None = None
        self.n_sentences: int | None = None

        if isinstance(source, (str, os.PathLike)):
            self.path = self._check_path(source)
        elif isinstance(source, (bytes, bytearray, memoryview)):
            raise TypeError(
                "source must be a path (str or os.PathLike) or a re-iterable of sentences, got "
                f"{type(source).__name__}; decode bytes first"
            )
        else:
            try:
                it = iter(source)
            except TypeError:
                raise TypeError(
                    "source must be a path (str or os.PathLike), a re-iterable of strings or a "
                    f"re-iterable of token lists, got {type(source).__name__}"
                ) from None
            if it is source:
                raise TypeError(
                    f"source is a one-shot iterator ({type(source).__name__}): training reads "
                    "the corpus once to count words and once per epoch, so it needs a "
                    "re-iterable source: a list, a file path, or an object whose __iter__ "
                    "returns a fresh iterator each time (for an open file, pass its path)"
                )
            self._source = source

    @staticmethod
    def _check_path(source: str | os.PathLike) -> Path:
        path = Path(os.fsdecode(os.fspath(source))).expanduser()
        if not path.exists():
            hint = ""
            if isinstance(source, str) and (" " in source or "\n" in source):
                hint = " (to train on text held in memory, pass a list of sentences)"
            raise FileNotFoundError(f"text corpus file not found: '{path}'{hint}")
        if path.is_dir():
            raise ValueError(
                f"'{path}' is a directory; TextCorpus reads one text file (one sentence per "
                "line), pass a file path"
            )
        name = str(path)
        try:  # open_text sniffs the first kilobytes: binary files fail here, not mid-training
            with open_text(name, newline="\n") as f:
                f.read(1)
        except ValueError as exc:
            error = _binary_file_error(name)
            if error is None:
                raise
            raise error from exc
        return path

    @property
    def source(self) -> Iterable[str] | Iterable[Sequence[Hashable]] | None:
        """The in-memory re-iterable this corpus reads (``None`` for a file: see ``path``)."""
        return self._source

    def shards(self, n_shards: int | None = None) -> list:
        """Split into shards for distributed training (the ``Shardable`` protocol).

        A plain text file splits into byte ranges (lines belong to the range holding their
        first byte), a :class:`~embedkit.contexts.text_shards.TextFiles` set into one shard per
        file, a list of sentences into slices; a gzip file or any other iterable is one shard.
        Each shard reads with this corpus's options (tokenizer, batching, reader caches).
        """
        from embedkit.contexts.text_shards import text_shards

        return text_shards(self, n_shards)

    def __repr__(self) -> str:
        src = f"'{self.path}'" if self.path is not None else f"<{type(self._source).__name__}>"
        return (
            f"TextCorpus({src}, tokenizer={self.tokenizer!r}, batch_words={self.batch_words}, "
            f"max_sentence_length={self.max_sentence_length})"
        )

    # -- streaming ------------------------------------------------------------------------

    def _raw_sentences(self) -> Iterator[Sequence[Hashable]]:
        """Non-empty token sequences, one per line / item, before ``max_sentence_length``."""
        tokenize = self._tokenize
        if self.path is not None:
            for line in _file_lines(str(self.path)):
                tokens = tokenize(line)
                if tokens:
                    yield tokens
            return
        assert self._source is not None
        lower_tokens = self.lowercase is True
        for i, item in enumerate(self._source):
            if isinstance(item, str):
                tokens = tokenize(item)
            elif isinstance(item, (list, tuple)):
                tokens = item
                if lower_tokens:
                    tokens = [t.lower() if isinstance(t, str) else t for t in item]
            else:
                raise TypeError(
                    f"sentence {i} of the source is of type {type(item).__name__}; each item "
                    "must be a string (a sentence) or a list/tuple of tokens"
                )
            if tokens:
                yield tokens

    def sentences(self) -> Iterator[Sequence[Hashable]]:
        """Stream the tokenized sentences, as the engine sees them before vocabulary lookup.

        Empty sentences are skipped and long ones are cut by ``max_sentence_length`` (if set).
        Token-list sources yield the caller's own list/tuple objects: do not modify them.

        Yields
        ------
        list or tuple of tokens

        Examples
        --------
        >>> list(TextCorpus(["a b c d e", ""], max_sentence_length=2).sentences())
        [['a', 'b'], ['c', 'd'], ['e']]
        """
        msl = self.max_sentence_length
        for tokens in self._raw_sentences():
            if msl is None or len(tokens) <= msl:
                yield tokens
            else:
                for start in range(0, len(tokens), msl):
                    yield tokens[start : start + msl]

    def __iter__(self) -> Iterator[Sequence[Hashable]]:
        """Same as :meth:`sentences`, so a corpus can feed any re-iterable consumer."""
        return self.sentences()

    # -- ContextGenerator protocol ----------------------------------------------------------

    def build_vocab(
        self, *, min_count: int = 5, max_vocab_size: int | None = None, subsample: float = 1e-3
    ) -> Vocab:
        """Count tokens in one streaming pass and build the vocabulary.

        Parameters
        ----------
        min_count : int, default 5
            Drop tokens seen fewer times.
        max_vocab_size : int, optional
            Keep only this many most frequent tokens.
        subsample : float, default 1e-3
            Frequent-token subsampling threshold stored on the vocabulary (0 disables it).

        Returns
        -------
        Vocab

        Raises
        ------
        ValueError
            If the corpus has no tokens, or none reaches ``min_count``.

        Examples
        --------
        >>> TextCorpus([["x", "y"], ["x"]]).build_vocab(min_count=1).index_to_key
        ['x', 'y']
        """
        # One pass tokenizes, counts and encodes: every distinct token gets a provisional id in
        # order of first appearance, the counts are bincounts of those ids, and the encoded
        # batches are kept (``cache_bytes`` in memory, the rest in the on-disk id stream) so
        # epochs only renumber them to the vocabulary's ids instead of reading and tokenizing
        # the corpus again.
        self.close()
        stream = IdStream(self.cache_bytes, self.disk_cache, self.tmp_dir)
        if self.path is not None and self.disk_cache:
            expected = estimate_id_bytes(str(self.path))
            if expected > self.cache_bytes:  # fail on a bad tmp_dir before reading anything
                stream.open(expected)
        index = FirstSeen()
        counts = np.zeros(0, dtype=np.int64)
        n_tokens = 0
        n_sentences = 0
        try:
            for ids, lengths, n_raw, n_sent in self._id_batches(index.encode):
                if len(index) > counts.size:
                    counts = np.concatenate((counts, np.zeros(len(index) - counts.size,
                                                              dtype=np.int64)))
                counts += np.bincount(ids, minlength=counts.size)
                n_tokens += n_raw
                n_sentences += n_sent
                stream.add(ids, lengths, n_raw)
        except TypeError as exc:
            stream.close()
            if "unhashable" not in str(exc):
                raise
            raise TypeError(f"tokens must be hashable values such as str: {exc}") from exc
        except BaseException:
            stream.close()
            raise
        if n_tokens == 0:
            stream.close()
            where = f"'{self.path}'" if self.path is not None else "the source"
            raise ValueError(
                f"cannot build a vocabulary: the corpus is empty (no tokens in {where})"
            )
        keys = list(index)
        vocab = Vocab.from_arrays(
            keys, counts, min_count=min_count, max_vocab_size=max_vocab_size, subsample=subsample
        )
        self.n_raw_tokens = n_tokens
        self.n_sentences = n_sentences
        if stream.complete and (stream.memory or stream.on_disk):
            self._counted = (keys, stream)
        else:
            stream.close()
        self._cache = None
        self._remap = None
        return vocab

    def close(self) -> None:
        """Release the encoded corpus (memory and the on-disk id stream).

        Training calls it when it is done; later epochs would read and tokenize the source
        again. Calling it twice is harmless.
        """
        if self._counted is not None:
            self._counted[1].close()
        self._counted = None
        self._cache = None
        self._remap = None

    @property
    def id_stream_bytes(self) -> int:
        """Bytes of the encoded corpus held in the on-disk id stream (0 if none)."""
        if self._counted is None or not self._counted[1].on_disk:
            return 0
        return int(self._counted[1].size)

    def tokens_per_epoch(self, vocab: Vocab) -> int:
        """Raw tokens per epoch (in- and out-of-vocabulary), as counted by :meth:`build_vocab`.

        Raises
        ------
        RuntimeError
            If :meth:`build_vocab` has not run on this corpus.

        Examples
        --------
        >>> c = TextCorpus(["a b", "c"])
        >>> c.tokens_per_epoch(c.build_vocab(min_count=1))
        3
        """
        del vocab  # the raw count does not depend on the vocabulary
        if self.n_raw_tokens is None:
            raise RuntimeError("call build_vocab() before tokens_per_epoch()")
        return self.n_raw_tokens

    def batches(self, vocab: Vocab, *, epoch: int = 0, seed: int = 0) -> Iterator[SeqBatch]:
        """Stream one epoch of sentences as id batches.

        Each batch holds whole sentences totalling at least ``batch_words`` raw tokens (the
        last one fewer). Tokens missing from ``vocab`` are dropped, sentences left empty are
        omitted, and ``n_raw`` counts every raw token, so the ``n_raw`` of an epoch sum to
        :meth:`tokens_per_epoch`.

        Parameters
        ----------
        vocab : Vocab
            Maps tokens to ids.
        epoch, seed : int
            Ignored: text streaming involves no randomness.

        Yields
        ------
        SeqBatch

        Examples
        --------
        >>> c = TextCorpus(["a b a", "b q"])
        >>> [b.ids.tolist() for b in c.batches(c.build_vocab(min_count=2))]
        [[0, 1, 0, 1]]
        """
        del epoch, seed
        if self._cache is not None and self._cache[0] is vocab:
            yield from self._cache[1]
            return
        kept: list[SeqBatch] | None = None
        if self._counted is not None:  # renumber the batches the counting pass encoded
            keys, stream = self._counted
            if self._remap is None or self._remap[0] is not vocab:
                get = vocab.key_to_index.get
                self._remap = (vocab, np.fromiter((get(k, -1) for k in keys), dtype=np.int32,
                                                  count=len(keys)))
            remap = self._remap[1]
            if stream.on_disk:  # read back every epoch: nothing grows in memory
                for ids, lengths, n_raw in stream:
                    yield _encode(remap[ids], lengths, n_raw)
                return
            # in memory: handed over, freed batch by batch as they are renumbered
            self._counted = None
            source = _renumbered(stream.memory, remap)
            kept = []
        else:
            source = (_encode(ids, lengths, n_raw) for ids, lengths, n_raw, _ in
                      self._id_batches(vocab_encoder(vocab.key_to_index)))
        for batch in source:
            if kept is not None:
                kept.append(batch)
            yield batch
        if kept is not None:
            self._cache = (vocab, kept)

    def _id_batches(
        self, encode: Callable[..., np.ndarray]
    ) -> Iterator[tuple[np.ndarray, np.ndarray, int, int]]:
        """``(ids, sentence lengths, raw tokens, raw sentences)`` per batch of whole sentences.

        ``encode`` maps tokens (and an optional count) to an int32 array. Sentences longer than
        ``max_sentence_length`` count as several (the cuts end context windows).
        """
        target = self.batch_words
        msl = self.max_sentence_length
        ids: list[Hashable] = []
        lengths: list[int] = []
        n_raw = 0
        n_sent = 0
        for tokens in self._raw_sentences():
            n = len(tokens)
            ids += tokens
            if msl is not None and n > msl:
                full, rest = divmod(n, msl)
                lengths += [msl] * full
                if rest:
                    lengths.append(rest)
            else:
                lengths.append(n)
            n_raw += n
            n_sent += 1
            if n_raw >= target:
                yield encode(ids, len(ids)), np.array(lengths, dtype=np.int64), n_raw, n_sent
                ids, lengths, n_raw, n_sent = [], [], 0, 0
        if n_raw:
            yield encode(ids, len(ids)), np.array(lengths, dtype=np.int64), n_raw, n_sent


def _renumbered(counted: list[tuple[np.ndarray, np.ndarray, int]],
                remap: np.ndarray) -> Iterator[SeqBatch]:
    """Yield the counting pass's batches in vocabulary ids, releasing each provisional batch.

    Peak memory then holds one copy of the encoded corpus, not two. If the consumer stops
    early, the rest is dropped and later epochs read the source again.
    """
    counted.reverse()
    while counted:
        ids, lengths, n_raw = counted.pop()
        yield _encode(remap[ids], lengths, n_raw)


def _encode(flat: np.ndarray, lens: np.ndarray, n_raw: int) -> SeqBatch:
    """Pack a batch's ids and sentence lengths into a SeqBatch, dropping ``-1`` ids and empty
    sentences."""
    keep = flat >= 0
    if not keep.all():
        sentence_of = np.repeat(np.arange(lens.size), lens)
        lens = np.bincount(sentence_of[keep], minlength=lens.size)
        flat = flat[keep]
    lens = lens[lens > 0]
    offsets = np.zeros(lens.size + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    return SeqBatch(flat, offsets, int(n_raw))

file_lines = _file_lines  # public name for embedkit.distributed.sharding
