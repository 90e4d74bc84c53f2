"""FastText: fastText's hash and n-grams, unseen words, misspellings, .bin interop, parameters."""

from __future__ import annotations

import collections
import gzip
import itertools

import numpy as np
import pytest

from embedkit import Embeddings, FastText, Word2Vec
from embedkit.datasets import text_corpus_path
from embedkit.eval.unseen import drop_words, evaluate_unseen_inflections, inflection_holdout
from embedkit.subwords import SubwordEmbeddings, ft_hash, ngram_rows, ngrams, subword_table
from embedkit.subwords.fasttext_bin import load_fasttext_bin

WORDS = ["hello", "naïve", "日本語", "a", "été", "straße", "", "x" * 12, "ünïcödé-wörd"]

# Written out by hand from fastText's rules (n-grams of "<été>", 3..4 characters, by start then
# length; continuation bytes stay with their character) and its signed-byte FNV-1a.
HAND_NGRAMS = {("été", 3, 4): ["<ét", "<été", "été", "été>", "té>"],
               ("ab", 3, 6): ["<ab", "<ab>", "ab>"],
               ("a", 3, 6): ["<a>"]}
HAND_HASHES = {"": 2166136261, "a": 3826002220, "hello": 1335831723, "<ét": 1975908133,
               "été>": 4054196363, "日本": 4164387409}


def test_ngrams_and_hash_hand_written():
    for (w, lo, hi), grams in HAND_NGRAMS.items():
        assert ngrams(w, lo, hi) == [g.encode() for g in grams]
    for s, h in HAND_HASHES.items():
        assert ft_hash(s) == h == ft_hash(s.encode())


def test_ngrams_and_hash_match_gensim():
    inner = pytest.importorskip("gensim.models.fasttext_inner")
    for w in WORDS:
        for lo, hi in ((3, 6), (1, 3), (2, 2), (4, 8)):
            ref = inner.compute_ngrams_bytes(w, lo, hi)
            assert ngrams(w, lo, hi) == ref, (w, lo, hi)
            assert [ft_hash(g) for g in ref] == [inner.ft_hash_bytes(g) for g in ref]


@pytest.mark.parametrize("minn, maxn, buckets", [(3, 6, 2_000_000), (1, 1, 1000), (1, 6, 97),
                                                (2, 3, 7), (5, 5, 100), (3, 6, 0), (3, 0, 100)])
@pytest.mark.parametrize("block", [3, 1 << 17])
def test_subword_table_is_each_words_ngram_rows(minn, maxn, buckets, block, monkeypatch):
    """The vectorised table (all words hashed at once, in blocks) against the per-word
    definition: own row, then ``n + bucket`` of each n-gram in :func:`ngrams`' order."""
    import embedkit.subwords.hashing as hashing

    monkeypatch.setattr(hashing, "_BLOCK_WORDS", block)
    words = [*WORDS, "a", "ab", "😀x", "<", "a>b", "x" * 40, "é", "Ωmega", "日本語"]
    indptr, rows = subword_table(words, minn, maxn, buckets)
    n = len(words)
    assert indptr.dtype == np.int64 and rows.dtype == np.int32 and indptr[0] == 0
    for t, w in enumerate(words):
        expect = [t, *(ngram_rows(w, minn, maxn, buckets) + n)]
        assert rows[indptr[t]:indptr[t + 1]].tolist() == expect, (w, minn, maxn)
    assert indptr[-1] == rows.size
    empty = subword_table([], minn, maxn, buckets)
    assert empty[0].tolist() == [0] and empty[1].size == 0


@pytest.fixture(scope="module")
def corpus_lines():
    with gzip.open(text_corpus_path(), "rt") as fh:
        return list(itertools.islice(fh, 60000))


# Words the tests below query as known words: never held out (nor used as stems).
KEEP = {"government", "president", "university", "international", "development", "population",
        "community", "received", "especially", "between", "company", "banana", "river"}


@pytest.fixture(scope="module")
def inflections(corpus_lines):
    """(word, stem) pairs: inflections removed from the training text, stems kept."""
    counts = collections.Counter(t for line in corpus_lines for t in line.split())
    return inflection_holdout(counts, n=200, min_count=5, min_stem_count=20, exclude=KEEP)


@pytest.fixture(scope="module")
def model(corpus_lines, inflections):
    train = list(drop_words(corpus_lines, [w for w, _ in inflections]))
    return FastText(dim=64, epochs=3, min_count=3, buckets=50_000, random_state=0,
                    progress=False, threads=2, tokenizer="split").fit(train)


def test_unseen_word_is_the_mean_of_its_ngram_rows(model):
    emb = model.embeddings_
    assert isinstance(emb, SubwordEmbeddings) and emb.buckets == 50_000
    w = "unseenwordxyz"
    assert w not in emb
    rows = ngram_rows(w, 3, 6, 50_000)
    np.testing.assert_allclose(emb[w], emb.ngram_vectors[rows].mean(axis=0), rtol=1e-5,
                               atol=1e-7)
    # a known word: the mean of its own row and its n-gram rows (fastText's word vector)
    assert emb["government"].shape == (64,)
    assert np.isfinite(model.loss_history_).all()


MISSPELLINGS = [("presidnet", "president"), ("univeristy", "university"),
                ("internatonal", "international"), ("developement", "development"),
                ("populaton", "population"), ("comunity", "community"),
                ("recieved", "received"), ("especialy", "especially"),
                ("goverment", "government"), ("beween", "between"), ("compnay", "company")]


def _hits(emb):
    return sum(good in [w for w, _ in emb.most_similar(bad, topn=10)]
               for bad, good in MISSPELLINGS)


def test_misspellings_find_their_word_and_random_ngrams_do_not(model):
    emb = model.embeddings_
    assert all(good in emb and bad not in emb for bad, good in MISSPELLINGS)
    hits = _hits(emb)
    assert hits >= 5, hits
    rng = np.random.default_rng(0)
    control = SubwordEmbeddings(emb.vectors, emb.index_to_key,
                                ngram_vectors=rng.permutation(emb.ngram_vectors), minn=3, maxn=6)
    assert _hits(control) <= 1
    assert emb.similarity("presidnet", "president") > control.similarity("presidnet",
                                                                         "president")


def test_unseen_inflections_find_their_stem_and_meaning(model, inflections, corpus_lines):
    """Inflections never seen in training (their stems were): the stem is a near neighbour,
    and the word's cosines agree with those of a model that saw it (an untrained model's
    n-grams also put the stem near, but agree with nothing)."""
    emb = model.embeddings_
    assert len(inflections) == 200 and not any(w in emb for w, _ in inflections)
    ref = Word2Vec(dim=64, epochs=3, min_count=3, random_state=0, progress=False, threads=2,
                   tokenizer="split").fit(corpus_lines).embeddings_  # saw every word
    res = evaluate_unseen_inflections(emb, inflections, reference=ref)
    assert res.coverage == 1.0 and res.hits_at_10 >= 0.4, res  # measured 0.63
    assert res.mean_cosine > res.mean_cosine_other + 0.2, res
    assert res.n_agreement >= 150 and res.agreement >= 0.3, res  # measured 0.42
    rng = np.random.default_rng(0)
    permuted = SubwordEmbeddings(emb.vectors, emb.index_to_key,
                                 ngram_vectors=rng.permutation(emb.ngram_vectors), minn=3,
                                 maxn=6)
    bad = evaluate_unseen_inflections(permuted, inflections, reference=ref)
    assert bad.hits_at_10 <= 0.02 and bad.median_rank > 1000 and bad.agreement < 0.2, bad
    untrained = FastText(dim=64, epochs=1, min_count=3, buckets=50_000, random_state=0,
                         progress=False, threads=2, tokenizer="split", lr=1e-9, min_lr=1e-10,
                         ).fit(list(drop_words(corpus_lines, [w for w, _ in inflections])))
    bad = evaluate_unseen_inflections(untrained.embeddings_, inflections, reference=ref)
    assert bad.agreement < 0.1, bad  # measured 0.01 (its hits@10 is high: shared n-grams)
    plain = evaluate_unseen_inflections(Embeddings(emb.vectors, emb.index_to_key), inflections,
                                        reference=ref)
    assert plain.coverage == 0.0 and plain.hits_at_10 == 0.0 and plain.median_rank == np.inf
    assert np.isnan(plain.agreement) and plain.n_agreement == 0


def test_word_pairs_answer_oov_from_ngrams(model):
    emb = model.embeddings_
    pairs = [("president", "presidnet", 9.0), ("president", "banana", 1.0),
             ("university", "univeristy", 9.5), ("university", "river", 2.0),
             ("community", "comunity", 9.2), ("community", "zzzq", 0.5)]
    res = emb.evaluate_word_pairs(pairs)
    assert res.n_from_ngrams >= 3
    assert res.spearman > 0.5


def test_save_load_round_trip(model, tmp_path):
    emb = model.embeddings_
    p = tmp_path / "ft.npz"
    emb.save(p)
    back = SubwordEmbeddings.load(p)
    assert back.index_to_key == emb.index_to_key and (back.minn, back.maxn) == (3, 6)
    np.testing.assert_array_equal(back.ngram_vectors, emb.ngram_vectors)
    np.testing.assert_array_equal(back["presidnet"], emb["presidnet"])
    with np.load(p, allow_pickle=False) as z:
        assert "ngram_vectors" in z.files


def test_no_ngram_is_an_error():
    emb = SubwordEmbeddings(np.eye(2, dtype=np.float32), ["ab", "cd"],
                            ngram_vectors=np.ones((5, 2), np.float32), minn=3, maxn=0)
    with pytest.raises(KeyError, match="no character n-grams"):
        emb["zz"]


@pytest.fixture(scope="module")
def gensim_bin(tmp_path_factory):
    gensim_ft = pytest.importorskip("gensim.models.fasttext")
    sents = [["the", "cat", "sat", "on", "the", "mat"], ["the", "dög", "sät", "naïve"]] * 30
    g = gensim_ft.FastText(sents, vector_size=8, min_count=1, bucket=500, epochs=2, min_n=3,
                           max_n=5, seed=0, workers=1)
    path = tmp_path_factory.mktemp("bin") / "tiny.bin"
    gensim_ft.save_facebook_model(g, str(path))
    return g, path


def test_fasttext_bin_round_trip_with_gensim(gensim_bin):
    g, path = gensim_bin
    emb = load_fasttext_bin(path)
    assert emb.buckets == 500 and (emb.minn, emb.maxn) == (3, 5)
    assert set(emb.index_to_key) == set(g.wv.index_to_key)
    for w in ["cat", "dög", "naïve", "cats", "naïf", "unseenword"]:
        np.testing.assert_allclose(emb[w], g.wv[w], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(emb.ngram_vectors, g.wv.vectors_ngrams, rtol=0, atol=0)


@pytest.mark.parametrize("cut", [4, 30, 90, -100, -1])
def test_truncated_bin_is_a_clear_error(gensim_bin, tmp_path, cut):
    data = gensim_bin[1].read_bytes()
    p = tmp_path / "cut.bin"
    p.write_bytes(data[:cut])
    with pytest.raises(ValueError, match="truncated|not a valid fastText"):
        load_fasttext_bin(p)


def test_corrupt_bin_is_a_clear_error(gensim_bin, tmp_path):
    data = bytearray(gensim_bin[1].read_bytes())
    p = tmp_path / "bad.bin"
    p.write_bytes(b"\x00" * 4 + data[4:])
    with pytest.raises(ValueError, match="bad magic"):
        load_fasttext_bin(p)
    data[8:12] = (-5).to_bytes(4, "little", signed=True)  # dim
    p.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="not a valid fastText"):
        load_fasttext_bin(p)
    p.write_bytes(bytes(gensim_bin[1].read_bytes()) + b"junk")
    with pytest.raises(ValueError, match="trailing"):
        load_fasttext_bin(p)


@pytest.mark.parametrize("kw,match", [(dict(minn=0), "minn"), (dict(maxn=2), "maxn"),
                                      (dict(buckets=0), "buckets"), (dict(buckets=-1), "buckets"),
                                      (dict(dim=0), "dim")])
def test_bad_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        FastText(progress=False, **kw).fit([["a", "b"]] * 5)


def test_subwords_off_and_cbow_train():
    sents = [["the", "cat", "sat"], ["the", "dog", "sat"]] * 50
    m = FastText(dim=8, min_count=1, maxn=0, epochs=1, random_state=0, progress=False,
                 subsample=0, threads=1).fit(sents)
    assert m.embeddings_.buckets == 0
    with pytest.raises(KeyError):
        m.embeddings_["cow"]
    m = FastText(dim=8, min_count=1, sg=False, epochs=2, buckets=100, random_state=0,
                 progress=False, subsample=0, threads=1).fit(sents)
    assert np.isfinite(m.loss_history_).all() and m.embeddings_["cats"].shape == (8,)


def test_same_seed_one_thread_is_bit_identical():
    sents = [["the", "cat", "sat", "on", "a", "mat"]] * 40
    kw = dict(dim=8, min_count=1, epochs=1, buckets=200, random_state=3, progress=False,
              threads=1, subsample=0)
    a, b = FastText(**kw).fit(sents), FastText(**kw).fit(sents)
    np.testing.assert_array_equal(a.embeddings_.ngram_vectors, b.embeddings_.ngram_vectors)
    np.testing.assert_array_equal(a.embeddings_.vectors, b.embeddings_.vectors)


def test_cli_train_subwords_and_similar_unseen(tmp_path, capsys, gensim_bin):
    from embedkit.cli import main

    corpus = tmp_path / "c.txt"
    corpus.write_text("the president spoke to the presidents of the university\n" * 60)
    out = tmp_path / "ft.npz"
    assert main(["train", "text", str(corpus), "-o", str(out), "--subwords", "3", "6",
                 "--buckets", "2000", "--dim", "8", "--epochs", "1", "--min-count", "1",
                 "--no-progress", "--seed", "0", "--threads", "1"]) == 0
    capsys.readouterr()
    assert main(["similar", str(out), "presidnet", "-n", "3"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
    assert main(["similar", str(gensim_bin[1]), "cats", "-n", "2"]) == 0
    assert "cat" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="--subwords"):
        main(["train", "text", str(corpus), "-o", str(out), "--buckets", "5"])


@pytest.mark.parametrize("flag, shared", [(None, False), ("--per-pair-negatives", False),
                                           ("--shared-negatives", True)])
def test_cli_subwords_negatives_default_per_pair(flag, shared):
    """``train text --subwords`` follows FastText's default (per pair) unless told otherwise;
    without ``--subwords`` the text default stays shared."""
    from embedkit.cli import build_parser
    from embedkit.cli.text import _fasttext, sgns_params

    argv = ["train", "text", "c.txt", "-o", "o.npz", "--subwords", "3", "6"]
    args = build_parser().parse_args(argv + ([flag] if flag else []))
    assert _fasttext(args).shared_negatives is shared
    assert FastText().shared_negatives is False
    plain = build_parser().parse_args(["train", "text", "c.txt", "-o", "o.npz"])
    assert sgns_params(plain)["shared_negatives"] is True  # Word2Vec's default


def _init_vectors(words, dim=8, seed=1):
    rng = np.random.default_rng(seed)
    return Embeddings(rng.normal(size=(len(words), dim)).astype(np.float32), words)


INIT_SENTS = [["the", "cat", "sat", "on", "a", "mat"], ["the", "dog", "ran"]] * 30


def test_init_sets_word_vectors_ngrams_start_fresh():
    init = _init_vectors(["cat", "dog", "zebra"])
    kw = dict(dim=8, min_count=1, epochs=1, buckets=300, random_state=0, progress=False,
              threads=1, subsample=0, lr=1e-9, min_lr=1e-10)  # (almost) no training
    m = FastText(init=init, **kw).fit(INIT_SENTS)
    fresh = FastText(**kw).fit(INIT_SENTS)
    emb = m.embeddings_
    for w in ("cat", "dog"):  # the word vector (row mean) is init's vector
        np.testing.assert_allclose(emb[w], init[w], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(emb.ngram_vectors, fresh.embeddings_.ngram_vectors)
    np.testing.assert_array_equal(emb["the"], fresh.embeddings_["the"])
    assert m.get_params()["init"] is init
    trained = FastText(init=init, **{**kw, "lr": 0.05, "epochs": 3}).fit(INIT_SENTS)
    assert np.isfinite(trained.embeddings_.vectors).all()
    assert not np.allclose(trained.embeddings_["cat"], init["cat"])


def test_init_bad_input():
    kw = dict(dim=8, min_count=1, epochs=1, buckets=300, progress=False, threads=1)
    with pytest.raises(ValueError, match="dimension"):
        FastText(init=_init_vectors(["cat"], dim=5), **kw).fit(INIT_SENTS)
    with pytest.raises(ValueError, match="no token"):
        FastText(init=_init_vectors(["zebra"]), **kw).fit(INIT_SENTS)
    bad = _init_vectors(["cat", "dog"])
    bad.vectors[1, 2] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        FastText(init=bad, **kw).fit(INIT_SENTS)
    with pytest.raises(ValueError, match="freeze_init"):
        FastText(init=_init_vectors(["cat"]), freeze_init=True, **kw).fit(INIT_SENTS)
    with pytest.raises(TypeError, match="init must be"):
        FastText(init=42, **kw).fit(INIT_SENTS)


def test_cli_init_with_subwords(tmp_path, capsys):
    from embedkit.cli import main

    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on a mat\nthe dog ran\n" * 30)
    vec = tmp_path / "init.vec"
    _init_vectors(["cat", "dog", "zebra"]).save_word2vec_format(vec)
    out = tmp_path / "ft.npz"
    base = ["--subwords", "3", "5", "--buckets", "300", "--dim", "8", "--epochs", "1",
            "--min-count", "1", "--no-progress", "--seed", "0", "--threads", "1"]
    assert main(["train", "text", str(corpus), "-o", str(out), "--init", str(vec),
                 "--lr", "1e-9", "--min-lr", "1e-10", *base]) == 0
    emb = SubwordEmbeddings.load(out)
    np.testing.assert_allclose(emb["cat"], Embeddings.load_word2vec_format(vec)["cat"],
                               rtol=1e-4, atol=1e-4)
    with pytest.raises(SystemExit, match="--freeze-init"):
        main(["train", "text", str(corpus), "-o", str(out), "--init", str(vec),
              "--freeze-init", *base])
    capsys.readouterr()
    assert main(["train", "text", str(corpus), "-o", str(out), "--init", str(vec),
                 *[("6" if a == "8" else a) for a in base]]) == 1
    assert "dimension" in capsys.readouterr().err


class _Record:
    def __init__(self):
        self.seen = []

    def on_epoch_end(self, model, stats):
        emb = model.embeddings_
        self.seen.append((stats.epoch, len(emb), isinstance(emb, SubwordEmbeddings)))


def _continue_kw(**kw):
    base = dict(dim=16, min_count=2, epochs=2, buckets=3000, random_state=5, progress=False,
                threads=1, tokenizer="split")
    return {**base, **kw}


def test_callbacks_and_partial_fit_grow_words_keep_ngrams(corpus_lines):
    a, b = corpus_lines[:3000], corpus_lines[3000:6000]
    rec = _Record()
    m = FastText(**_continue_kw()).fit(a, callbacks=[rec])
    assert rec.seen == [(0, len(m.embeddings_), True), (1, len(m.embeddings_), True)]
    old = m.embeddings_
    m.partial_fit(b, epochs=1, callbacks=rec)
    new = m.embeddings_
    assert isinstance(new, SubwordEmbeddings) and new.buckets == 3000
    assert new.index_to_key[:len(old)] == old.index_to_key and len(new) > len(old)
    assert [st.epoch for st in m.epoch_stats_] == [0, 1, 2] and m.epochs_done_ == 3
    assert rec.seen[-1] == (2, len(new), True)
    assert not np.allclose(new.ngram_vectors, old.ngram_vectors)
    # one thread + seed: fit then partial_fit is bit-identical run to run
    m2 = FastText(**_continue_kw()).fit(a).partial_fit(b, epochs=1)
    np.testing.assert_array_equal(m2.embeddings_.vectors, new.vectors)
    np.testing.assert_array_equal(m2.embeddings_.ngram_vectors, new.ngram_vectors)


def test_partial_fit_starts_from_the_fitted_rows(corpus_lines):
    """With a learning rate of ~0 continuing changes nothing: the word rows recovered from
    the word vectors and the n-gram rows are exactly the trained ones."""
    m = FastText(**_continue_kw(min_lr=0.0)).fit(corpus_lines[:3000])
    before = m.embeddings_
    m.partial_fit(corpus_lines[:3000], epochs=1, lr=1e-12)
    after = m.embeddings_
    np.testing.assert_allclose(after.vectors, before.vectors, rtol=0, atol=1e-6)
    np.testing.assert_allclose(after.ngram_vectors, before.ngram_vectors, rtol=0, atol=1e-9)
    with pytest.raises(RuntimeError, match="not fitted"):
        FastText().partial_fit(corpus_lines[:10])


def test_continue_training_a_gensim_fasttext_bin(gensim_bin):
    g, path = gensim_bin
    m = FastText.from_fasttext_bin(path, random_state=0, progress=False, threads=1,
                                   tokenizer="split")
    assert (m.dim, m.minn, m.maxn, m.buckets, m.sg) == (8, 3, 5, 500, False)
    for w in ["cat", "naïve", "cats"]:
        np.testing.assert_allclose(m.embeddings_[w], g.wv[w], rtol=1e-5, atol=1e-6)
    ngrams_before = m.embeddings_.ngram_vectors.copy()
    m.partial_fit(["the cat sat on the new rug", "a new rug for the dög"] * 20, epochs=2)
    emb = m.embeddings_
    assert "rug" in emb and "new" in emb and "cat" in emb
    assert not np.allclose(emb.ngram_vectors, ngrams_before)
    assert np.isfinite(m.loss_history_).all() and len(m.loss_history_) == 2


def test_model_save_load_continue_and_cli(corpus_lines, tmp_path, capsys):
    m = FastText(**_continue_kw(epochs=1)).fit(corpus_lines[:2000])
    p = tmp_path / "model.npz"
    m.save(p)
    back = FastText.load(p)
    assert isinstance(back.embeddings_, SubwordEmbeddings)
    np.testing.assert_array_equal(back.embeddings_.ngram_vectors, m.embeddings_.ngram_vectors)
    np.testing.assert_allclose(back.embeddings_["presidnet"], m.embeddings_["presidnet"],
                               rtol=0, atol=1e-6)
    back.partial_fit(corpus_lines[2000:3000], epochs=1)
    m.partial_fit(corpus_lines[2000:3000], epochs=1)
    np.testing.assert_allclose(back.embeddings_.vectors, m.embeddings_.vectors, atol=1e-5)

    from embedkit.cli import main

    corpus = tmp_path / "c.txt"
    corpus.write_text("the president spoke to the presidents of the university\n" * 40)
    more = tmp_path / "d.txt"
    more.write_text("the university president met the new students\n" * 40)
    common = ["--subwords", "3", "5", "--buckets", "500", "--dim", "8", "--epochs", "1",
              "--min-count", "1", "--no-progress", "--seed", "0", "--threads", "1"]
    saved, ck = tmp_path / "m.npz", tmp_path / "ck{epoch}.npz"
    assert main(["train", "text", str(corpus), "-o", str(tmp_path / "v.npz"), *common,
                 "--save-model", str(saved), "--checkpoint", str(ck)]) == 0
    assert (tmp_path / "ck1.npz").exists()
    assert main(["train", "text", str(more), "-o", str(tmp_path / "v2.npz"), *common,
                 "--continue", str(saved)]) == 0
    capsys.readouterr()
    assert main(["similar", str(tmp_path / "v2.npz"), "studnets", "-n", "3"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
