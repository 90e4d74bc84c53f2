"""Tests for embedkit.contexts.kmers against the plain-Python references in naive_kmers."""

from __future__ import annotations

import gzip
import random
from collections import Counter
from pathlib import Path

import naive_kmers as naive
import numpy as np
import pytest
from scipy import stats

from embedkit import datasets
from embedkit.contexts.base import ContextGenerator
from embedkit.contexts.kmers import (
    KOFF,
    KmerCorpus,
    canonical_kmer,
    decode_keys,
    decode_kmer,
    encode_kmer,
    kmer_keys,
    reverse_complement,
)


def _random_seq(rng: random.Random, n: int, *, n_rate: float = 0.03) -> str:
    """Random DNA with lowercase stretches, N runs and IUPAC / gap symbols."""
    out = []
    while len(out) < n:
        r = rng.random()
        if r < n_rate:
            out.extend(rng.choice("NNNRYKM-") * rng.randint(1, 6))
        else:
            c = rng.choice("ACGT")
            out.append(c.lower() if r > 0.8 else c)
    return "".join(out[:n])


SEQS = [_random_seq(random.Random(i), n) for i, n in enumerate([300, 5, 1, 240, 97, 0, 400])]


def _counts(corpus: KmerCorpus, **kw) -> Counter:
    vocab = corpus.build_vocab(min_count=1, max_vocab_size=None, subsample=0.0, **kw)
    return Counter(dict(zip(vocab.index_to_key, vocab.counts.tolist(), strict=True)))


def _runs(corpus: KmerCorpus, vocab, epoch: int = 0, seed: int = 0) -> list[list[str]]:
    keys = vocab.index_to_key
    out = []
    for b in corpus.batches(vocab, epoch=epoch, seed=seed):
        for s in range(b.offsets.size - 1):
            out.append([keys[i] if i >= 0 else None for i in b.ids[b.offsets[s]:b.offsets[s + 1]]])
    return out


# -- encoding -------------------------------------------------------------------------------


def test_encode_decode_revcomp_match_naive() -> None:
    rng = random.Random(1)
    for k in list(range(1, 32)) * 4:
        kmer = "".join(rng.choice("ACGT") for _ in range(k))
        code = encode_kmer(kmer)
        assert code == naive.encode(kmer)
        assert decode_kmer(code, k) == naive.decode(code, k) == kmer
        assert reverse_complement(kmer) == naive.revcomp(kmer)
        assert canonical_kmer(kmer) == min(kmer, naive.revcomp(kmer))
        assert encode_kmer(kmer.lower()) == code


def test_keys_round_trip_across_lengths() -> None:
    rng = random.Random(2)
    kmers = ["".join(rng.choice("ACGT") for _ in range(rng.randint(1, 31))) for _ in range(500)]
    kmers += ["A", "T" * 31, "C"]
    keys = kmer_keys(kmers)
    assert decode_keys(keys) == kmers
    expected = [naive.encode(x) + sum(4**j for j in range(1, len(x))) for x in kmers]
    assert keys.tolist() == expected
    assert int(keys.max()) < 2**63 and KOFF[32] > KOFF[31]
    # keys of one length sort like the strings
    six = sorted({x[:6] for x in kmers if len(x) >= 6})
    assert np.all(np.diff(kmer_keys(six)) > 0)


def test_scalar_helper_errors() -> None:
    with pytest.raises(ValueError, match="non-ACGT"):
        encode_kmer("ACN")
    with pytest.raises(ValueError, match="length"):
        encode_kmer("A" * 32)
    with pytest.raises(ValueError, match="non-ACGT"):
        kmer_keys(["ACGT", "ANGT"])
    assert reverse_complement("acgRt") == "aNcgt"


# -- exact counting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        dict(k=1), dict(k=3), dict(k=6), dict(k=5, stride=2), dict(k=3, stride=7),
        dict(k=4, canonical=True), dict(k=6, reverse_complement=True),
        dict(k=13), dict(k=31), dict(k_range=(2, 5)), dict(k_range=(3, 6), canonical=True),
        dict(k=4, stride=3, canonical=True, reverse_complement=True),
    ],
)
def test_exact_counts_match_naive(kw: dict) -> None:
    corpus = KmerCorpus(SEQS, **kw)
    k_low, k_high = kw.get("k_range", (kw.get("k"), kw.get("k")))
    expected = naive.counts(SEQS, k_low, k_high, stride=kw.get("stride", 1),
                            canon=kw.get("canonical", False),
                            rc=kw.get("reverse_complement", False))
    assert _counts(corpus) == expected
    strands = 2 if kw.get("reverse_complement") else 1
    assert corpus.n_bases == strands * sum(map(len, SEQS))
    assert corpus.n_skipped_bases == strands * naive.skipped(SEQS)
    assert corpus.n_records == len(SEQS)


def test_counts_independent_of_segmentation() -> None:
    long = [_random_seq(random.Random(9), 5000)] + SEQS
    expected = naive.counts(long, 5, 5, stride=3)
    for batch_bases in (7, 100, 1001, 10**6):
        assert _counts(KmerCorpus(long, k=5, stride=3, batch_bases=batch_bases)) == expected


def test_canonical_is_min_of_kmer_and_revcomp() -> None:
    vocab = KmerCorpus(SEQS, k=5, canonical=True).build_vocab(min_count=1, subsample=0)
    assert all(x == min(x, naive.revcomp(x)) for x in vocab.index_to_key)
    plain = naive.counts(SEQS, 5)
    merged: Counter = Counter()
    for x, c in plain.items():
        merged[min(x, naive.revcomp(x))] += c
    assert dict(zip(vocab.index_to_key, vocab.counts.tolist(), strict=True)) == merged


def test_hash_path_for_large_k_and_min_count() -> None:
    # k=16: 4**16 keys, far above the direct-table limit -> sorted counting + hash lookup
    seqs = ["ACGTTGCAACGTTGCAACGTAAAC" * 3, "TTTTACGTTGCAACGTTGCAAC"]
    corpus = KmerCorpus(seqs, k=16)
    vocab = corpus.build_vocab(min_count=2, subsample=0)
    expected = {x: c for x, c in naive.counts(seqs, 16).items() if c >= 2}
    assert dict(zip(vocab.index_to_key, vocab.counts.tolist(), strict=True)) == expected
    keys = vocab.index_to_key
    seen = [x for r in _runs(corpus, vocab) for x in r if x is not None]
    assert Counter(seen) == Counter(expected)
    assert keys == sorted(keys, key=lambda x: (-expected[x], naive.encode(x)))


# -- runs: what the engine sees ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw", [dict(k=3), dict(k=4, stride=2), dict(k=2, stride=5), dict(k=5, canonical=True)]
)
def test_runs_match_naive_and_never_span_a_break(kw: dict) -> None:
    corpus = KmerCorpus(SEQS, max_sequence_length=17, **kw)
    vocab = corpus.build_vocab(min_count=1, subsample=0)
    expected = [r for s in SEQS for r in naive.runs(
        s, kw["k"], stride=kw.get("stride", 1), canon=kw.get("canonical", False), max_len=17)]
    got = _runs(corpus, vocab)
    assert got == expected
    for run in got:
        assert all(set(x) <= set("ACGT") for x in run)


def test_runs_cut_at_segments_and_n_raw_counts_bases() -> None:
    seq = _random_seq(random.Random(5), 3000, n_rate=0.005)
    corpus = KmerCorpus([seq], k=4, stride=2, batch_bases=500)
    vocab = corpus.build_vocab(min_count=1, subsample=0)
    batches = list(corpus.batches(vocab, epoch=0, seed=0))
    assert [b.n_raw for b in batches] == [500] * 6
    assert sum(b.n_raw for b in batches) == corpus.tokens_per_epoch(vocab) == 3000
    assert _runs(corpus, vocab) == naive.runs(seq, 4, stride=2, segment=500)


def test_out_of_vocabulary_kmers_get_minus_one() -> None:
    corpus = KmerCorpus(["AAAAAC"], k=2)
    vocab = corpus.build_vocab(min_count=2, subsample=0)
    assert vocab.index_to_key == ["AA"]
    (b,) = corpus.batches(vocab, epoch=0, seed=0)
    assert b.ids.tolist() == [0, 0, 0, 0, -1]


def test_n_run_breaks_sequence() -> None:
    corpus = KmerCorpus(["ACGTNNNNACGT", "ACGNT"], k=3)
    vocab = corpus.build_vocab(min_count=1, subsample=0)
    assert _runs(corpus, vocab) == [["ACG", "CGT"], ["ACG", "CGT"], ["ACG"]]
    assert corpus.n_skipped_bases == 5


# -- variable k ------------------------------------------------------------------------------


def test_variable_k_draws_are_valid_uniform_and_reproducible() -> None:
    seq = _random_seq(random.Random(3), 6000)
    corpus = KmerCorpus([seq], k_range=(3, 6))
    vocab = corpus.build_vocab(min_count=1, subsample=0)
    run0 = _runs(corpus, vocab, epoch=0, seed=11)
    assert run0 == _runs(corpus, vocab, epoch=0, seed=11)
    assert run0 != _runs(corpus, vocab, epoch=1, seed=11)
    assert run0 != _runs(corpus, vocab, epoch=0, seed=12)
    # one k-mer per valid position, the k-mer is the prefix of the K-base window there
    positions = naive.valid_positions(seq, 6, 1)
    flat = [x for r in run0 for x in r]
    assert len(flat) == len(positions)
    up = naive.clean(seq)
    assert all(up[p:p + 6].startswith(x) for p, x in zip(positions, flat, strict=True))
    # lengths uniform on 3..6 (chi-square)
    lengths = Counter(len(x) for x in flat)
    observed = [lengths[k] for k in range(3, 7)]
    assert stats.chisquare(observed).pvalue > 1e-3
    # the vocabulary holds every length
    assert {len(x) for x in vocab.index_to_key} == {3, 4, 5, 6}


# -- protocol, files, errors --------------------------------------------------------------------


def test_protocol_and_fasta_file(tmp_path: Path) -> None:
    path = tmp_path / "x.fa.gz"
    with gzip.open(path, "wt") as f:
        for i, s in enumerate(SEQS):
            f.write(f">r{i}\n" + "\n".join(s[j:j + 50] for j in range(0, len(s), 50)) + "\n")
    # the empty record (SEQS[5]) is an error in a file
    with pytest.raises(ValueError, match="record 'r5' has no sequence"):
        KmerCorpus(path, k=3).build_vocab(min_count=1)
    seqs = [s for s in SEQS if s]
    with gzip.open(path, "wt") as f:
        for i, s in enumerate(seqs):
            f.write(f">r{i}\n" + "\n".join(s[j:j + 50] for j in range(0, len(s), 50)) + "\n")
    corpus = KmerCorpus(path, k=4)
    assert isinstance(corpus, ContextGenerator)
    assert _counts(corpus) == naive.counts(seqs, 4)


def test_tiny_dataset_counts() -> None:
    from embedkit.contexts.fasta import read_sequences

    path = datasets.tiny_fasta_path()
    seqs = [r.seq.decode() for r in read_sequences(path)]
    corpus = KmerCorpus(path, k=6)
    assert _counts(corpus) == naive.counts(seqs, 6)
    assert corpus.n_skipped_bases == 28 and corpus.n_records == 3


@pytest.mark.parametrize(
    ("kw", "exc", "message"),
    [
        (dict(k=0), ValueError, r"k must be in 1..31, got 0"),
        (dict(k=32), ValueError, r"k must be in 1..31"),
        (dict(k=2.5), TypeError, "k must be an int"),
        (dict(stride=0), ValueError, "stride must be >= 1"),
        (dict(k_range=(5, 3)), ValueError, "k_low <= k_high"),
        (dict(k_range=5), TypeError, "k_range must be a pair"),
        (dict(k_range=(0, 3)), ValueError, r"k_range\[0\] must be in 1..31"),
        (dict(max_sequence_length=0), ValueError, "max_sequence_length"),
    ],
)
def test_bad_parameters(kw: dict, exc: type, message: str) -> None:
    with pytest.raises(exc, match=message):
        KmerCorpus(["ACGT"], **kw)


def test_bad_sources_and_empty_vocab() -> None:
    with pytest.raises(TypeError, match="one-shot iterator"):
        KmerCorpus(iter(["ACGT"]))
    with pytest.raises(ValueError, match="no valid k-mers found: 2 records, 7 bases, 2 non-ACGT"):
        KmerCorpus(["ACNG", "ACN"], k=3).build_vocab(min_count=1)
    with pytest.raises(ValueError, match="fewer than min_count=5"):
        KmerCorpus(["ACGTAC"], k=3).build_vocab(min_count=5)
    with pytest.raises(RuntimeError, match="build_vocab"):
        KmerCorpus(["ACGT"]).tokens_per_epoch(None)


def test_count_matrix_per_record_across_segments() -> None:
    rng = random.Random(6)
    seqs = [_random_seq(rng, 700), "", "ACGTN", _random_seq(rng, 300)]
    corpus = KmerCorpus(seqs, k=3, batch_bases=128, reverse_complement=True)
    X = corpus.count_matrix()
    assert X.shape == (4, 64)
    for i, s in enumerate(seqs):
        row = X.getrow(i)
        got = {decode_kmer(int(c), 3): int(v) for c, v in zip(row.indices, row.data, strict=True)}
        assert got == naive.counts([s], 3, rc=True)
    vocab = KmerCorpus(seqs[:1], k_range=(2, 3)).build_vocab(min_count=2, subsample=0)
    Xv = KmerCorpus(seqs, k_range=(2, 3), batch_bases=50).count_matrix(vocab=vocab)
    for i, s in enumerate(seqs):
        expected = {x: c for x, c in naive.counts([s], 2, 3).items() if x in vocab}
        row = Xv.getrow(i)
        got = {vocab.index_to_key[c]: int(v) for c, v in zip(row.indices, row.data, strict=True)}
        assert got == expected


def test_count_matrix_segments() -> None:
    seqs = ["ACGTACGTTT", "AC", "GGGGCCCCAAAATTTT"]
    X = KmerCorpus(seqs, k=2).count_matrix(segments=3)
    assert X.shape == (9, 16)
    for i, s in enumerate(seqs):
        bounds = [j * len(s) // 3 for j in range(3)] + [len(s)]
        for j in range(3):
            row = X.getrow(3 * i + j)
            got = {decode_kmer(int(c), 2): int(v)
                   for c, v in zip(row.indices, row.data, strict=True)}
            assert got == naive.counts([s[bounds[j]:bounds[j + 1] + 1]], 2)
    np.testing.assert_array_equal(
        X.toarray().reshape(3, 3, 16).sum(axis=1), KmerCorpus(seqs, k=2).count_matrix().toarray())
    with pytest.raises(ValueError, match="reverse_complement"):
        KmerCorpus(seqs, k=2, reverse_complement=True).count_matrix(segments=2)
    with pytest.raises(ValueError, match="segments must be >= 1"):
        KmerCorpus(seqs, k=2).count_matrix(segments=0)
