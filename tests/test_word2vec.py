"""Word2Vec end to end: API conventions, determinism, quality on real text, bad input."""

from __future__ import annotations

import gzip
import random
import re

import numpy as np
import pytest
from controls import ENGINE, check_quality, final_losses, group_separation, topic_corpus

from embedkit import Embeddings, Word2Vec, datasets
from embedkit.cli import main as cli_main
from embedkit.cli.text import DEMO_ANALOGIES
from embedkit.engine.train import init_weights, train
from embedkit.samplers import get_sampler

SENTS = [
    "the king rules the kingdom with the queen",
    "the queen rules the kingdom with the king",
    "a dog chases a cat in the garden",
    "a cat chases a mouse in the house",
] * 30


def _small(**kw) -> Word2Vec:
    params = dict(dim=16, epochs=2, min_count=1, progress=False, random_state=0, threads=1)
    params.update(kw)
    return Word2Vec(**params)


def test_fit_returns_self_and_sets_fitted_attributes():
    model = _small()
    assert model.fit(SENTS) is model
    assert isinstance(model.embeddings_, Embeddings)
    assert model.embeddings_.vectors.dtype == np.float32
    assert model.embeddings_.vectors.shape == (len(model.vocab_), 16)
    assert model.embeddings_.context_vectors.shape == (len(model.vocab_), 16)
    assert len(model.loss_history_) == 2 and all(np.isfinite(model.loss_history_))
    assert model.vocab_.index_to_key[0] == "the"  # ids sorted by descending count
    assert model.get_params()["dim"] == 16
    assert model.set_params(dim=8) is model and model.dim == 8


def test_init_only_stores_parameters():
    model = Word2Vec(dim=-3, window="x")  # validated in fit, not in __init__
    assert model.dim == -3
    assert not hasattr(model, "embeddings_")
    with pytest.raises(RuntimeError, match="not fitted"):
        _ = model.wv


def test_loss_decreases_over_epochs():
    # no subsampling: this 16-word corpus would otherwise keep only ~10% of its tokens
    loss = _small(epochs=5, dim=10, subsample=0.0).fit(SENTS).loss_history_
    assert all(b < a for a, b in zip(loss, loss[1:], strict=False)), loss
    assert loss[-1] < 0.8 * loss[0]  # 6 log 2 = 4.16 is the loss of an untrained model


def test_same_seed_one_thread_is_bit_identical_and_other_seed_differs():
    a = _small(random_state=7).fit(SENTS).embeddings_.vectors
    b = _small(random_state=7).fit(SENTS).embeddings_.vectors
    c = _small(random_state=8).fit(SENTS).embeddings_.vectors
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


TOPICS, TOPIC_OF = topic_corpus()
#: Topic separation (tests/controls.py) a trained model must exceed. Over the variants below,
#: 3 epochs score 0.63-0.70 (one thread); every control scores at most 0.08 (flipped
#: gradients diverge, shuffled and frozen ones score 0.00, no negatives 0.01-0.08).
TOPIC_SEPARATION = 0.4


def _topic_separation(**kw) -> float:
    model = _small(**{"dim": 16, "epochs": 3, "subsample": 0.0, **kw}).fit(TOPICS)
    return group_separation(model.embeddings_, TOPIC_OF)


@pytest.mark.parametrize("control", ENGINE)
def test_multithreaded_training_learns(control):
    """Two Hogwild threads separate the topics; the four broken engines do not.

    Margin measured over 5 runs of the same call (threads=2 is not bit-reproducible): the
    separation was 0.679-0.684, against the threshold 0.4; the controls stay below 0.02.
    """
    check_quality(control, lambda: _topic_separation(threads=2, random_state=None),
                  lambda sep: sep > TOPIC_SEPARATION)


VARIANTS = [dict(sg=False), dict(shared_negatives=False), dict(shrink_window=False),
            dict(sampler="uniform"), dict(ns_exponent=0.0), dict(subsample=1e-2),
            dict(sg=False, cbow_mean=False, lr=0.005)]


@pytest.mark.parametrize("control", ENGINE)
@pytest.mark.parametrize("kw", VARIANTS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in
                                                               kw.items()))
def test_variants_learn(kw, control):
    """Every engine variant (CBOW included) separates the topics of a synthetic corpus; the
    same call on a broken engine (gradient sign flipped, no negatives, shuffled sequences,
    lr = 0: tests/controls.py) falls below the threshold. Scores in ``TOPIC_SEPARATION``."""
    check_quality(control, lambda: _topic_separation(**kw), lambda sep: sep > TOPIC_SEPARATION)


def test_learning_rate_decay_lowers_the_final_loss():
    """lr 0.2 decayed to 2e-4 ends at a lower loss than lr 0.2 throughout (one thread, so
    both runs are exact). Measured: 2.13 against 2.73 (at lr 0.1: 2.09 against 2.30)."""
    decayed, constant = final_losses(
        lambda **kw: _small(dim=16, epochs=3, subsample=0.0, **kw), TOPICS)
    assert decayed < constant - 0.25, (decayed, constant)


def test_progress_bar_is_shown_by_default(capsys):
    """``progress=True`` (the default) draws a tqdm bar on stderr and trains the same model."""
    quiet = _small(random_state=5).fit(SENTS).embeddings_.vectors
    model = Word2Vec(dim=16, epochs=2, min_count=1, random_state=5, threads=1)
    assert model.progress is True
    loud = model.fit(SENTS).embeddings_.vectors
    err = capsys.readouterr().err
    assert "embedkit" in err and "word" in err, err
    np.testing.assert_array_equal(loud, quiet)


def test_path_and_gzip_input_match_list_input(tmp_path):
    plain = tmp_path / "c.txt"
    plain.write_text("\n".join(SENTS) + "\n")
    gz = tmp_path / "c.txt.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write("\n".join(SENTS) + "\n")
    ref = _small().fit(SENTS).embeddings_.vectors
    assert np.array_equal(_small().fit(str(plain)).embeddings_.vectors, ref)
    assert np.array_equal(_small().fit(gz).embeddings_.vectors, ref)


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kw, exc, match",
    [
        (dict(dim=0), ValueError, "dim"),
        (dict(dim=2.5), TypeError, "dim"),
        (dict(window=-1), ValueError, "window"),
        (dict(window=0), ValueError, "window"),
        (dict(negative=-2), ValueError, "negative"),
        (dict(epochs=0), ValueError, "epochs"),
        (dict(lr=0.0), ValueError, "lr"),
        (dict(lr=0.01, min_lr=0.1), ValueError, "min_lr"),
        (dict(subsample=-1e-3), ValueError, "subsample"),
        (dict(min_count=-1), ValueError, "min_count"),
        (dict(threads=0), ValueError, "threads"),
        (dict(random_state="seed"), TypeError, "random_state"),
        (dict(sampler="nope"), ValueError, "unknown sampler"),
        (dict(sampler=3), TypeError, "sampler"),
    ],
)
def test_bad_parameters_are_clear_errors(kw, exc, match):
    with pytest.raises(exc, match=match):
        _small(**kw).fit(SENTS)


def test_empty_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        _small().fit([])
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        _small().fit(empty)


def test_all_tokens_below_min_count_is_a_clear_error():
    with pytest.raises(ValueError, match="min_count"):
        _small(min_count=1000).fit(SENTS)


def test_missing_and_binary_files_are_clear_errors(tmp_path):
    with pytest.raises((FileNotFoundError, ValueError), match="nope.txt"):
        _small().fit(tmp_path / "nope.txt")
    binary = tmp_path / "data.bin"
    binary.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(ValueError, match="data.bin"):
        _small().fit(binary)


def test_unknown_word_and_corrupt_model_are_clear_errors(tmp_path):
    emb = _small().fit(SENTS).embeddings_
    with pytest.raises(KeyError, match="zebra"):
        emb.most_similar("zebra")
    path = tmp_path / "m.npz"
    emb.save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="m.npz"):
        Embeddings.load(path)


# -- quality on the bundled corpus -------------------------------------------------------------
def _quality(corpus, epochs, demo=False):
    model = Word2Vec(epochs=epochs, threads=2, random_state=1, progress=False,
                     tokenizer="split").fit(corpus)
    emb = model.embeddings_
    sim = emb.evaluate_word_pairs(datasets.wordsim353_path())
    ana = emb.evaluate_analogies(datasets.analogies_path())
    if demo:  # the analogies `embedkit demo` shows, with the demo's settings
        right = sum(emb.analogy(a, b, c, topn=1)[0][0] == d for a, b, c, d in DEMO_ANALOGIES)
        return sim.spearman, ana.accuracy, ana.n_answered, right
    return sim.spearman, ana.accuracy, ana.n_answered


@pytest.mark.slow
def test_quality_on_bundled_corpus_and_a_shuffled_control(tmp_path):
    """Real WordSim-353 and analogy scores; the same corpus with its tokens shuffled fails.

    2 Hogwild threads, not bit-reproducible: five runs of this call scored WordSim-353
    0.357-0.362-0.365 (min-median-max, standard deviation 0.003; threshold 0.30), analogy
    accuracy 0.079-0.079-0.083 (sd 0.0016; threshold 0.06), 4451 answered every time. Of the
    8 demo analogies (list of 5 December 2026), eight runs got 8 right five times and 7 three
    times: the capital one (paris : france :: madrid : ?) flips in some runs, the other seven
    were right in all eight (with the earlier caracas : venezuela :: lisbon : ?, eleven runs:
    it flipped in about half). The minimum seen is 7, so the test allows two misses (>= 6): it
    fails when two of the seven stable ones go wrong together, never seen.
    """
    spearman, accuracy, answered, demo_right = _quality(datasets.text_corpus_path(), epochs=5,
                                                        demo=True)
    # each demo analogy was right for all of 5 seeds, but Hogwild's thread timing flips the
    # capital one in about half the runs of the same seed (docstring)
    assert demo_right >= len(DEMO_ANALOGIES) - 2, demo_right
    # gensim 4.4 with the same settings reaches 0.354 / 0.076 on this corpus (and embedkit
    # about 0.365 / 0.09): see benchmarks/text_vs_gensim.py --corpus datasets/corpus.txt.gz
    assert spearman > 0.30, spearman
    assert accuracy > 0.06 and answered > 4000, (accuracy, answered)

    with gzip.open(datasets.text_corpus_path(), "rt") as fh:
        lines = [line.split() for line in fh]
    tokens = [t for line in lines for t in line]
    random.Random(0).shuffle(tokens)
    shuffled, pos = [], 0
    for line in lines:  # same sentence lengths, words scattered at random
        shuffled.append(" ".join(tokens[pos:pos + len(line)]))
        pos += len(line)
    path = tmp_path / "shuffled.txt"
    path.write_text("\n".join(shuffled) + "\n")
    s_spearman, s_accuracy, _ = _quality(path, epochs=1)
    # the control fails both thresholds above by a wide margin (word frequency alone still
    # gives WordSim-353 a Spearman of about 0.15)
    assert s_spearman < 0.22 and s_accuracy < 0.01, (s_spearman, s_accuracy)


@pytest.mark.slow
@pytest.mark.parametrize("control", ["flipped", "no_negatives", "frozen"])
def test_bundled_corpus_thresholds_fail_on_a_broken_engine(control):
    """The thresholds of the bundled-corpus test fail for the other broken engines
    (tests/controls.py; the shuffled corpus is that test's own control). One epoch each, as
    that control: more epochs only take these controls further from a trained model."""
    def run():
        spearman, accuracy, _ = _quality(datasets.text_corpus_path(), epochs=1)
        return spearman, accuracy

    check_quality(control, run, lambda r: r[0] > 0.30 and r[1] > 0.06)


# -- CLI --------------------------------------------------------------------------------------
def test_cli_train_similar_analogy_eval(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(SENTS) + "\n")
    out = tmp_path / "vec.txt"
    assert cli_main(["train", "text", str(corpus), "-o", str(out), "--dim", "8", "--epochs",
                     "1", "--min-count", "1", "--threads", "1", "--seed", "1",
                     "--no-progress"]) == 0
    assert out.exists()
    assert cli_main(["similar", str(out), "king", "-n", "3"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) >= 3
    capsys.readouterr()
    assert cli_main(["analogy", str(out), "king", "queen", "dog", "-n", "4"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()]
    expected = Embeddings.load_word2vec_format(out).analogy("king", "queen", "dog", topn=4)
    assert [w for w, _ in rows] == [w for w, _ in expected]
    assert [float(x) for _, x in rows] == pytest.approx([x for _, x in expected], abs=1e-4)
    assert not {"king", "queen", "dog"} & {w for w, _ in rows}
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("king\tqueen\t9\ndog\tcat\t8\nking\tmouse\t1\n")
    assert cli_main(["eval", str(out), "--pairs", str(pairs), "--analogies",
                     str(datasets.analogies_path())]) == 0
    assert "Spearman" in capsys.readouterr().out


def test_cli_errors_are_one_line_without_traceback(tmp_path, capsys):
    assert cli_main(["similar", str(tmp_path / "missing.npz"), "x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("embedkit: error:") and "Traceback" not in err
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(SENTS) + "\n")
    assert cli_main(["train", "text", str(corpus), "-o", str(tmp_path / "x.npz"), "--dim", "0",
                     "--no-progress"]) == 1
    assert "dim" in capsys.readouterr().err


@pytest.mark.parametrize("suffix, binary", [(".txt.gz", False), (".vec.gz", False),
                                            (".bin.gz", True), (".txt", False)])
def test_cli_compressed_word2vec_outputs_round_trip(tmp_path, capsys, suffix, binary):
    """``-o vectors.txt.gz`` writes gzip-compressed word2vec text that ``similar`` reads."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(SENTS) + "\n")
    out = tmp_path / f"vectors{suffix}"
    assert cli_main(["train", "text", str(corpus), "-o", str(out), "--dim", "8", "--epochs",
                     "1", "--min-count", "1", "--threads", "1", "--seed", "1",
                     "--no-progress"]) == 0
    head = out.read_bytes()[:2]
    assert (head == b"\x1f\x8b") == suffix.endswith(".gz")
    if suffix.endswith(".gz"):
        with gzip.open(out, "rb") as fh:
            first = fh.readline()
        assert first.split() == [b"14", b"8"]  # the word2vec header: 14 words of dim 8
    loaded = Embeddings.load_word2vec_format(out)
    assert len(loaded) == 14 and loaded.dim == 8
    capsys.readouterr()
    assert cli_main(["similar", str(out), "king", "-n", "3"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3


def test_cli_refuses_an_unknown_compressed_suffix(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(SENTS) + "\n")
    assert cli_main(["train", "text", str(corpus), "-o", str(tmp_path / "v.npz.gz"),
                     "--min-count", "1", "--epochs", "1", "--no-progress"]) == 1
    assert ".txt.gz" in capsys.readouterr().err


def test_cli_reports_a_diverged_run_in_one_line(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(SENTS) + "\n")
    assert cli_main(["train", "text", str(corpus), "-o", str(tmp_path / "v.npz"), "--lr", "1e4",
                     "--min-lr", "1e4", "--min-count", "1", "--subsample", "0", "--threads",
                     "1", "--seed", "0", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("embedkit: error: training diverged") and "lr=10000" in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "v.npz").exists()


def test_cli_without_loss_tracking_says_so(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(SENTS) + "\n")
    args = ["train", "text", str(corpus), "-o", str(tmp_path / "v.npz"), "--dim", "8",
            "--epochs", "1", "--min-count", "1", "--threads", "1", "--no-progress"]
    assert cli_main(args + ["--no-loss"]) == 0
    out = capsys.readouterr().out
    assert "loss not tracked" in out and "nan" not in out, out
    assert cli_main(args) == 0
    assert re.search(r"loss \d\.\d{4}", capsys.readouterr().out)


def test_divergence_is_caught_early_and_in_every_row():
    """A diverging run stops in its first epoch (checked after every batch), and a non-finite
    row anywhere in the matrices (not only the first 1,000) is caught at the epoch's end."""
    with pytest.raises(FloatingPointError, match="diverged in epoch 1 "):
        _small(lr=1e4, min_lr=1e4, epochs=50, subsample=0.0).fit(SENTS)
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(1500)]
    sents = [list(rng.choice(words, 12)) for _ in range(600)] + [words]
    model = _small(dim=8, epochs=1, subsample=0.0)
    gen = model._make_generator(sents)
    vocab = model._build_vocab(gen)
    assert len(vocab) == 1500
    for matrix in (0, 1):
        W, C = init_weights(len(vocab), 8, 0, padded=True)
        (W, C)[matrix][1400, 3] = np.inf  # a row only the last sentence trains
        with pytest.raises(FloatingPointError, match="diverged"):
            train(gen, vocab, get_sampler("unigram"), model._engine_config(), seed=0,
                  threads=1, W=W, C=C, progress=False)


@pytest.mark.parametrize("objective", ["nce", "softmax"])
def test_other_objectives_train_through_the_estimator(objective):
    model = _small(objective=objective, subsample=0.0, epochs=3).fit(SENTS)
    assert np.all(np.isfinite(model.embeddings_.vectors))
    assert model.loss_history_[-1] < model.loss_history_[0]


def test_objective_and_blocks_errors():
    with pytest.raises(ValueError, match="objective"):
        _small(objective="hs").fit(SENTS)
    with pytest.raises(ValueError, match="skip-gram"):
        _small(objective="softmax", sg=False).fit(SENTS)
    with pytest.raises(ValueError, match="client"):
        _small().fit(SENTS, blocks=2)
