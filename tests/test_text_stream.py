"""The on-disk id stream of TextCorpus: exact round trip, removal, and clear errors."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

from embedkit import Word2Vec
from embedkit.cli import main
from embedkit.contexts import textstream
from embedkit.contexts.text import TextCorpus


@pytest.fixture
def corpus_file(tmp_path):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    p = rng.zipf(1.3, 20_000) % len(words)
    lines, k = [], 0
    while k < p.size:
        n = int(rng.integers(0, 40))
        lines.append(" ".join(words[i] for i in p[k:k + n]))
        k += n
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def _open_stream_fds(directory) -> list[str]:
    """This process's open files that live (or lived, unlinked) in ``directory``."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(directory) + os.sep):
            out.append(target)
    return out


def _batches(corpus, vocab):
    return [(b.ids.copy(), b.offsets.copy(), b.n_raw) for b in corpus.batches(vocab)]


def test_id_stream_round_trips_exactly(corpus_file, tmp_path):
    spill = tmp_path / "spill"
    spill.mkdir()
    disk = TextCorpus(corpus_file, batch_words=500, cache_bytes=4096, tmp_dir=spill)
    plain = TextCorpus(corpus_file, batch_words=500, cache_bytes=0, disk_cache=False)
    vd = disk.build_vocab(min_count=3)
    vp = plain.build_vocab(min_count=3)
    assert vd.index_to_key == vp.index_to_key and np.array_equal(vd.counts, vp.counts)
    assert disk.id_stream_bytes > 10 * 4096  # most of the corpus went to disk
    assert plain.id_stream_bytes == 0
    assert os.listdir(spill) == []  # unlinked at once: never visible
    assert len(_open_stream_fds(spill)) == 1  # ... but open
    ref = _batches(plain, vp)
    for _ in range(2):  # every epoch reads the same stream back
        got = _batches(disk, vd)
        assert len(got) == len(ref)
        for (a, b, c), (x, y, z) in zip(got, ref, strict=True):
            np.testing.assert_array_equal(a, x)
            np.testing.assert_array_equal(b, y)
            assert c == z
    disk.close()
    assert _open_stream_fds(spill) == []
    assert _batches(disk, vd)[0][2] == ref[0][2]  # after close(): reads the text again


def test_fit_with_id_stream_equals_fit_without_and_removes_it(corpus_file, tmp_path):
    spill = tmp_path / "spill"
    spill.mkdir()

    def fit(corpus):
        return Word2Vec(dim=8, epochs=2, min_count=2, threads=1, random_state=3,
                        progress=False).fit(corpus).embeddings_.vectors

    a = fit(TextCorpus(corpus_file, cache_bytes=1024, tmp_dir=spill))
    assert _open_stream_fds(spill) == []  # training closed the stream: space freed
    b = fit(TextCorpus(corpus_file, cache_bytes=0, disk_cache=False))
    c = fit(str(corpus_file))  # the default: everything in the memory budget
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_missing_or_unwritable_directory_fails_before_training(corpus_file, tmp_path,
                                                               monkeypatch):
    model = Word2Vec(dim=8, epochs=1, min_count=1, progress=False)
    with pytest.raises(FileNotFoundError, match="tmp_dir"):
        model.fit(TextCorpus(corpus_file, cache_bytes=1024, tmp_dir=tmp_path / "nope"))
    assert not hasattr(model, "embeddings_")

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(textstream.tempfile, "TemporaryFile", denied)
    with pytest.raises(OSError, match="not writable.*tmp_dir=.*disk_cache=False") as info:
        model.fit(TextCorpus(corpus_file, cache_bytes=1024, tmp_dir=tmp_path))
    assert info.value.errno == errno.EACCES
    assert not hasattr(model, "embeddings_")
    # in-memory sources open the file only when they outgrow the budget: same error
    lines = corpus_file.read_text().splitlines()
    with pytest.raises(OSError, match="not writable"):
        TextCorpus(lines, cache_bytes=1024, tmp_dir=tmp_path).build_vocab(min_count=1)
    # without the disk cache nothing is written, so nothing fails
    TextCorpus(corpus_file, cache_bytes=1024, disk_cache=False,
               tmp_dir=tmp_path).build_vocab(min_count=1)


def test_full_disk_fails_before_training(corpus_file, tmp_path, monkeypatch):
    model = Word2Vec(dim=8, epochs=1, min_count=1, progress=False)

    class Usage:
        free = 100

    monkeypatch.setattr(textstream.shutil, "disk_usage", lambda d: Usage)
    with pytest.raises(OSError, match="needs about .* MiB .* 0 MiB free") as info:
        model.fit(TextCorpus(corpus_file, cache_bytes=1024, tmp_dir=tmp_path))
    assert info.value.errno == errno.ENOSPC
    monkeypatch.undo()

    calls = []
    real_pwrite = os.pwrite

    def full(fd, data, offset):  # the disk fills up after two records
        calls.append(offset)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(textstream.os, "pwrite", full)
    corpus = TextCorpus(corpus_file, batch_words=200, cache_bytes=1024, tmp_dir=tmp_path)
    with pytest.raises(OSError, match="directory is full") as info:
        model.fit(corpus)
    assert info.value.errno == errno.ENOSPC
    assert not hasattr(model, "embeddings_")
    assert _open_stream_fds(tmp_path) == []  # the partial stream was released


def test_reader_options_are_checked():
    with pytest.raises(TypeError, match="disk_cache"):
        TextCorpus(["a b"], disk_cache="yes")
    with pytest.raises(TypeError, match="tmp_dir"):
        TextCorpus(["a b"], tmp_dir=3)
    with pytest.raises(ValueError, match="cache_bytes"):
        TextCorpus(["a b"], cache_bytes=-1)


def test_cli_reader_options(corpus_file, tmp_path):
    out = tmp_path / "v.npz"
    spill = tmp_path / "spill"
    spill.mkdir()
    base = ["train", "text", str(corpus_file), "-o", str(out), "--dim", "8", "--epochs", "1",
            "--min-count", "2", "--threads", "1", "--no-progress", "--split"]
    assert main(base + ["--tmp-dir", str(spill), "--cache-mb", "0.001"]) == 0 and out.exists()
    assert main(base + ["--no-disk-cache"]) == 0
    assert main(base + ["--tmp-dir", str(tmp_path / "nope"), "--cache-mb", "0"]) == 1


def test_memory_held_by_the_corpus_is_bounded_by_the_budget(corpus_file, tmp_path):
    """What the reader keeps is capped by cache_bytes at any corpus size; the rest is on disk.

    (Peak RSS of whole fits at 7M, 50M and 98M tokens is measured by benchmarks/scale.py: on a
    shared machine a process-level RSS test would not be reliable.)
    """
    big = tmp_path / "big.txt"
    big.write_text(corpus_file.read_text() * 8)
    budget = 64 * 1024
    held = {}
    for path in (corpus_file, big):
        c = TextCorpus(path, batch_words=1000, cache_bytes=budget, tmp_dir=tmp_path)
        v = c.build_vocab(min_count=1)
        stream = c._counted[1]
        held[path] = sum(a.nbytes + b.nbytes for a, b, _ in stream.memory)
        assert held[path] <= budget
        assert stream.on_disk and c.id_stream_bytes >= 4 * c.n_raw_tokens
        peak_batch = max(b.ids.nbytes + b.offsets.nbytes for b in c.batches(v))
        assert peak_batch < 4 * 1000 * 4  # epochs hold one batch at a time, not the corpus
        c.close()
    assert held[big] <= budget and held[corpus_file] <= budget
