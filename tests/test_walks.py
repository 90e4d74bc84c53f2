"""Random walks: exact transition laws (chi-square), validity, reproducibility, memory."""

from __future__ import annotations

import random
import tracemalloc
import warnings
from collections import Counter, defaultdict

import networkx as nx
import numba
import numpy as np
import pytest
from naive_graph import adjacency, first_order_probs, naive_walk, node2vec_probs
from scipy import stats

from embedkit.contexts.base import ContextGenerator
from embedkit.contexts.graph import as_graph
from embedkit.contexts.walks import RandomWalks, build_alias_tables

# A small graph with triangles (d_tx = 1 cases), a pendant node and unequal weights.
EDGES = [
    (0, 1, 1.0), (0, 2, 3.0), (1, 2, 2.0), (2, 3, 1.0), (3, 4, 4.0), (2, 4, 0.5),
    (4, 5, 1.0), (1, 3, 2.5), (5, 0, 1.5),
]
# Directed: some reciprocal arcs (returns possible), a dead end (node 6), a sink cycle.
ARCS = [
    (0, 1, 2.0), (1, 0, 1.0), (1, 2, 1.0), (2, 0, 3.0), (2, 3, 1.0), (0, 2, 1.0),
    (3, 1, 2.0), (3, 4, 1.0), (4, 3, 1.0), (4, 2, 2.0), (3, 6, 0.5), (1, 5, 1.0), (5, 1, 1.0),
]


def _triples(rw: RandomWalks, seed: int = 3):
    """Counts of next node given (previous, current), over all steps of one epoch."""
    n = rw.graph.n_nodes
    keys = []
    for ids, offsets in rw.iter_walks(seed=seed):
        pos = np.arange(ids.size - 2)
        walk_of = np.searchsorted(offsets, pos, side="right") - 1
        ok = pos + 2 < offsets[walk_of + 1]  # the triple stays inside one walk
        pos = pos[ok]
        keys.append((ids[pos].astype(np.int64) * n + ids[pos + 1]) * n + ids[pos + 2])
    uniq, cnt = np.unique(np.concatenate(keys), return_counts=True)
    counts: dict = defaultdict(Counter)
    lab = rw.graph.labels
    for k, c in zip(uniq.tolist(), cnt.tolist(), strict=True):
        a, rest = divmod(k, n * n)
        b, x = divmod(rest, n)
        counts[(lab[a], lab[b])][lab[x]] += c
    return counts


def _pooled_chi2(counts, expected_fn, min_n: int = 300) -> tuple[float, int]:
    """Pooled chi-square p-value over all conditioning states with enough samples."""
    chi, dof, used = 0.0, 0, 0
    for state, obs in counts.items():
        n = sum(obs.values())
        if n < min_n:
            continue
        probs = expected_fn(*state)
        assert set(obs) <= set(probs), f"impossible move from {state}: {set(obs) - set(probs)}"
        xs = sorted(probs)
        if len(xs) < 2:
            continue
        f_obs = np.array([obs.get(x, 0) for x in xs], float)
        f_exp = np.array([probs[x] for x in xs]) * n
        chi += float(((f_obs - f_exp) ** 2 / f_exp).sum())
        dof += len(xs) - 1
        used += 1
    assert used >= 5
    return float(stats.chi2.sf(chi, dof)), used


@pytest.mark.parametrize("p,q", [(1.0, 1.0), (0.25, 4.0), (4.0, 0.25), (0.5, 2.0), (2.0, 0.5)])
@pytest.mark.parametrize("kind", ["weighted-undirected", "unweighted-undirected",
                                  "weighted-directed"])
def test_node2vec_transitions_match_definition(kind, p, q):
    directed = kind.endswith("-directed")
    edges = ARCS if directed else EDGES
    if kind.startswith("unweighted"):
        edges = [e[:2] for e in edges]
    adj = adjacency(edges, directed=directed)
    G = (nx.DiGraph if directed else nx.Graph)()
    G.add_weighted_edges_from([(e[0], e[1], e[2] if len(e) > 2 else 1.0) for e in edges])
    rw = RandomWalks(G, walk_length=12, walks_per_node=3000, p=p, q=q,
                     weighted=not kind.startswith("unweighted"))
    counts = _triples(rw)
    pval, used = _pooled_chi2(counts, lambda t, v: node2vec_probs(adj, t, v, p, q))
    assert pval > 1e-3, f"transitions deviate from node2vec (pooled p={pval:.2e}, {used} states)"
    if (p, q) != (1.0, 1.0):  # the test has power: the swapped parameters are rejected
        wrong, _ = _pooled_chi2(counts, lambda t, v: node2vec_probs(adj, t, v, q, p))
        assert wrong < 1e-6


def test_weighted_deepwalk_transitions_proportional_to_weights():
    adj = adjacency(EDGES, directed=False)
    rw = RandomWalks(as_graph(EDGES), walk_length=20, walks_per_node=2000)
    first: dict = defaultdict(Counter)
    for ids, offsets in rw.iter_walks(seed=5):
        for i in range(offsets.size - 1):
            w = ids[offsets[i]:offsets[i + 1]]
            for a, b in zip(w[:-1], w[1:], strict=True):
                first[int(a)][int(b)] += 1
    lab = rw.graph.labels
    for v, obs in first.items():
        probs = first_order_probs(adj, lab[v])
        xs = sorted(probs)
        f_obs = np.array([obs.get(rw.graph.label_to_id[x], 0) for x in xs], float)
        assert stats.chisquare(f_obs, np.array([probs[x] for x in xs]) * f_obs.sum()).pvalue > 1e-4


def test_alias_tables_reproduce_row_distribution():
    rng = np.random.default_rng(0)
    w = rng.random(50) ** 3 + 1e-3
    indptr = np.array([0, 1, 20, 20, 50], dtype=np.int64)  # rows of size 1, 19, 0, 30
    prob, alias = build_alias_tables(indptr, w)
    for v in range(4):
        lo, hi = indptr[v], indptr[v + 1]
        d = hi - lo
        mass = np.zeros(d)
        for k in range(d):  # exact mass of each outcome implied by the alias table
            mass[k] += prob[lo + k] / d
            mass[alias[lo + k]] += (1 - prob[lo + k]) / d
        np.testing.assert_allclose(mass, w[lo:hi] / w[lo:hi].sum(), atol=1e-12)


def test_naive_walker_agrees_with_kernel_on_return_rate():
    """Independent check via the pure-Python walker: return frequency (x == t) agrees."""
    adj = adjacency(EDGES, directed=False)
    p, q = 0.5, 3.0
    rng = random.Random(0)

    def return_rate(walks):
        ret = tot = 0
        for w in walks:
            for a, _, c in zip(w, w[1:], w[2:], strict=False):
                ret += a == c
                tot += 1
        return ret / tot, tot

    naive = [naive_walk(adj, s, 10, p, q, rng) for s in adj for _ in range(300)]
    rw = RandomWalks(as_graph(EDGES), walk_length=10, walks_per_node=300, p=p, q=q)
    fast = rw.walks(seed=1, labels=True)
    (r1, n1), (r2, n2) = return_rate(naive), return_rate(fast)
    se = np.sqrt(r1 * (1 - r1) / n1 + r2 * (1 - r2) / n2)
    assert abs(r1 - r2) < 5 * se


@pytest.mark.parametrize("directed,p,q", [(True, 0.5, 2.0), (False, 1.0, 1.0),
                                          (False, 0.25, 4.0)])
def test_every_step_follows_an_edge_and_dead_ends_stop(directed, p, q):
    from embedkit.datasets import load_drosophila

    G, _ = load_drosophila()
    rw = RandomWalks(G, walk_length=30, walks_per_node=3, p=p, q=q, directed=directed)
    g = rw.graph
    A = g.to_scipy().tocsr()
    outdeg = g.out_degree()
    n_short = 0
    for ids, offsets in rw.iter_walks(seed=2):
        lens = np.diff(offsets)
        assert lens.min() >= 1 and lens.max() <= 30
        nxt = np.ones(ids.size, bool)
        nxt[offsets[1:] - 1] = False  # no step out of the last node of a walk
        a, b = ids[nxt], ids[np.flatnonzero(nxt) + 1]
        assert np.all(np.asarray(A[a, b]).ravel() > 0), "a step did not follow an edge"
        short = lens < 30
        assert np.all(outdeg[ids[offsets[1:][short] - 1]] == 0), "a walk stopped early"
        n_short += int(short.sum())
    assert (n_short > 0) == directed  # the directed connectome has dead ends
    # every start node is used walks_per_node times
    starts = np.concatenate([ids[offsets[:-1]] for ids, offsets in rw.iter_walks(seed=2)])
    assert np.all(np.bincount(starts, minlength=g.n_nodes) == 3)


def test_reproducible_with_seed_and_independent_of_threads():
    G = nx.barabasi_albert_graph(300, 3, seed=1)
    rw = RandomWalks(G, walk_length=15, walks_per_node=4, p=0.5, q=2.0, batch_walks=128)
    a = rw.walks(seed=7)
    b = rw.walks(seed=7)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        c = rw.walks(seed=7)
    finally:
        numba.set_num_threads(old)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))
    d = rw.walks(seed=8)
    assert not all(np.array_equal(x, y) for x, y in zip(a, d, strict=True))
    e = rw.walks(seed=7, epoch=1)
    assert not all(np.array_equal(x, y) for x, y in zip(a, e, strict=True))
    # the batch size does not change the walks
    rw2 = RandomWalks(G, walk_length=15, walks_per_node=4, p=0.5, q=2.0, batch_walks=1000)
    assert all(np.array_equal(x, y) for x, y in zip(a, rw2.walks(seed=7), strict=True))


def test_protocol_and_vocab_counts():
    G = nx.karate_club_graph()
    rw = RandomWalks(G, walk_length=10, walks_per_node=5, count_seed=4)
    assert isinstance(rw, ContextGenerator)
    vocab = rw.build_vocab(min_count=1, max_vocab_size=None, subsample=0.0)
    assert set(vocab.index_to_key) == set(G.nodes())
    assert rw.tokens_per_epoch(vocab) == 34 * 5 * 10
    # the counts are exactly the visits of the epoch-0 walks with the counting seed
    visits = Counter(x for w in rw.walks(seed=4, labels=True) for x in w)
    assert {k: int(c) for k, c in zip(vocab.index_to_key, vocab.counts, strict=True)} == visits
    n = 0
    for batch in rw.batches(vocab, epoch=0, seed=4):
        assert batch.ids.dtype == np.int32 and batch.offsets.dtype == np.int64
        assert batch.ids.min() >= 0 and batch.ids.max() < len(vocab)
        n += batch.n_raw
    assert n == rw.tokens_per_epoch(vocab)


def test_streaming_memory_does_not_grow_with_walks_per_node():
    G = nx.random_regular_graph(4, 2000, seed=0)
    peaks = {}
    old = numba.get_num_threads()
    numba.set_num_threads(1)  # many small batches: avoid parallel launch overhead
    try:
        _measure_peaks(G, peaks)
    finally:
        numba.set_num_threads(old)
    full_walk_set = 2000 * 40 * 40 * 4  # bytes of all int32 walk ids for walks_per_node=40
    assert peaks[40] < 1.5 * peaks[5] + (1 << 20), peaks
    assert peaks[40] < full_walk_set / 3, peaks


def _measure_peaks(G, peaks):
    for wpn in (5, 40):
        rw = RandomWalks(G, walk_length=40, walks_per_node=wpn, p=0.5, q=2.0, batch_walks=1024)
        vocab = rw.build_vocab(min_count=1, max_vocab_size=None, subsample=0.0)
        tracemalloc.start()
        total = 0
        for batch in rw.batches(vocab, epoch=0, seed=1):
            total += batch.ids.size
        peaks[wpn] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert total == 2000 * wpn * 40


def test_isolated_nodes_warn_and_are_not_walked():
    G = nx.path_graph(4)
    G.add_nodes_from(["lonely", "alone"])
    with pytest.warns(UserWarning, match="2 isolated node"):
        rw = RandomWalks(G, walk_length=5, walks_per_node=2)
    assert sorted(rw.graph.labels[i] for i in rw.isolated) == ["alone", "lonely"]
    vocab = rw.build_vocab(min_count=1, max_vocab_size=None, subsample=0.0)
    assert "lonely" not in vocab and len(vocab) == 4


def test_walk_export_to_file(tmp_path):
    G = nx.relabel_nodes(nx.cycle_graph(5), {i: f"n{i}" for i in range(5)})
    rw = RandomWalks(G, walk_length=6, walks_per_node=2)
    path = tmp_path / "walks.txt"
    assert rw.write_walks(path, seed=3) == 10
    lines = [line.split() for line in path.read_text().splitlines()]
    assert lines == rw.walks(seed=3, labels=True)


@pytest.mark.parametrize("kwargs,err", [
    ({"walk_length": 0}, ValueError), ({"walks_per_node": 1.5}, ValueError),
    ({"p": 0}, ValueError), ({"q": float("inf")}, ValueError), ({"q": "2"}, TypeError),
    ({"p": -1.0}, ValueError),
])
def test_bad_walk_parameters(kwargs, err):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(err):
            RandomWalks(nx.path_graph(3), **kwargs)
