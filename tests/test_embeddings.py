"""Tests for embedkit.Embeddings, the word evaluation functions and the file helpers."""

from __future__ import annotations

import gzip
import os
import zipfile

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from embedkit import _io
from embedkit.embeddings import FORMAT_NAME, Embeddings
from embedkit.eval import (
    evaluate_analogies,
    evaluate_word_pairs,
    read_analogy_questions,
    read_word_pairs,
)
from embedkit.eval import words as eval_words

# --------------------------------------------------------------------------------------------
# Fixtures and brute-force references
# --------------------------------------------------------------------------------------------


def random_embeddings(n: int = 40, d: int = 8, seed: int = 0, keys=None) -> Embeddings:
    rng = np.random.default_rng(seed)
    keys = [f"w{i}" for i in range(n)] if keys is None else keys
    return Embeddings(rng.standard_normal((len(keys), d)), keys)


def brute_unit(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


def royal_embeddings() -> Embeddings:
    """king - man + woman == queen exactly, also after unit normalisation.

    Axes: male, female, person, royal, extra1, extra2. All analogy words have norm sqrt(2).
    """
    rows = {
        "man": [1, 0, 1, 0, 0, 0],
        "woman": [0, 1, 1, 0, 0, 0],
        "king": [1, 0, 0, 1, 0, 0],
        "queen": [0, 1, 0, 1, 0, 0],
        "prince": [1, 0, 0, 1, 1, 0],
        "throne": [0, 0, 0, 1, 0, 1],
        "apple": [0, 0, 0, 0, 1, 1],
        "boy": [1, 0, 1, 0, 0, 0.3],
        "girl": [0, 1, 1, 0, 0, 0.3],
    }
    return Embeddings(np.array(list(rows.values()), dtype=float), list(rows))


# --------------------------------------------------------------------------------------------
# Construction, container protocol, validation
# --------------------------------------------------------------------------------------------


def test_container_basics_and_conversion():
    v64 = np.asfortranarray(np.arange(12, dtype=np.float64).reshape(4, 3))
    emb = Embeddings(v64, ["a", "b", "c", "d"], counts=[9, 5, 3.0, 1])
    assert emb.vectors.dtype == np.float32 and emb.vectors.flags.c_contiguous
    np.testing.assert_array_equal(emb.vectors, v64.astype(np.float32))
    assert len(emb) == 4 and emb.dim == 3
    assert list(emb) == ["a", "b", "c", "d"] == emb.index_to_key
    assert emb.key_to_index == {"a": 0, "b": 1, "c": 2, "d": 3}
    assert "c" in emb and "z" not in emb and ["a"] not in emb  # unhashable -> False
    np.testing.assert_array_equal(emb["c"], [6, 7, 8])
    np.testing.assert_array_equal(emb[["d", "a"]], [[9, 10, 11], [0, 1, 2]])
    assert emb[np.array(["b"])].shape == (1, 3)
    assert emb.counts.dtype == np.int64 and emb.counts.tolist() == [9, 5, 3, 1]
    assert emb.context_vectors is None
    assert repr(emb) == "Embeddings(n_keys=4, dim=3, counts=True)"


def test_unknown_key_message():
    emb = random_embeddings(5)
    with pytest.raises(KeyError, match="'foo' is not in the vocabulary"):
        emb["foo"]
    with pytest.raises(KeyError, match="'foo' is not in the vocabulary"):
        emb[["w1", "foo"]]
    with pytest.raises(KeyError, match="'foo' is not in the vocabulary"):
        emb.most_similar("foo")
    with pytest.raises(KeyError, match="'nope' is not in the vocabulary"):
        emb.analogy("w1", "w2", "nope")
    with pytest.raises(KeyError, match="'x' is not in the vocabulary"):
        emb.similarity("w0", "x")


@pytest.mark.parametrize(
    ("vectors", "keys", "kwargs", "exc", "match"),
    [
        ([[1.0, np.nan]], ["a"], {}, ValueError, "non-finite.*row is 0"),
        ([[1.0, 2.0], [np.inf, 0.0]], ["a", "b"], {}, ValueError, "row is 1"),
        ([[1e39, 0.0]], ["a"], {}, ValueError, "non-finite"),  # overflows float32
        ([1.0, 2.0], ["a", "b"], {}, ValueError, "2-D"),
        (np.zeros((2, 2, 2)), ["a", "b"], {}, ValueError, "2-D"),
        (np.zeros((2, 0)), ["a", "b"], {}, ValueError, "at least one dimension"),
        (np.zeros((3, 2)), ["a", "b"], {}, ValueError, "3 rows but there are 2 keys"),
        (np.zeros((3, 2)), ["a", "b", "a"], {}, ValueError, "duplicate key 'a' at positions 0"),
        (np.zeros((2, 2)), ["a", ["b"]], {}, TypeError, "hashable.*position 1"),
        (np.zeros((3, 2)), "abc", {}, TypeError, "not a single string"),
        (np.array([["x", "y"]]), ["a"], {}, TypeError, "numeric"),
        (
            np.zeros((2, 2)),
            ["a", "b"],
            {"context_vectors": np.zeros((2, 3))},
            ValueError,
            "context_vectors has shape",
        ),
        (
            np.zeros((2, 2)),
            ["a", "b"],
            {"context_vectors": [[0, np.nan], [0, 0]]},
            ValueError,
            "context_vectors contain non-finite",
        ),
        (np.zeros((2, 2)), ["a", "b"], {"counts": [1]}, ValueError, "counts must be 1-D"),
        (np.zeros((2, 2)), ["a", "b"], {"counts": [1, -1]}, ValueError, ">= 0"),
        (np.zeros((2, 2)), ["a", "b"], {"counts": [1, 1.5]}, ValueError, "whole numbers"),
    ],
)
def test_bad_inputs(vectors, keys, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Embeddings(vectors, keys, **kwargs)


def test_normed_vectors_zero_rows_and_cache():
    emb = Embeddings(np.array([[3.0, 4.0], [0.0, 0.0], [-1.0, 0.0]]), ["a", "b", "c"])
    normed = emb.normed_vectors
    np.testing.assert_allclose(normed, [[0.6, 0.8], [0, 0], [-1, 0]], rtol=1e-6)
    assert np.isfinite(normed).all() and normed.dtype == np.float32
    assert emb.normed_vectors is normed  # cached
    assert emb.similarity("a", "b") == 0.0  # zero vector: cosine 0, not NaN
    del emb.normed_vectors  # documented way to refresh after in-place edits
    emb.vectors[1] = [0.0, 2.0]
    np.testing.assert_allclose(emb.normed_vectors[1], [0, 1])


def test_to_frame():
    emb = Embeddings(np.arange(6.0).reshape(3, 2), [("a", 1), ("b", 2), ("c", 3)])
    df = emb.to_frame()
    assert list(df.columns) == [0, 1]
    assert df.index.tolist() == [("a", 1), ("b", 2), ("c", 3)]  # tuples stay keys
    assert df.loc[[("b", 2)]].to_numpy().tolist() == [[2.0, 3.0]]
    df.iloc[0, 0] = 99.0
    assert emb.vectors[0, 0] == 0.0  # a copy


# --------------------------------------------------------------------------------------------
# Similarity queries
# --------------------------------------------------------------------------------------------


def brute_most_similar(emb, pos_vecs, neg_vecs, exclude, limit=None):
    unit = brute_unit(emb.vectors)
    target = np.zeros(emb.dim)
    for v in pos_vecs:
        target += brute_unit(v)
    for v in neg_vecs:
        target -= brute_unit(v)
    target = brute_unit(target / (len(pos_vecs) + len(neg_vecs)))
    limit = len(emb) if limit is None else limit
    sims = unit[:limit] @ target
    order = [i for i in np.argsort(-sims, kind="stable") if i not in exclude]
    return [(emb.index_to_key[i], sims[i]) for i in order]


def assert_same_ranking(got, expected, topn):
    expected = expected[:topn]
    assert [k for k, _ in got] == [k for k, _ in expected]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], atol=1e-5)


def test_most_similar_matches_brute_force():
    emb = random_embeddings(60, 10, seed=1)
    v = emb.vectors.astype(np.float64)
    # single key
    assert_same_ranking(emb.most_similar("w3", topn=7), brute_most_similar(emb, [v[3]], [], {3}), 7)
    # lists of positive and negative keys
    got = emb.most_similar(positive=["w1", "w2"], negative=["w5"], topn=12)
    assert_same_ranking(got, brute_most_similar(emb, [v[1], v[2]], [v[5]], {1, 2, 5}), 12)
    # raw vectors are not excluded; mixing keys and vectors
    raw = np.linspace(-1, 1, 10)
    got = emb.most_similar(positive=[raw, "w0"], topn=5)
    assert_same_ranking(got, brute_most_similar(emb, [raw, v[0]], [], {0}), 5)
    got = emb.most_similar(positive=v[7])
    assert got[0][0] == "w7" and got[0][1] == pytest.approx(1.0, abs=1e-6)
    # negative only
    got = emb.most_similar(negative="w4", topn=3)
    assert_same_ranking(got, brute_most_similar(emb, [], [v[4]], {4}), 3)
    # scores sorted descending, exclusions and result sizes
    everything = emb.most_similar("w3", topn=None)
    assert len(everything) == 59 and "w3" not in dict(everything)
    scores = [s for _, s in everything]
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(s, float) for s in scores)
    assert emb.most_similar("w3", topn=0) == []
    assert len(emb.most_similar("w3", topn=1000)) == 59


def test_most_similar_restrict_vocab():
    emb = random_embeddings(30, 6, seed=2)
    v = emb.vectors.astype(np.float64)
    got = emb.most_similar("w20", topn=None, restrict_vocab=10)  # query itself beyond the limit
    assert {k for k, _ in got} == {f"w{i}" for i in range(10)}
    assert_same_ranking(got, brute_most_similar(emb, [v[20]], [], {20}, limit=10), 10)
    got = emb.most_similar("w2", topn=None, restrict_vocab=10)
    assert len(got) == 9


def test_most_similar_bad_queries():
    emb = random_embeddings(5, 3)
    with pytest.raises(ValueError, match="at least one"):
        emb.most_similar()
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        emb.most_similar(np.ones(4))
    with pytest.raises(ValueError, match="NaN"):
        emb.most_similar(np.array([1.0, np.nan, 0.0]))
    with pytest.raises(ValueError, match="topn"):
        emb.most_similar("w0", topn=-1)
    with pytest.raises(ValueError, match="restrict_vocab"):
        emb.most_similar("w0", restrict_vocab=-2)


def test_similar_by_vector_similarity_distance():
    emb = random_embeddings(25, 5, seed=3)
    unit = brute_unit(emb.vectors)
    q = np.array([0.3, -1.0, 2.0, 0.0, 0.5])
    got = emb.similar_by_vector(q, topn=4)
    sims = unit @ brute_unit(q)
    expected = [(emb.index_to_key[i], sims[i]) for i in np.argsort(-sims)]
    assert_same_ranking(got, expected, 4)
    assert emb.similar_by_vector(emb.vectors[4], topn=1)[0][0] == "w4"  # nothing excluded
    assert emb.similarity("w1", "w2") == pytest.approx(unit[1] @ unit[2], abs=1e-6)
    assert emb.similarity("w1", emb.vectors[2] * 7) == pytest.approx(unit[1] @ unit[2], abs=1e-6)
    assert emb.distance("w1", "w2") == pytest.approx(1 - unit[1] @ unit[2], abs=1e-6)
    assert emb.similarity("w6", "w6") == pytest.approx(1.0, abs=1e-6)


def test_king_minus_man_plus_woman_is_queen():
    emb = royal_embeddings()
    [(answer, score)] = emb.analogy("man", "king", "woman")
    assert answer == "queen" and score == pytest.approx(1.0, abs=1e-6)
    top = emb.most_similar(positive=["king", "woman"], negative=["man"], topn=1)
    assert top[0][0] == "queen" and top[0][1] == pytest.approx(1.0, abs=1e-6)
    # 3CosAdd is most_similar(positive=[b, c], negative=[a]) -- same candidates and scores
    add = emb.analogy("man", "king", "woman", topn=None)
    ms = emb.most_similar(positive=["king", "woman"], negative=["man"], topn=None)
    assert [k for k, _ in add] == [k for k, _ in ms]
    np.testing.assert_allclose([s for _, s in add], [s for _, s in ms], atol=1e-6)
    assert {"man", "king", "woman"}.isdisjoint(k for k, _ in add)
    assert len(emb.analogy("man", "king", "woman", topn=3)) == 3
    assert emb.analogy("man", "king", "woman", method="3cosmul")[0][0] == "queen"
    with pytest.raises(ValueError, match="method"):
        emb.analogy("man", "king", "woman", method="3cosdiv")


def test_3cosmul_matches_direct_formula():
    emb = random_embeddings(12, 4, seed=5)
    unit = brute_unit(emb.vectors)
    a, b, c = 2, 7, 9
    cos = unit @ unit[[a, b, c]].T
    shifted = (cos + 1) / 2
    direct = shifted[:, 1] * shifted[:, 2] / (shifted[:, 0] + 1e-3)
    got = emb.analogy("w2", "w7", "w9", method="3cosmul", topn=None)
    order = [i for i in np.argsort(-direct) if i not in (a, b, c)]
    assert [k for k, _ in got] == [f"w{i}" for i in order]
    np.testing.assert_allclose([s for _, s in got], direct[order], rtol=1e-5)
    # restrict_vocab keeps only the first candidates
    got = emb.analogy("w2", "w7", "w9", method="3cosmul", topn=None, restrict_vocab=6)
    assert [k for k, _ in got] == [f"w{i}" for i in order if i < 6]


def test_3cosmul_and_3cosadd_can_disagree():
    # x1 is close to b but points away from c: 3CosAdd only adds the cosines, so the large
    # cos(x1, b) wins; 3CosMul multiplies, so the low shifted cos(x1, c) sinks x1 and the
    # candidate with moderate similarity to b and c (though also close to a) wins instead.
    emb = Embeddings(
        np.array(
            [
                [1.0, 0.0, 0.0],  # a
                [0.0, 1.0, 0.0],  # b
                [0.0, 0.0, 1.0],  # c
                [0.0, 0.9, -0.7],  # x1
                [0.9, 0.3, 0.4],  # x2
            ]
        ),
        ["a", "b", "c", "x1", "x2"],
    )
    unit = brute_unit(emb.vectors)
    cos = unit[3:] @ unit[:3].T
    add = cos[:, 1] - cos[:, 0] + cos[:, 2]
    s = (cos + 1) / 2
    mul = s[:, 1] * s[:, 2] / (s[:, 0] + 1e-3)
    assert np.argmax(add) == 0 and np.argmax(mul) == 1  # the example separates the methods
    assert emb.analogy("a", "b", "c")[0][0] == "x1"
    assert emb.analogy("a", "b", "c", method="3cosmul")[0][0] == "x2"


# --------------------------------------------------------------------------------------------
# Word-pair similarity evaluation
# --------------------------------------------------------------------------------------------


def test_evaluate_word_pairs_against_scipy(tmp_path):
    emb = random_embeddings(
        keys=["cat", "dog", "car", "bus", "tree", "Apple", "apple", "sun"], d=6, seed=7
    )
    path = tmp_path / "pairs.tsv"
    path.write_text(
        "# a comment\n"
        "\n"
        "Word 1\tWord 2\tHuman (mean)\n"
        "cat\tdog\t8.5\n"
        "CAT\tcar\t1.0\n"  # case-insensitive hit
        "# another comment\n"
        "dog\tbus\t2.5\n"
        "tree\tunicorn\t3.0\n"  # OOV
        "car\tbus\t7.0\n"
        "apple\ttree\t6.1\n"  # "apple" folds onto the more frequent "Apple"
        "sun\tdragon\t5.0\n"  # OOV
        "sun\tcar\t0.5\n",
        encoding="utf-8",
    )
    unit = brute_unit(emb.vectors)
    ix = emb.key_to_index
    used = [
        ("cat", "dog", 8.5),
        ("cat", "car", 1.0),
        ("dog", "bus", 2.5),
        ("car", "bus", 7.0),
        ("Apple", "tree", 6.1),
        ("sun", "car", 0.5),
    ]
    model = [unit[ix[a]] @ unit[ix[b]] for a, b, _ in used]
    human = [s for *_, s in used]
    res = emb.evaluate_word_pairs(path)
    assert res.n_pairs == 8 and res.n_used == 6
    assert res.oov_ratio == pytest.approx(2 / 8)
    assert res.spearman == pytest.approx(stats.spearmanr(model, human).statistic, abs=1e-9)
    assert res.pearson == pytest.approx(stats.pearsonr(model, human).statistic, abs=1e-6)
    assert res.spearman_pvalue == pytest.approx(stats.spearmanr(model, human).pvalue, rel=1e-6)
    # case-sensitive: "CAT" becomes OOV, "apple" uses its own vector
    strict = emb.evaluate_word_pairs(path, case_insensitive=False)
    assert strict.n_used == 5 and strict.oov_ratio == pytest.approx(3 / 8)
    # restrict_vocab=5 leaves only cat, dog, car, bus, tree in vocabulary
    restricted = evaluate_word_pairs(emb, path, restrict_vocab=5)
    assert restricted.n_used == 4 and restricted.oov_ratio == 0.5
    # pairs can be passed directly
    direct = emb.evaluate_word_pairs([(a, b, s) for a, b, s in used])
    assert direct.spearman == pytest.approx(res.spearman)


def test_word_pairs_file_errors(tmp_path):
    bad_header = tmp_path / "late_header.tsv"
    bad_header.write_text("a\tb\t1\nword1\tword2\tscore\n")
    with pytest.raises(ValueError, match=r"late_header.tsv, line 2: score 'score'"):
        read_word_pairs(bad_header)
    fields = tmp_path / "fields.tsv"
    fields.write_text("# c\na\tb\t1\na b 2\n")
    with pytest.raises(ValueError, match=r"line 3: expected 3 fields"):
        read_word_pairs(fields)
    assert read_word_pairs(fields, delimiter=None) == [("a", "b", 1.0), ("a", "b", 2.0)]
    with pytest.raises(ValueError, match="not finite"):
        evaluate_word_pairs(random_embeddings(3), [("w0", "w1", float("nan"))])
    # too few usable pairs: NaN correlations rather than an exception
    res = evaluate_word_pairs(random_embeddings(3), [("w0", "w1", 1.0), ("w0", "zz", 2.0)])
    assert np.isnan(res.spearman) and res.n_used == 1 and res.oov_ratio == 0.5


# --------------------------------------------------------------------------------------------
# Analogy evaluation
# --------------------------------------------------------------------------------------------


QUESTIONS = """\
: family
man woman king queen
Man Woman Boy Girl
man king woman queen
boy girl man woman
man woman king dragon
: gram-plural
king queen man woman
woman man queen king
apple throne man woman
"""


def test_evaluate_analogies_known_counts(tmp_path):
    emb = royal_embeddings()
    path = tmp_path / "questions-words.txt"
    path.write_text(QUESTIONS)
    # Expected answers, checked one by one with analogy():
    #   family: man:woman::king:queen ok; Man:Woman::Boy:Girl ok (case-insensitive);
    #           man:king::woman:queen ok; boy:girl::man:woman ok; dragon is OOV -> skipped
    #   gram-plural: king:queen::man:woman ok; woman:man::queen:king ok;
    #                apple:throne::man:? -> not woman
    assert emb.analogy("apple", "throne", "man")[0][0] != "woman"
    assert emb.analogy("boy", "girl", "man")[0][0] == "woman"
    res = emb.evaluate_analogies(path)
    assert res.n_questions == 8 and res.n_skipped_oov == 1
    assert res.n_answered == 7 and res.n_correct == 6
    assert res.accuracy == pytest.approx(6 / 7)
    assert res.semantic_accuracy == 1.0
    assert res.syntactic_accuracy == pytest.approx(2 / 3)
    expected = pd.DataFrame(
        {
            "section": ["family", "gram-plural"],
            "correct": [4, 2],
            "total": [4, 3],
            "accuracy": [1.0, 2 / 3],
            "skipped": [1, 0],
        }
    )
    pd.testing.assert_frame_equal(res.per_section, expected, check_dtype=False)
    # case-sensitive: "Man Woman Boy Girl" is skipped as well
    strict = emb.evaluate_analogies(path, case_insensitive=False)
    assert strict.n_skipped_oov == 2 and strict.n_correct == 5
    # restrict_vocab: only man, woman, king, queen (the first 4 keys) remain
    small = evaluate_analogies(emb, path, restrict_vocab=4)
    assert small.n_answered == 4 and small.n_skipped_oov == 4 and small.n_correct == 4
    # 3CosMul on the same file
    mul = emb.evaluate_analogies(path, method="3cosmul")
    assert mul.n_answered == 7 and mul.n_correct == 6


def brute_force_analogy_hits(emb, questions, method, limit):
    hits = 0
    for a, b, c, d in questions:
        ans = emb.analogy(a, b, c, method=method, topn=1, restrict_vocab=limit)
        hits += ans[0][0] == d
    return hits


@pytest.mark.parametrize("method", ["3cosadd", "3cosmul"])
@pytest.mark.parametrize("block", [None, 64])
def test_batched_analogies_match_one_by_one(tmp_path, monkeypatch, method, block):
    if block is not None:  # force many small column and row blocks
        monkeypatch.setattr(eval_words, "_BLOCK_ELEMENTS", block)
    rng = np.random.default_rng(11)
    n, limit = 300, 250
    emb = random_embeddings(n, 6, seed=12)
    lines = []
    questions = []
    for s in range(3):
        lines.append(f": {'gram' if s == 2 else 'sec'}{s}")
        for _ in range(60):
            idx = rng.choice(n, 4, replace=False)
            if rng.random() < 0.4:  # make the expected answer the predicted one for some
                pred = emb.analogy(*(f"w{i}" for i in idx[:3]), method=method)[0][0]
                idx[3] = emb.key_to_index[pred]
            words = [f"w{i}" for i in idx]
            lines.append(" ".join(words))
            questions.append(words)
    path = tmp_path / "q.txt"
    path.write_text("\n".join(lines) + "\n")
    res = emb.evaluate_analogies(path, method=method, restrict_vocab=limit)
    answerable = [q for q in questions if all(emb.key_to_index[w] < limit for w in q)]
    assert res.n_answered == len(answerable)
    assert res.n_skipped_oov == len(questions) - len(answerable)
    assert res.n_correct == brute_force_analogy_hits(emb, answerable, method, limit)
    assert res.n_correct > 10


def test_case_insensitive_analogies_exclude_all_casings(tmp_path):
    # "Paris" is the frequent casing; "paris" (a variant of query word c) must not be answered.
    keys = ["a", "b", "Paris", "paris", "x"]
    vecs = np.array(
        [
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [0.0, 0.0, 1.0],
            [0.0, 0.1, 1.0],  # variant of c: would be the best 3CosAdd answer
            [0.3, 0.6, 0.6],
        ]
    )
    emb = Embeddings(vecs, keys)
    path = tmp_path / "q.txt"
    path.write_text(": s\nA B PARIS x\n")
    assert emb.analogy("a", "b", "Paris")[0][0] == "paris"  # exact-key analogy() would say so
    res = emb.evaluate_analogies(path)
    assert res.n_answered == 1 and res.n_correct == 1
    # and the expected answer matches any casing: the question "a b x Paris" is answered
    # by "paris" or "Paris" -- both count
    path.write_text(": s\na b x paris\n")
    best = emb.analogy("a", "b", "x")[0][0]
    assert best.lower() == "paris"
    assert emb.evaluate_analogies(path).n_correct == 1


def test_analogy_file_errors(tmp_path):
    p = tmp_path / "q.txt"
    p.write_text("a b c d\n")
    with pytest.raises(ValueError, match="before the first"):
        read_analogy_questions(p)
    p.write_text(": s\na b c\n")
    with pytest.raises(ValueError, match=r"q.txt, line 2: expected 4 words"):
        read_analogy_questions(p)
    p.write_text(": s\na b c d\n:\n")
    with pytest.raises(ValueError, match="empty section"):
        read_analogy_questions(p)
    p.write_text(": s\n: t\na b c d\n: s\nd c b a\n")
    assert read_analogy_questions(p) == {"s": [("d", "c", "b", "a")], "t": [("a", "b", "c", "d")]}
    res = random_embeddings(5).evaluate_analogies(p)  # every word OOV
    assert res.n_answered == 0 and np.isnan(res.accuracy) and res.n_skipped_oov == 2
    with pytest.raises(ValueError, match="method"):
        random_embeddings(5).evaluate_analogies(p, method="cos")


# --------------------------------------------------------------------------------------------
# Native persistence
# --------------------------------------------------------------------------------------------


def test_save_load_round_trip_str_keys(tmp_path):
    rng = np.random.default_rng(0)
    emb = Embeddings(
        rng.standard_normal((5, 3)),
        ["the", "über", "日本", "a b", ""],
        context_vectors=rng.standard_normal((5, 3)),
        counts=[50, 40, 30, 20, 10],
    )
    path = tmp_path / "model.emb"  # no .npz suffix is added
    emb.save(path)
    assert os.listdir(tmp_path) == ["model.emb"]
    back = Embeddings.load(path)
    assert back.index_to_key == emb.index_to_key
    np.testing.assert_array_equal(back.vectors, emb.vectors)
    np.testing.assert_array_equal(back.context_vectors, emb.context_vectors)
    np.testing.assert_array_equal(back.counts, emb.counts)
    assert back.vectors.dtype == np.float32
    with zipfile.ZipFile(path) as zf:  # really one uncompressed npz with metadata
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
        assert "meta.npy" in zf.namelist()


def test_save_load_int_and_tuple_keys(tmp_path):
    ints = Embeddings(np.eye(3), [7, np.int64(3), 1_000_000_000_000])
    ints.save(tmp_path / "ints.npz")
    back = Embeddings.load(tmp_path / "ints.npz")
    assert back.index_to_key == [7, 3, 1_000_000_000_000]
    assert all(type(k) is int for k in back.index_to_key)
    assert back.counts is None and back.context_vectors is None

    mixed_keys = [("chr1", 5), "node", 3, (("nested", 1), 2.5), None, True]
    mixed = Embeddings(np.ones((6, 2)), mixed_keys)
    mixed.save(tmp_path / "mixed.npz")
    back = Embeddings.load(tmp_path / "mixed.npz")
    assert back.index_to_key == mixed_keys
    assert [type(k) for k in back.index_to_key] == [type(k) for k in mixed_keys]

    with pytest.raises(TypeError, match="cannot be saved"):
        Embeddings(np.ones((1, 2)), [frozenset({1})]).save(tmp_path / "bad.npz")
    assert not (tmp_path / "bad.npz").exists()


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "emb.npz"
    old = random_embeddings(4, 2, seed=1)
    old.save(path)
    before = path.read_bytes()

    def broken_write(fh, arrays):
        fh.write(b"PK\x03\x04 partial garbage")
        raise OSError("disk full")

    import embedkit.persist

    monkeypatch.setattr(embedkit.persist, "write_npz", broken_write)
    with pytest.raises(OSError, match="disk full"):
        random_embeddings(9, 2, seed=2).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["emb.npz"]  # no temporary file left behind
    np.testing.assert_array_equal(Embeddings.load(path).vectors, old.vectors)


def test_atomic_write_text_and_failure(tmp_path):
    target = tmp_path / "out.txt"
    with _io.atomic_write(target) as fh:
        fh.write("first\n")
    with pytest.raises(RuntimeError), _io.atomic_write(target) as fh:
        fh.write("second, half-written")
        raise RuntimeError("boom")
    assert target.read_text() == "first\n"
    assert os.listdir(tmp_path) == ["out.txt"]
    with pytest.raises(FileExistsError):
        with _io.atomic_write(target, "x"):
            pass
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with _io.atomic_write(tmp_path / "missing" / "f.txt"):
            pass


def test_load_corrupt_files(tmp_path):
    good = tmp_path / "good.npz"
    random_embeddings(200, 16).save(good)
    data = good.read_bytes()

    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not an embeddings file\n" * 20)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, vectors=np.zeros((2, 2)))
    npy = tmp_path / "plain.npy"
    np.save(npy, np.zeros(3))
    for bad in (truncated, garbage, empty, foreign, npy):
        with pytest.raises(ValueError, match=f"{bad.name} is not a valid {FORMAT_NAME} file"):
            Embeddings.load(bad)

    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        Embeddings.load(tmp_path / "nothing.npz")


def test_load_rejects_inconsistent_or_newer_files(tmp_path):
    import json

    def write(name, meta_changes=None, **arrays):
        meta = {
            "format": FORMAT_NAME,
            "format_version": 1,
            "n_keys": 2,
            "dim": 2,
            "key_type": "str",
            "has_context_vectors": False,
            "has_counts": False,
        }
        meta.update(meta_changes or {})
        content = {
            "meta": np.frombuffer(json.dumps(meta).encode(), np.uint8),
            "keys": np.frombuffer(json.dumps(["a", "b"]).encode(), np.uint8),
            "vectors": np.zeros((2, 2), np.float32),
        }
        content.update(arrays)
        np.savez(tmp_path / name, **content)
        return tmp_path / name

    assert len(Embeddings.load(write("ok.npz"))) == 2
    with pytest.raises(ValueError, match="newer"):
        Embeddings.load(write("v2.npz", {"format_version": 2}))
    with pytest.raises(ValueError, match="shape"):
        Embeddings.load(write("shape.npz", vectors=np.zeros((3, 2), np.float32)))
    with pytest.raises(ValueError, match="key type is 'int'"):
        Embeddings.load(write("ktype.npz", {"key_type": "int"}))
    with pytest.raises(ValueError, match="duplicate key"):
        Embeddings.load(write("dup.npz", keys=np.frombuffer(b'["a", "a"]', np.uint8)))
    with pytest.raises(ValueError, match="non-finite"):
        Embeddings.load(write("nan.npz", vectors=np.full((2, 2), np.nan, np.float32)))
    with pytest.raises(ValueError, match="counts"):
        Embeddings.load(write("counts.npz", {"has_counts": True}))


# --------------------------------------------------------------------------------------------
# word2vec formats
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_word2vec_round_trip(tmp_path, binary, suffix):
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((50, 7)).astype(np.float32) * np.float32(1e-3)
    vectors[0] = [1e-30, -3.4e38, 0.1, 1 / 3, 0, -0.0, 123456.789]
    keys = ["the", "über", "日本語", "x_y"] + [f"w{i}" for i in range(46)]
    emb = Embeddings(vectors, keys)
    path = tmp_path / f"vec{'.bin' if binary else '.txt'}{suffix}"
    emb.save_word2vec_format(path, binary=binary)
    if suffix:
        assert path.read_bytes()[:2] == b"\x1f\x8b"
    for flag in (binary, None):  # explicit and auto-detected
        back = Embeddings.load_word2vec_format(path, binary=flag)
        assert back.index_to_key == keys
        np.testing.assert_array_equal(back.vectors, vectors)  # bit-exact float32
    limited = Embeddings.load_word2vec_format(path, limit=3)
    assert limited.index_to_key == keys[:3] and limited.vectors.shape == (3, 7)


def test_word2vec_file_layout(tmp_path):
    emb = Embeddings(np.array([[0.5, -2.0], [1.0, 0.25]]), ["a", 10])  # int key -> "10"
    txt, binf = tmp_path / "v.txt", tmp_path / "v.bin"
    emb.save_word2vec_format(txt)
    emb.save_word2vec_format(binf, binary=True)
    assert txt.read_text() == "2 2\na 0.5 -2\n10 1 0.25\n"
    expected = (
        b"2 2\na "
        + np.array([0.5, -2.0], "<f4").tobytes()
        + b"\n"
        + b"10 "
        + np.array([1.0, 0.25], "<f4").tobytes()
        + b"\n"
    )
    assert binf.read_bytes() == expected
    assert Embeddings.load_word2vec_format(binf).index_to_key == ["a", "10"]


def test_word2vec_write_errors(tmp_path):
    path = tmp_path / "v.txt"
    for keys in (["ok", "has space"], ["tab\there", "ok"], ["", "ok"], ["new\nline", "ok"]):
        with pytest.raises(ValueError, match="whitespace"):
            Embeddings(np.zeros((2, 2)), keys).save_word2vec_format(path)
    with pytest.raises(ValueError, match="both become '1'"):
        Embeddings(np.zeros((2, 2)), [1, "1"]).save_word2vec_format(path)
    assert not path.exists() and os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("content", "binary", "match"),
    [
        (b"", None, "malformed word2vec header"),
        (b"3\nx 1 2 3\n", None, "malformed word2vec header"),
        (b"two 3\n", False, "malformed word2vec header"),
        (b"1 0\nx\n", False, "invalid word2vec header"),
        (b"2 3\na 1 2 3\nb 1 2\n", None, "line 3: expected 3 values for key 'b', got 2"),
        (b"2 3\na 1 2 3\nb 1 2 3 4\n", False, "line 3: expected 3 values"),
        (b"2 3\na 1 2 3\n", None, "file ends after 1 vectors but the header says 2"),
        (b"1 2\na 1 oops\n", False, "line 2: non-numeric value"),
        (b"1 2\n 1 2\n", False, "line 2: malformed line"),
        (b"2 2\na 1 2\na 3 4\n", None, "duplicate key 'a'"),
        (b"1 2\na nan 1\n", None, "non-finite"),
        (b"1 2\n\xff\xfe 1 2\n", False, "not valid utf-8"),
        (
            b"2 2\na " + np.ones(2, "<f4").tobytes() + b"\nb " + np.ones(1, "<f4").tobytes(),
            True,
            "unexpected end of file in vector 2 of 2",
        ),
        (b"1 2\nab", True, "unexpected end of file in vector 1"),
        (b"1 1\n\xff " + np.ones(1, "<f4").tobytes(), True, "key of vector 1 is not valid"),
    ],
)
def test_word2vec_malformed(tmp_path, content, binary, match):
    path = tmp_path / "bad.vec"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        Embeddings.load_word2vec_format(path, binary=binary)
    assert "bad.vec" in str(info.value)


def test_word2vec_reader_tolerance(tmp_path):
    # word2vec.c-style trailing spaces, CRLF line ends, a UTF-8 BOM, gzip without .gz suffix,
    # and binary records without the newline separator (as gensim writes them)
    text = tmp_path / "vectors.data"
    text.write_bytes(gzip.compress("\ufeff2 2\r\nmañana 1 2 \r\nb -1 0.5 \r\n".encode()))
    emb = Embeddings.load_word2vec_format(text)
    assert emb.index_to_key == ["mañana", "b"]
    np.testing.assert_array_equal(emb.vectors, [[1, 2], [-1, 0.5]])

    binf = tmp_path / "nonl.bin"
    binf.write_bytes(
        b"2 2\nx " + np.array([1, 2], "<f4").tobytes() + b"y " + np.array([3, 4], "<f4").tobytes()
    )
    emb = Embeddings.load_word2vec_format(binf)
    assert emb.index_to_key == ["x", "y"]
    np.testing.assert_array_equal(emb.vectors, [[1, 2], [3, 4]])
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("1 1\ncafé 1\n".encode("latin-1"))
    assert Embeddings.load_word2vec_format(bad, encoding="latin-1").index_to_key == ["café"]
    replaced = Embeddings.load_word2vec_format(bad, unicode_errors="replace")
    assert replaced.index_to_key == ["caf\ufffd"]
    with pytest.raises(FileNotFoundError):
        Embeddings.load_word2vec_format(tmp_path / "missing.txt")


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_interop(tmp_path, binary):
    gensim_models = pytest.importorskip("gensim.models")
    rng = np.random.default_rng(4)
    keys = ["king", "queen", "über", "日本", "a.b"] + [f"k{i}" for i in range(20)]
    vectors = rng.standard_normal((len(keys), 9)).astype(np.float32)

    # ours -> gensim
    ours = tmp_path / "ours.w2v"
    Embeddings(vectors, keys).save_word2vec_format(ours, binary=binary)
    kv = gensim_models.KeyedVectors.load_word2vec_format(ours, binary=binary)
    assert list(kv.index_to_key) == keys
    np.testing.assert_array_equal(kv.vectors, vectors)

    # gensim -> ours
    kv2 = gensim_models.KeyedVectors(9)
    kv2.add_vectors(keys[::-1], vectors[::-1])
    theirs = tmp_path / "theirs.w2v"
    kv2.save_word2vec_format(theirs, binary=binary)
    emb = Embeddings.load_word2vec_format(theirs)  # format auto-detected
    assert emb.index_to_key == list(kv2.index_to_key)
    np.testing.assert_allclose(emb.vectors, kv2.vectors, rtol=1e-6 if not binary else 0)
    # and the two agree on neighbours
    ours_top = [k for k, _ in emb.most_similar("king", topn=5)]
    theirs_top = [k for k, _ in kv2.most_similar("king", topn=5)]
    assert ours_top == theirs_top


# --------------------------------------------------------------------------------------------
# open_text
# --------------------------------------------------------------------------------------------


def test_open_text(tmp_path):
    gz = tmp_path / "corpus.dat"  # gzip detected from content, not suffix
    gz.write_bytes(gzip.compress("één\ntwee\n".encode()))
    with _io.open_text(gz) as fh:
        assert fh.read() == "één\ntwee\n"
    plain = tmp_path / "plain.txt.gz"  # misleading suffix, plain content
    plain.write_text("hello\n")
    with _io.open_text(plain) as fh:
        assert list(fh) == ["hello\n"]

    binary = tmp_path / "model.bin"
    binary.write_bytes(b"abc\x00\x01\x02" * 10)
    with pytest.raises(ValueError, match="model.bin: looks like a binary file"):
        _io.open_text(binary)
    late = tmp_path / "late.txt"  # undecodable bytes after the sniffed prefix
    late.write_bytes(b"x" * 20000 + b"\n\xff\xfe\n")
    with _io.open_text(late) as fh, pytest.raises(ValueError, match="late.txt: not valid utf-8"):
        list(fh)
    with _io.open_text(late, errors="replace") as fh:
        assert list(fh)[-1] == "\ufffd\ufffd\n"
    early = tmp_path / "early.txt"
    early.write_bytes(b"\xff\xfe abc")
    with pytest.raises(ValueError, match="early.txt: not valid utf-8"):
        _io.open_text(early)
    broken = tmp_path / "broken.gz"
    broken.write_bytes(gzip.compress(b"line\n" * 5000)[:40])
    with pytest.raises(ValueError, match="broken.gz: corrupt"), _io.open_text(broken) as fh:
        fh.read()
    with pytest.raises(FileNotFoundError, match="absent.txt"):
        _io.open_text(tmp_path / "absent.txt")
    with pytest.raises(IsADirectoryError):
        _io.open_text(tmp_path)
