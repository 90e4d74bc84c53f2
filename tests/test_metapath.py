"""metapath2vec: typed walks, the per-type sampler, the estimator and the generic SGNS."""

from __future__ import annotations

import gzip
from collections import Counter

import networkx as nx
import numpy as np
import pytest

from embedkit import SGNS, Metapath2Vec, MetapathWalks, TypedUnigram
from embedkit.contexts.base import Shardable
from embedkit.contexts.metapath import read_node_types
from embedkit.samplers.base import alias_probabilities
from embedkit.vocab import Vocab

APVPA = ["author", "paper", "venue", "paper", "author"]


def academic_graph(groups: int = 3, authors: int = 30, papers: int = 90, venues: int = 2,
                   noise: float = 0.1, seed: int = 0) -> tuple[nx.Graph, dict]:
    """Authors write papers (2-3 authors each) published at venues; each author, paper and
    venue belongs to one planted group, and a fraction ``noise`` of links crosses groups."""
    rng = np.random.default_rng(seed)
    G = nx.Graph()
    label = {}
    for g in range(groups):
        for i in range(authors):
            G.add_node(f"a{g}_{i}", type="author")
            label[f"a{g}_{i}"] = g
        for i in range(venues):
            G.add_node(f"v{g}_{i}", type="venue")
    for g in range(groups):
        for i in range(papers):
            p = f"p{g}_{i}"
            G.add_node(p, type="paper")
            vg = g if rng.random() > noise else int(rng.integers(groups))
            G.add_edge(p, f"v{vg}_{int(rng.integers(venues))}")
            for _ in range(int(rng.integers(2, 4))):
                ag = g if rng.random() > noise else int(rng.integers(groups))
                G.add_edge(p, f"a{ag}_{int(rng.integers(authors))}")
    return G, label


@pytest.fixture(scope="module")
def academic():
    return academic_graph()


def _type_of(G):
    return nx.get_node_attributes(G, "type")


# -- walks -------------------------------------------------------------------------------------
def test_walks_follow_the_metapath_exactly(academic):
    G, _ = academic
    types = _type_of(G)
    mw = MetapathWalks(G, [APVPA, ["author", "paper", "author"]], walk_length=13,
                       walks_per_node=3)
    walks = mw.walks(labels=True, seed=5)
    n_authors = sum(t == "author" for t in types.values())
    assert len(walks) == mw.n_walks == 2 * 3 * n_authors
    by_start = Counter()
    for w in walks:
        seq = [types[x] for x in w]
        cycle = APVPA[:-1] if len(set(seq[:5])) == 3 else ["author", "paper"]
        assert seq == [cycle[i % len(cycle)] for i in range(len(seq))]
        assert all(G.has_edge(a, b) for a, b in zip(w[:-1], w[1:], strict=True))
        by_start[w[0]] += 1
    # every author starts walks_per_node walks per metapath
    assert set(by_start.values()) == {6} and len(by_start) == n_authors
    # the two metapaths are both walked (A-P-V-P-A walks visit venues, A-P-A walks do not)
    with_venue = sum(any(types[x] == "venue" for x in w) for w in walks)
    assert with_venue == len(walks) // 2


def test_walk_ends_without_a_neighbour_of_the_next_type():
    G = nx.Graph([("a1", "p1"), ("a2", "p2"), ("p2", "v1")])
    nx.set_node_attributes(G, {"a1": "A", "a2": "A", "p1": "P", "p2": "P", "v1": "V"}, "type")
    walks = MetapathWalks(G, [["A", "P", "V", "P", "A"]], walk_length=5,
                          walks_per_node=1).walks(labels=True)
    assert sorted(walks) == [["a1", "p1"], ["a2", "p2", "v1", "p2", "a2"]]


def _step_frequencies(weighted: bool, n: int = 20000) -> np.ndarray:
    G = nx.Graph()
    for p, w in zip(["p1", "p2", "p3"], [1.0, 2.0, 5.0], strict=True):
        G.add_edge("a", p, weight=w)
    G.add_edge("a", "v", weight=50.0)  # a neighbour of another type: never taken
    types = {"a": "A", "p1": "P", "p2": "P", "p3": "P", "v": "V"}
    mw = MetapathWalks(G, ["A", "P", "A"], node_type=types, walk_length=2, walks_per_node=n,
                       weighted=weighted)
    counts = Counter(w[1] for w in mw.walks(labels=True, seed=1))
    assert set(counts) == {"p1", "p2", "p3"}
    return np.array([counts["p1"], counts["p2"], counts["p3"]]) / n


def test_next_node_uniform_or_by_weight_among_the_next_type():
    np.testing.assert_allclose(_step_frequencies(False), [1 / 3] * 3, atol=0.015)
    np.testing.assert_allclose(_step_frequencies(True), [1 / 8, 2 / 8, 5 / 8], atol=0.015)


def test_walks_depend_on_the_seed_only(academic):
    import numba

    G, _ = academic
    mw = MetapathWalks(G, [APVPA], walk_length=20, walks_per_node=2, batch_walks=64)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = mw.walks(seed=3, epoch=1)
        numba.set_num_threads(max(2, before))
        many = mw.walks(seed=3, epoch=1)
    finally:
        numba.set_num_threads(before)
    big = MetapathWalks(G, [APVPA], walk_length=20, walks_per_node=2).walks(seed=3, epoch=1)
    assert all(np.array_equal(a, b) for a, b in zip(one, many, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(one, big, strict=True))
    other = mw.walks(seed=4, epoch=1)
    assert not all(np.array_equal(a, b) for a, b in zip(one, other, strict=True))


def test_shards_concatenate_to_the_same_walks(academic):
    G, _ = academic
    mw = MetapathWalks(G, [APVPA], walk_length=9, walks_per_node=1, count_seed=7)
    assert isinstance(mw, Shardable)
    shards = mw.shards(3)
    assert len(shards) == 3
    assert sum(s.n_nodes for s in shards) == mw.start_nodes.size
    whole = mw.shards(1)[0].count()
    vocab = mw.build_vocab(min_count=1)
    assert whole.n_raw == int(mw.node_counts_.sum()) == vocab.n_raw_tokens


# -- node types and bad input --------------------------------------------------------------------
def test_node_types_from_a_mapping_or_a_file(tmp_path, academic):
    G, _ = academic
    types = _type_of(G)
    H = nx.Graph()  # the same nodes and edges, no attributes
    H.add_nodes_from(G.nodes)
    H.add_edges_from(G.edges)
    path = tmp_path / "types.txt.gz"
    with gzip.open(path, "wt") as f:
        f.write("# node type\n\n" + "".join(f"{n}\t{t}\n" for n, t in types.items()))
    want = MetapathWalks(G, [APVPA], walk_length=9, walks_per_node=1).walks(seed=2, labels=True)
    for source in (types, path, str(path)):
        b = MetapathWalks(H, [APVPA], node_type=source, walk_length=9, walks_per_node=1)
        assert b.node_types() == types
        assert b.walks(seed=2, labels=True) == want
    assert read_node_types(path) == types


def test_bad_input_is_a_clear_error(tmp_path):
    G = nx.Graph([("a1", "p1"), ("p1", "v1")])
    nx.set_node_attributes(G, {"a1": "author", "p1": "paper", "v1": "venue"}, "type")
    with pytest.raises(ValueError, match="unknown node type 'venu'"):
        MetapathWalks(G, [["author", "paper", "venu", "paper", "author"]])
    G.add_node("x1")
    with pytest.raises(ValueError, match="node 'x1' has no type"):
        MetapathWalks(G, [APVPA])
    G.remove_node("x1")
    types = {"a1": "author", "p1": "paper", "v1": "venue", "o9": "org"}
    with pytest.raises(ValueError, match="no node has the start type 'org'"):
        MetapathWalks(G, [["org", "author", "org"]], node_type=types)
    with pytest.raises(ValueError, match="must start and end with the same type"):
        MetapathWalks(G, [["author", "paper"]])
    with pytest.raises(ValueError, match="no node of type 'venue' has a neighbour of type "
                                         "'author'"):
        MetapathWalks(G, [["venue", "author", "venue"]])
    with pytest.raises(TypeError, match="non-empty list of metapaths"):
        MetapathWalks(G, [])
    with pytest.raises(TypeError, match="node attribute, which needs a networkx graph"):
        MetapathWalks([("a1", "p1")], [["author", "paper", "author"]], node_type="kind")
    bad = tmp_path / "bad.txt"
    bad.write_text("a1 author\np1\n")
    with pytest.raises(ValueError, match=r"bad.txt:2: expected 'node type'"):
        read_node_types(bad)
    bad.write_text("a1 author\na1 paper\n")
    with pytest.raises(ValueError, match="two types"):
        read_node_types(bad)
    with pytest.raises(ValueError, match="walk_length must be a positive int"):
        MetapathWalks(G, [APVPA], walk_length=0)


# -- the per-type sampler (metapath2vec++) -------------------------------------------------------
def test_typed_sampler_draws_only_the_positive_type():
    """One candidate row per type, weighted by count ** power through a per-row alias table:
    the exact distribution the tables encode, and the engine's draws (chi-square)."""
    from scipy import stats
    from test_samplers import draw

    keys = ["a1", "p1", "a2", "p2", "a3", "v1"]
    counts = [8, 7, 4, 3, 1, 1]
    types = {"a1": "A", "a2": "A", "a3": "A", "p1": "P", "p2": "P", "v1": "V"}
    vocab = Vocab(keys, counts)
    t = TypedUnigram(types, power=0.75).tables(vocab)
    assert t.cand_mix == 1.0
    assert t.cand_indptr.size == 4  # one row per type, not one per node
    for i, key in enumerate(keys):
        lo, hi = t.cand_indptr[t.cand_row[i]], t.cand_indptr[t.cand_row[i] + 1]
        row = t.cand_ids[lo:hi]
        same = [j for j, k in enumerate(keys) if types[k] == types[key]]
        assert sorted(row.tolist()) == same
        want = np.array([counts[j] ** 0.75 for j in row])
        got = alias_probabilities(t.cand_prob[lo:hi], t.cand_alias[lo:hi])
        np.testing.assert_allclose(got, want / want.sum(), rtol=1e-12)
    # the kernel's draws for a target of type A follow count**0.75 within A, nothing else
    ids, mask = draw(t, 60_000, target=0)
    a_ids = [0, 2, 4]
    assert set(np.unique(ids).tolist()) <= set(a_ids)
    observed = np.array([np.sum(ids == j) for j in a_ids])  # (draws of the positive masked)
    p = np.array([counts[j] ** 0.75 for j in a_ids])
    assert stats.chisquare(observed, p / p.sum() * observed.sum()).pvalue > 1e-3
    q = np.array([counts[j] for j in a_ids], dtype=float)  # power 1 is rejected: the test has power
    assert stats.chisquare(observed, q / q.sum() * observed.sum()).pvalue < 1e-6
    assert not mask[ids == 0].any()  # the positive itself is skipped
    exact = TypedUnigram(types, power=0.0).tables(vocab)
    assert exact.cand_prob.size == 0  # uniform within a type: no alias tables needed
    lo, hi = exact.cand_indptr[exact.cand_row[1]], exact.cand_indptr[exact.cand_row[1] + 1]
    assert exact.cand_ids[lo:hi].tolist() == [1, 3]
    assert np.allclose(alias_probabilities(exact.alias_prob, exact.alias_idx).sum(), 1.0)
    with pytest.raises(ValueError, match="node 'v1' has no type"):
        TypedUnigram({k: v for k, v in types.items() if k != "v1"}).tables(vocab)
    with pytest.raises(ValueError, match="needs node types"):
        TypedUnigram().tables(vocab)


def test_shared_candidate_rows_are_validated():
    from embedkit.samplers.base import make_tables

    w = np.ones(3)
    with pytest.raises(ValueError, match="cand_row must hold one row number"):
        make_tables(w, cand_indptr=[0, 2], cand_ids=[0, 1], cand_mix=1.0, cand_row=[0, 1, 0])
    with pytest.raises(ValueError, match="cand_weights must be finite"):
        make_tables(w, cand_indptr=[0, 2], cand_ids=[0, 1], cand_mix=1.0, cand_row=[0, 0, -1],
                    cand_weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="positive weight"):
        make_tables(w, cand_indptr=[0, 2], cand_ids=[0, 1], cand_mix=1.0, cand_row=[0, 0, -1],
                    cand_weights=[0.0, 0.0])


# -- the estimators ------------------------------------------------------------------------------
def _author_accuracy(emb, labels: dict, seed: int = 0) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    authors = [a for a in labels if a in emb.key_to_index]
    X = np.array([emb[a] for a in authors])
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.array([labels[a] for a in authors])
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.5, stratify=y, random_state=seed)
    return float(LogisticRegression(max_iter=2000).fit(Xa, ya).score(Xb, yb))


class _Random:
    def __init__(self, keys, dim, seed):
        rng = np.random.default_rng(seed)
        self.key_to_index = {k: i for i, k in enumerate(keys)}
        self.X = rng.standard_normal((len(keys), dim))

    def __getitem__(self, key):
        return self.X[self.key_to_index[key]]


@pytest.mark.parametrize("sampler", ["unigram", "typed"])
def test_node_classification_well_above_chance(academic, sampler):
    G, labels = academic
    kw = dict(dim=32, walk_length=40, walks_per_node=10, window=5, epochs=2, threads=1,
              random_state=0, progress=False, subsample=0.0)
    model = Metapath2Vec([APVPA], sampler=sampler, **kw).fit(G)
    acc = _author_accuracy(model.embeddings_, labels)
    control = _author_accuracy(_Random(list(labels), 32, 0), labels)
    # 3 planted groups: chance is 1/3; random vectors must fail the bar the model passes
    assert control < 0.6 < acc, (control, acc)
    assert acc >= 0.85
    assert model.node_types_["a0_0"] == "author" and model.unreachable_nodes_ == []
    again = Metapath2Vec([APVPA], sampler=sampler, **kw).fit(G)
    np.testing.assert_array_equal(model.embeddings_.vectors, again.embeddings_.vectors)


def test_metapath2vec_rejects_bad_parameters(academic):
    G, _ = academic
    with pytest.raises(ValueError, match="unknown node type 'journal'"):
        Metapath2Vec([["author", "journal", "author"]], progress=False).fit(G)
    with pytest.raises(TypeError, match="non-empty list of metapaths"):
        Metapath2Vec(progress=False).fit(G)
    with pytest.raises(ValueError, match="lr must be"):
        Metapath2Vec([APVPA], lr=-1.0, progress=False).fit(G)
    assert "metapaths" in Metapath2Vec([APVPA]).get_params()
    assert "generator" not in Metapath2Vec([APVPA]).get_params()


def test_generic_sgns_trains_any_generator_like_the_thin_estimator(academic):
    G, _ = academic
    kw = dict(dim=16, window=5, epochs=1, threads=1, random_state=3, progress=False)
    walk_kw = dict(walk_length=20, walks_per_node=2)
    thin = Metapath2Vec([APVPA], **walk_kw, **kw).fit(G)
    walks = MetapathWalks(G, [APVPA], **walk_kw, count_seed=3)
    kw["shared_negatives"] = False  # Metapath2Vec's default (SGNS keeps shared negatives)
    generic = SGNS(walks, **kw).fit()
    np.testing.assert_array_equal(thin.embeddings_.vectors, generic.embeddings_.vectors)
    assert generic.generator_ is walks
    factory = SGNS(lambda g: MetapathWalks(g, [APVPA], **walk_kw, count_seed=3), **kw).fit(G)
    np.testing.assert_array_equal(factory.embeddings_.vectors, generic.embeddings_.vectors)
    late = SGNS(**kw).fit(walks)
    np.testing.assert_array_equal(late.embeddings_.vectors, generic.embeddings_.vectors)
    with pytest.raises(TypeError, match="already holds the data"):
        SGNS(walks, **kw).fit(G)
    with pytest.raises(TypeError, match="must be a ContextGenerator"):
        SGNS(42, **kw).fit()
    with pytest.raises(TypeError, match="must return a ContextGenerator"):
        SGNS(lambda g: [1, 2], **kw).fit(G)
    with pytest.raises(ValueError, match="needs a Dask client"):
        SGNS(walks, **kw).fit(shards=2)
