"""Big-model loading (mmap=, limit=), the mappable .npz layout, and GloVe files."""

import gzip
import zipfile

import numpy as np
import pytest

from embedkit import Embeddings
from embedkit.npzmap import ALIGN, NpzArchive


def make(n=50, dim=6, seed=0, **kw):
    rng = np.random.default_rng(seed)
    return Embeddings(rng.normal(size=(n, dim)).astype(np.float32),
                      [f"w{i}" for i in range(n)], **kw)


def test_mmap_load_is_read_only_map_and_queries_work(tmp_path):
    rng = np.random.default_rng(1)
    emb = make(counts=np.arange(50, 0, -1), context_vectors=rng.normal(size=(50, 6)))
    path = tmp_path / "m.npz"
    emb.save(path)
    mapped = Embeddings.load(path, mmap=True)
    assert isinstance(mapped.vectors.base, np.memmap) or isinstance(mapped.vectors, np.memmap)
    assert not mapped.vectors.flags.writeable and not mapped.context_vectors.flags.writeable
    assert mapped.vectors.ctypes.data % ALIGN == 0  # data aligned in the file
    np.testing.assert_array_equal(mapped.vectors, emb.vectors)
    np.testing.assert_array_equal(mapped.context_vectors, emb.context_vectors)
    assert mapped.counts.tolist() == emb.counts.tolist()
    assert mapped.most_similar("w3", topn=5) == emb.most_similar("w3", topn=5)
    assert mapped.analogy("w1", "w2", "w3") == emb.analogy("w1", "w2", "w3")
    with pytest.raises(ValueError, match="read-only"):
        mapped.vectors[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        mapped["w1"][:] = 0
    # editing makes an in-memory copy and leaves the file alone
    mapped.add_vectors(["extra"], np.ones((1, 6)))
    assert mapped.vectors.flags.writeable
    np.testing.assert_array_equal(Embeddings.load(path).vectors, emb.vectors)
    # numpy itself still reads the archive
    with np.load(path) as data:
        np.testing.assert_array_equal(data["vectors"], emb.vectors)


def test_limit_reads_leading_rows(tmp_path):
    emb = make(counts=np.arange(50, 0, -1))
    emb.save(tmp_path / "m.npz")
    for mmap in (False, True):
        part = Embeddings.load(tmp_path / "m.npz", limit=7, mmap=mmap)
        assert part.index_to_key == emb.index_to_key[:7] and part.counts.tolist() == list(
            range(50, 43, -1))
        np.testing.assert_array_equal(part.vectors, emb.vectors[:7])
    assert len(Embeddings.load(tmp_path / "m.npz", limit=0)) == 0
    assert len(Embeddings.load(tmp_path / "m.npz", limit=500)) == 50
    with pytest.raises(ValueError, match="limit"):
        Embeddings.load(tmp_path / "m.npz", limit=-1)


def test_old_unaligned_and_compressed_files_still_load(tmp_path):
    """Files as np.savez wrote them before (stored, unaligned) load and map; compressed ones
    load but cannot be mapped (clear error)."""
    import json

    emb = make(n=10, dim=3)
    meta = {"format": "embedkit.Embeddings", "format_version": 1, "n_keys": 10, "dim": 3,
            "key_type": "str", "has_context_vectors": False, "has_counts": False}
    arrays = {"meta": np.frombuffer(json.dumps(meta).encode(), np.uint8),
              "keys": np.frombuffer(json.dumps(emb.index_to_key).encode(), np.uint8),
              "vectors": emb.vectors}
    np.savez(tmp_path / "old.npz", **arrays)
    np.savez_compressed(tmp_path / "zipped.npz", **arrays)
    for mmap in (False, True):
        old = Embeddings.load(tmp_path / "old.npz", mmap=mmap)
        np.testing.assert_array_equal(old.vectors, emb.vectors)
    np.testing.assert_array_equal(Embeddings.load(tmp_path / "zipped.npz", limit=4).vectors,
                                  emb.vectors[:4])
    with pytest.raises(ValueError, match="compressed and cannot be memory-mapped"):
        Embeddings.load(tmp_path / "zipped.npz", mmap=True)


def test_truncated_or_corrupt_files_give_clear_errors(tmp_path):
    path = tmp_path / "m.npz"
    make(n=400, dim=16).save(path)
    data = path.read_bytes()
    for cut in (len(data) // 3, len(data) - 30):
        bad = tmp_path / f"cut{cut}.npz"
        bad.write_bytes(data[:cut])
        for mmap in (False, True):
            with pytest.raises(ValueError, match=f"{bad.name} is not a valid .*truncated"):
                Embeddings.load(bad, mmap=mmap)
    # central directory intact but the vectors member cut short: rebuild such a file
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("vectors.npy")
    start = info.header_offset
    broken = bytearray(data)
    # claim 10x the rows in the .npy header of the member (same header length)
    header_at = broken.index(b"'shape': (400, 16)", start)
    broken[header_at:header_at + 18] = b"'shape': (999, 16)"
    bad = tmp_path / "lying.npz"
    bad.write_bytes(bytes(broken))
    with pytest.raises(ValueError, match="lying.npz is not a valid"):
        Embeddings.load(bad, mmap=True)
    with pytest.raises(ValueError, match="lying.npz is not a valid"):
        Embeddings.load(bad, limit=5)
    # never unpickled: an object member is refused
    np.savez(tmp_path / "obj.npz", meta=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="obj.npz is not a valid"):
        Embeddings.load(tmp_path / "obj.npz")


def test_npz_archive_alignment_and_prefix_reads(tmp_path):
    from embedkit.npzmap import write_npz

    arrays = {"a": np.arange(7, dtype=np.uint8), "b": np.arange(30.0).reshape(10, 3),
              "long_name_" * 5: np.arange(5, dtype=np.int64), "empty": np.zeros((0, 4))}
    with open(tmp_path / "x.npz", "wb") as fh:
        write_npz(fh, arrays)
    with NpzArchive(tmp_path / "x.npz") as z:
        assert sorted(z.files) == sorted(arrays)
        for name, arr in arrays.items():
            mapped = z.array(name, mmap=True)
            np.testing.assert_array_equal(mapped, arr)
            if arr.size:
                assert mapped.ctypes.data % ALIGN == 0
            np.testing.assert_array_equal(z.array(name, rows=2), arr[:2])
            assert z.header(name) == (arr.shape, arr.dtype)
        with pytest.raises(KeyError, match="nope"):
            z.array("nope")
    with pytest.raises(TypeError, match="object"):
        with open(tmp_path / "y.npz", "wb") as fh:
            write_npz(fh, {"o": np.array([None])})


# --------------------------------------------------------------------------------------------
# GloVe
# --------------------------------------------------------------------------------------------


def test_glove_round_trip_and_detection(tmp_path):
    emb = make(n=20, dim=4)
    for name in ("g.txt", "g.txt.gz"):
        path = tmp_path / name
        emb.save_word2vec_format(path, write_header=False)
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt") as fh:
            first = fh.readline().split()
        assert first[0] == "w0" and len(first) == 5  # no header line
        for no_header in (None, True):
            back = Embeddings.load_word2vec_format(path, no_header=no_header)
            assert back.index_to_key == emb.index_to_key
            np.testing.assert_array_equal(back.vectors, emb.vectors)
    part = Embeddings.load_word2vec_format(tmp_path / "g.txt", limit=3)
    assert part.index_to_key == ["w0", "w1", "w2"]
    # forcing a header on a GloVe file fails clearly
    with pytest.raises(ValueError, match="malformed word2vec header"):
        Embeddings.load_word2vec_format(tmp_path / "g.txt", no_header=False)
    with pytest.raises(ValueError, match="text format"):
        emb.save_word2vec_format(tmp_path / "b.bin", binary=True, write_header=False)
    # 1-D GloVe needs no_header=True (a key and one number looks like a broken header)
    (tmp_path / "one.txt").write_text("a 0.5\nb -1\n")
    assert Embeddings.load_word2vec_format(tmp_path / "one.txt", no_header=True)["b"] == [-1]


@pytest.mark.parametrize("content,match", [
    ("a 1 2 3\nb 1 2\nc 1 2 3\n", "line 2: expected 3 values for key 'b', got 2"),
    ("a 1 2 3\nb 1 2 3 4\n", "line 2: expected 3 values"),
    ("a 1 2 3\nb 1 x 3\n", "line 2: non-numeric value in the vector of 'b'"),
    ("a 1 2 3\n\nb\n", "line 3: malformed line"),
    ("a 1 2 3\na 1 2 3\n", "duplicate key 'a'"),
    ("a 1 2 3\nb 1 nan 3\n", "non-finite"),
])
def test_glove_malformed_rows_name_the_line(tmp_path, content, match):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        Embeddings.load_word2vec_format(path)


def test_glove_and_word2vec_files_interoperate_with_gensim(tmp_path):
    models = pytest.importorskip("gensim.models")
    emb = make(n=15, dim=5)
    kv = emb.to_gensim()
    # gensim writes, embedkit reads
    kv.save_word2vec_format(tmp_path / "gensim_glove.txt", write_header=False)
    kv.save_word2vec_format(tmp_path / "gensim_w2v.bin", binary=True)
    for name in ("gensim_glove.txt", "gensim_w2v.bin"):
        back = Embeddings.load_word2vec_format(tmp_path / name)
        assert back.index_to_key == emb.index_to_key
        np.testing.assert_allclose(back.vectors, emb.vectors, rtol=1e-6)
    # embedkit writes, gensim reads
    emb.save_word2vec_format(tmp_path / "ours_glove.txt", write_header=False)
    theirs = models.KeyedVectors.load_word2vec_format(tmp_path / "ours_glove.txt",
                                                      no_header=True)
    assert theirs.index_to_key == emb.index_to_key
    np.testing.assert_array_equal(theirs.vectors, emb.vectors)
