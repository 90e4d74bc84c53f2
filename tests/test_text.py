"""Tests for embedkit.contexts.text: the tokenizer and the TextCorpus context generator."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from embedkit.contexts.base import ContextGenerator, SeqBatch
from embedkit.contexts.text import TextCorpus, default_tokenizer

# A small corpus with repeated words, punctuation and case, so min_count leaves unknowns.
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "The dog barks; the fox runs away!",
    "",
    "A quick brown dog? Yes, a quick brown dog.",
    "   ",
    "Foxes and dogs don't mix, said the farmer's wife.",
    "the end",
] * 7


def _tokens(sentences: list[str]) -> list[list[str]]:
    return [default_tokenizer(s) for s in sentences]


def _write(path: Path, lines: list[str], *, gz: bool = False, newline: str = "\n") -> Path:
    data = "".join(line + newline for line in lines).encode("utf-8")
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path


def _collect(corpus: TextCorpus, vocab, epoch: int = 0, seed: int = 0) -> list[SeqBatch]:
    return list(corpus.batches(vocab, epoch=epoch, seed=seed))


def _assert_same_batches(a: list[SeqBatch], b: list[SeqBatch]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.ids, y.ids)
        np.testing.assert_array_equal(x.offsets, y.offsets)
        assert x.n_raw == y.n_raw


def _build(corpus: TextCorpus, min_count: int = 1):
    return corpus.build_vocab(min_count=min_count, max_vocab_size=None, subsample=1e-3)


# ---------------------------------------------------------------------------------------------
# default_tokenizer
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Hello, World!", ["hello", "world"]),
        ("THE Cat SAT", ["the", "cat", "sat"]),
        ("Don't stop, it's fine", ["don't", "stop", "it's", "fine"]),
        ("'tis the dogs' bone", ["tis", "the", "dogs", "bone"]),
        ("rock''n 'quoted' ' lone", ["rock", "n", "quoted", "lone"]),
        ("don\u2019t curly", ["don't", "curly"]),
        ("a-b,c.d;e:f(g)h[i]j{k}l/m\\n|o", list("abcdefghijklmno")),
        ("rock-and-roll e-mail", ["rock", "and", "roll", "e", "mail"]),
        ("In 1999, 3.14 and 1,000 x2", ["in", "1999", "3", "14", "and", "1", "000", "x2"]),
        ("Café NAÏVE Straße", ["café", "naïve", "straße"]),
        ("東京 Ελλάδα Москва", ["東京", "ελλάδα", "москва"]),
        ("हिन्दी भाषा", ["हिन्दी", "भाषा"]),
        ("e\u0301te\u0301 decomposed", ["e\u0301te\u0301", "decomposed"]),
        ("__init__ ___ foo_bar _ _x", ["__init__", "foo_bar", "_x"]),
        ("tabs\tand\r\nnewlines\n", ["tabs", "and", "newlines"]),
        ("", []),
        (" \t\r\n ", []),
        ("?!... -- ''", []),
    ],
)
def test_default_tokenizer(line: str, expected: list[str]) -> None:
    assert default_tokenizer(line) == expected


def test_default_tokenizer_matches_bundled_normalisation() -> None:
    # On already-normalised text (lowercase ASCII words, in-word apostrophes) it equals split().
    lines = [
        "fellow citizens of the senate and house of representatives",
        "we don't know what tomorrow's 2 000 people will say",
        "the president's message of 1 000 words",
    ]
    for line in lines:
        assert default_tokenizer(line) == line.split()


def test_lowercase_false_keeps_case() -> None:
    corpus = TextCorpus(["The Cat", "the cat"], lowercase=False)
    assert list(corpus.sentences()) == [["The", "Cat"], ["the", "cat"]]


def test_lowercase_true_with_split_and_token_lists() -> None:
    assert list(TextCorpus(["A b"], tokenizer="split", lowercase=True)) == [["a", "b"]]
    assert list(TextCorpus([["A", 3]], lowercase=True)) == [["a", 3]]
    assert list(TextCorpus(["A b"], tokenizer="split")) == [["A", "b"]]


def test_custom_tokenizer_gets_line_without_newline(tmp_path: Path) -> None:
    seen: list[str] = []

    def tok(line: str) -> list[str]:
        seen.append(line)
        return line.split(",")

    path = _write(tmp_path / "c.txt", ["a,b", "c"], newline="\r\n")
    corpus = TextCorpus(path, tokenizer=tok)
    assert list(corpus.sentences()) == [["a", "b"], ["c"]]
    assert seen == ["a,b", "c"]


def test_bad_tokenizer_arguments() -> None:
    with pytest.raises(ValueError, match="tokenizer"):
        TextCorpus(["a"], tokenizer="whitespace")
    with pytest.raises(TypeError, match="tokenizer"):
        TextCorpus(["a"], tokenizer=42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="returned a str"):
        list(TextCorpus(["a b"], tokenizer=str.lower))
    with pytest.raises(TypeError, match="lowercase"):
        TextCorpus(["a"], lowercase="yes")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Sources give identical batches
# ---------------------------------------------------------------------------------------------


def test_is_context_generator() -> None:
    assert isinstance(TextCorpus(["a b"]), ContextGenerator)


def test_path_strings_and_token_lists_identical(tmp_path: Path) -> None:
    path = _write(tmp_path / "corpus.txt", SENTENCES)
    corpora = [
        TextCorpus(path, batch_words=40),
        TextCorpus(str(path), batch_words=40),
        TextCorpus(SENTENCES, batch_words=40),
        TextCorpus(tuple(SENTENCES), batch_words=40),
        TextCorpus(_tokens(SENTENCES), batch_words=40),
        TextCorpus([tuple(t) for t in _tokens(SENTENCES)], batch_words=40),
    ]
    vocabs = [_build(c, min_count=3) for c in corpora]
    for v in vocabs[1:]:
        assert v.index_to_key == vocabs[0].index_to_key
        np.testing.assert_array_equal(v.counts, vocabs[0].counts)
    reference = _collect(corpora[0], vocabs[0])
    assert len(reference) > 3
    for corpus in corpora[1:]:
        _assert_same_batches(_collect(corpus, vocabs[0]), reference)


def test_gzip_and_plain_identical(tmp_path: Path) -> None:
    plain = _write(tmp_path / "c.txt", SENTENCES)
    gz = _write(tmp_path / "c.txt.gz", SENTENCES, gz=True)
    no_suffix = _write(tmp_path / "c.data", SENTENCES, gz=True)  # detected by magic bytes
    ref = TextCorpus(plain, batch_words=50)
    vocab = _build(ref)
    for path in (gz, no_suffix):
        other = TextCorpus(path, batch_words=50)
        assert _build(other).index_to_key == vocab.index_to_key
        _assert_same_batches(_collect(other, vocab), _collect(ref, vocab))


@pytest.mark.parametrize("tokenizer", [None, "split"])
def test_windows_line_endings(tmp_path: Path, tokenizer: str | None) -> None:
    lines = ["alpha beta gamma", "", "beta gamma", "gamma"]
    unix = TextCorpus(_write(tmp_path / "unix.txt", lines), tokenizer=tokenizer)
    dos = TextCorpus(_write(tmp_path / "dos.txt", lines, newline="\r\n"), tokenizer=tokenizer)
    assert (
        list(dos.sentences())
        == list(unix.sentences())
        == [
            ["alpha", "beta", "gamma"],
            ["beta", "gamma"],
            ["gamma"],
        ]
    )
    vocab = _build(unix)
    assert _build(dos).index_to_key == vocab.index_to_key
    _assert_same_batches(_collect(dos, vocab), _collect(unix, vocab))


def test_utf8_bom_and_last_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffhello world\nlast line".encode())
    corpus = TextCorpus(path, tokenizer="split")
    assert list(corpus.sentences()) == [["hello", "world"], ["last", "line"]]


def test_non_string_tokens() -> None:
    corpus = TextCorpus([[1, 2, 3], (2, 3), [("node", 7), 2]])
    vocab = _build(corpus)
    assert vocab.index_to_key[0] == 2
    batch = next(corpus.batches(vocab, epoch=0, seed=0))
    assert batch.n_raw == 7
    assert batch.ids.size == 7


# ---------------------------------------------------------------------------------------------
# Long sentences
# ---------------------------------------------------------------------------------------------


def _long_line(n: int) -> str:
    return " ".join(f"w{i % 997}" for i in range(n))


def test_long_line_is_not_truncated(tmp_path: Path) -> None:
    # 25,000 tokens (~150k characters: longer than the 64k-character read chunk).
    path = _write(tmp_path / "long.txt", ["short one", _long_line(25_000), "tail"])
    corpus = TextCorpus(path, tokenizer="split", batch_words=1000)
    assert [len(s) for s in corpus.sentences()] == [2, 25_000, 1]
    vocab = _build(corpus)
    assert corpus.tokens_per_epoch(vocab) == 25_003
    lengths = np.concatenate([np.diff(b.offsets) for b in _collect(corpus, vocab)])
    assert lengths.tolist() == [2, 25_000, 1]


def test_long_token_list_is_not_truncated() -> None:
    tokens = _long_line(25_000).split()
    corpus = TextCorpus([tokens])
    vocab = _build(corpus)
    (batch,) = _collect(corpus, vocab)
    assert batch.offsets.tolist() == [0, 25_000]
    assert [vocab.index_to_key[i] for i in batch.ids[-3:]] == tokens[-3:]


def test_max_sentence_length_splits(tmp_path: Path) -> None:
    path = _write(tmp_path / "long.txt", [_long_line(25_000), "a b c"])
    corpus = TextCorpus(path, max_sentence_length=10_000, batch_words=100_000)
    assert [len(s) for s in corpus.sentences()] == [10_000, 10_000, 5_000, 3]
    vocab = _build(corpus)
    (batch,) = _collect(corpus, vocab)
    assert np.diff(batch.offsets).tolist() == [10_000, 10_000, 5_000, 3]
    assert batch.n_raw == 25_003
    # exact multiples leave no empty piece
    exact = TextCorpus([["x"] * 6], max_sentence_length=3)
    assert np.diff(_collect(exact, _build(exact))[0].offsets).tolist() == [3, 3]
    with pytest.raises(ValueError, match="max_sentence_length"):
        TextCorpus(["a"], max_sentence_length=0)


# ---------------------------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------------------------


def test_batch_sizes_and_n_raw() -> None:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(50)]
    sentences = [list(rng.choice(words, size=rng.integers(1, 30))) for _ in range(2000)]
    n_tokens = sum(map(len, sentences))
    corpus = TextCorpus(sentences, batch_words=1000)
    vocab = _build(corpus)
    batches = _collect(corpus, vocab)
    assert corpus.tokens_per_epoch(vocab) == n_tokens == sum(b.n_raw for b in batches)
    assert corpus.n_sentences == 2000
    for b in batches[:-1]:
        assert 1000 <= b.n_raw < 1000 + 30
    assert 0 < batches[-1].n_raw < 1030
    for b in batches:
        assert b.ids.dtype == np.int32 and b.offsets.dtype == np.int64
        assert b.offsets[0] == 0 and b.offsets[-1] == b.ids.size
        assert np.all(np.diff(b.offsets) > 0)
        assert b.ids.flags.c_contiguous


def test_unknown_tokens_dropped() -> None:
    corpus = TextCorpus(["a b rare1 a", "rare2 rare3", "b rare4 b"], batch_words=1000)
    vocab = _build(corpus, min_count=2)
    assert vocab.index_to_key == ["b", "a"]
    (batch,) = _collect(corpus, vocab)
    assert batch.ids.tolist() == [1, 0, 1, 0, 0]
    assert batch.offsets.tolist() == [0, 3, 5]  # the all-unknown sentence is omitted
    assert batch.n_raw == 9 == corpus.tokens_per_epoch(vocab)


def test_batch_of_only_unknown_tokens_still_reports_n_raw() -> None:
    corpus = TextCorpus(["zz yy", "a a a"], batch_words=1)
    vocab = _build(corpus, min_count=2)
    batches = _collect(corpus, vocab)
    assert [b.n_raw for b in batches] == [2, 3]
    assert batches[0].ids.size == 0 and batches[0].offsets.tolist() == [0]


def test_epochs_reiterate_identically(tmp_path: Path) -> None:
    for source in (_write(tmp_path / "c.txt.gz", SENTENCES, gz=True), SENTENCES):
        corpus = TextCorpus(source, batch_words=30)
        vocab = _build(corpus)
        first = _collect(corpus, vocab, epoch=0, seed=1)
        _assert_same_batches(_collect(corpus, vocab, epoch=1, seed=2), first)
        _assert_same_batches(_collect(corpus, vocab, epoch=5, seed=1), first)


def test_tokens_per_epoch_requires_build_vocab() -> None:
    corpus = TextCorpus(["a b"])
    with pytest.raises(RuntimeError, match="build_vocab"):
        corpus.tokens_per_epoch(None)  # type: ignore[arg-type]


def test_batch_words_validated() -> None:
    for bad in (0, -5, 1.5, True):
        with pytest.raises(ValueError, match="batch_words"):
            TextCorpus(["a"], batch_words=bad)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Input errors
# ---------------------------------------------------------------------------------------------


def test_one_shot_iterators_rejected(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="re-iterable"):
        TextCorpus(s for s in SENTENCES)
    with pytest.raises(TypeError, match="re-iterable"):
        TextCorpus(iter(SENTENCES))
    path = _write(tmp_path / "c.txt", SENTENCES)
    with open(path) as f, pytest.raises(TypeError, match="pass its path"):
        TextCorpus(f)


@pytest.mark.parametrize("source", [[], [""], ["", "   ", "\t"], [[], ()], ["?!", "--"]])
def test_empty_corpus(source: list) -> None:
    with pytest.raises(ValueError, match="corpus is empty"):
        _build(TextCorpus(source))


@pytest.mark.parametrize("content", [b"", b"\n\n\n", b"  \n\t\n\r\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    corpus = TextCorpus(path)
    with pytest.raises(ValueError, match=r"corpus is empty.*empty\.txt"):
        _build(corpus)


def test_all_below_min_count() -> None:
    with pytest.raises(ValueError, match="min_count"):
        _build(TextCorpus(["a b c"]), min_count=5)


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        TextCorpus(missing)
    with pytest.raises(FileNotFoundError, match="list of sentences"):
        TextCorpus("this is a sentence, not a file")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="directory"):
        TextCorpus(tmp_path)


@pytest.mark.parametrize(
    "content",
    [
        np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(64),
        b"good line\nsecond\x00line\n",
        gzip.compress(b"text\x00with nul\n"),
    ],
    ids=["random", "png", "nul", "gzip-nul"],
)
def test_binary_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "binary.bin"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"binary\.bin.*line \d+"):
        TextCorpus(path)


def test_binary_data_late_in_file_reports_line(tmp_path: Path) -> None:
    # Past the sniffed head, so the error surfaces while streaming, with its line number.
    good = b"some ordinary words here\n" * 5000
    for bad, what in ((b"caf\xe9 latin-1\n", "UTF-8"), (b"nul\x00byte\n", "NUL")):
        path = tmp_path / "late.txt"
        path.write_bytes(good + bad + b"more text\n")
        corpus = TextCorpus(path)
        with pytest.raises(ValueError, match=rf"late\.txt: line 5001 .*{what}"):
            _build(corpus)


def test_corrupt_gzip(tmp_path: Path) -> None:
    data = gzip.compress(("word " * 200_000).encode())
    path = tmp_path / "trunc.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"trunc\.gz"):
        _build(TextCorpus(path))


@pytest.mark.parametrize("source", [42, 3.5, None, object(), b"bytes/path.txt"])
def test_wrong_source_type(source: object) -> None:
    with pytest.raises(TypeError, match="source"):
        TextCorpus(source)  # type: ignore[arg-type]


def test_wrong_item_type() -> None:
    with pytest.raises(TypeError, match="sentence 1 .* type int"):
        _build(TextCorpus(["a b", 7]))
    with pytest.raises(TypeError, match="hashable"):
        _build(TextCorpus([[["a"], "b"]]))


def _as_lists(batches):
    return [(b.ids.tolist(), b.offsets.tolist(), b.n_raw) for b in batches]


def test_batches_from_the_counting_pass_equal_a_fresh_encoding(tmp_path):
    lines = [f"w{i % 7} w{i % 3} x{i} w{i % 5}" for i in range(400)]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(lines) + "\n")
    ref_corpus = TextCorpus(path, tokenizer="split", batch_words=97, cache_bytes=0)
    ref_vocab = ref_corpus.build_vocab(min_count=2)
    expected = _as_lists(ref_corpus.batches(ref_vocab))
    assert len(expected) > 3

    corpus = TextCorpus(path, tokenizer="split", batch_words=97)
    vocab = corpus.build_vocab(min_count=2)
    assert vocab.index_to_key == ref_vocab.index_to_key
    assert vocab.counts.tolist() == ref_vocab.counts.tolist()
    # stop after one batch: the rest of the counting pass's batches is dropped, and the
    # next epoch reads the file again
    it = corpus.batches(vocab)
    first = next(it)
    it.close()
    assert _as_lists([first]) == expected[:1]
    assert _as_lists(corpus.batches(vocab)) == expected
    assert _as_lists(corpus.batches(vocab)) == expected  # from the cache of encoded batches


def test_counting_pass_batches_follow_any_vocabulary():
    corpus = TextCorpus(["a b c a", "c c d", "b a"], tokenizer="split")
    corpus.build_vocab(min_count=1)
    other = TextCorpus(["c d", "d"], tokenizer="split").build_vocab(min_count=1)
    # the first epoch renumbers the provisional ids to whatever vocabulary it is given
    assert _as_lists(corpus.batches(other)) == [([1, 1, 1, 0], [0, 1, 4], 9)]
