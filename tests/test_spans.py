"""Walk kernels on Python threads: chunk spans, and walks that do not depend on the split."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest

from embedkit.contexts import metapath, spans, walks
from embedkit.contexts.metapath import MetapathWalks
from embedkit.contexts.spans import ChunkSpan, chunk_spans, run_parallel, run_spans
from embedkit.contexts.walks import RandomWalks


@pytest.mark.parametrize("n_chunks", [0, 1, 2, 7, 64, 65])
@pytest.mark.parametrize("n_threads", [1, 2, 3, 8])
def test_chunk_spans_cover_every_chunk_once_in_order(n_chunks, n_threads):
    got = chunk_spans(n_chunks, n_threads)
    assert len(got) == min(n_chunks, n_threads)
    flat = [c for s in got for c in range(s.lo, s.hi)]
    assert flat == list(range(n_chunks))
    sizes = [s.hi - s.lo for s in got]
    assert not sizes or max(sizes) - min(sizes) <= 1


def test_run_parallel_keeps_job_order_and_reraises():
    assert run_parallel(lambda a, b: a * b, [(i, 2) for i in range(5)]) == [0, 2, 4, 6, 8]
    assert run_parallel(lambda a: a, []) == []

    def boom(i):
        if i == 3:
            raise ValueError("job 3")
        return i

    with pytest.raises(ValueError, match="job 3"):
        run_parallel(boom, [(i,) for i in range(4)])


def _with_threads(monkeypatch, module, n):
    def forced(kernel, args, n_chunks, threads=None):
        got = chunk_spans(n_chunks, n)
        assert len(got) == min(n, n_chunks)
        run_spans(kernel, args, n_chunks, threads=n)

    monkeypatch.setattr(module, "run_spans", forced)


@pytest.mark.parametrize("p, q", [(1.0, 1.0), (0.5, 2.0)])
def test_walks_identical_for_any_number_of_spans(monkeypatch, p, q):
    """Each chunk keeps its own stream: 1, 3 or 7 threads give the same walks, bit for bit."""
    G = nx.barabasi_albert_graph(400, 3, seed=2)
    rw = RandomWalks(G, walk_length=12, walks_per_node=3, p=p, q=q, batch_walks=512)
    got = []
    for n in (1, 3, 7):
        _with_threads(monkeypatch, walks, n)
        got.append(np.concatenate(rw.walks(seed=5)))
    assert got[0].size == 400 * 3 * 12
    assert np.array_equal(got[0], got[1]) and np.array_equal(got[0], got[2])


def test_metapath_walks_identical_for_any_number_of_spans(monkeypatch):
    G = nx.complete_bipartite_graph(30, 40)
    types = {v: ("a" if v < 30 else "b") for v in G}
    mw = MetapathWalks(G, metapaths=[["a", "b", "a"]], node_type=types, walk_length=9,
                       walks_per_node=5, batch_walks=64)
    got = []
    for n in (1, 4):
        _with_threads(monkeypatch, metapath, n)
        got.append(np.concatenate(mw.walks(seed=1)))
    assert got[0].size == 30 * 5 * 9
    assert np.array_equal(got[0], got[1])


_CHILD = r"""
import json, sys
import networkx as nx
import numpy as np
from numba.core.registry import CPUDispatcher
from embedkit.contexts.metapath import MetapathWalks
from embedkit.contexts.walks import RandomWalks
from embedkit.samplers.hard import nearest_neighbors
G = nx.karate_club_graph()
RandomWalks(G, walk_length=5, walks_per_node=1, p=0.5, q=2.0).walks(seed=0)
types = {v: ("a" if v % 2 else "b") for v in G}
MetapathWalks(nx.complete_bipartite_graph(3, 4), metapaths=[["a", "b", "a"]],
              node_type={v: ("a" if v < 3 else "b") for v in range(7)}, walk_length=5,
              walks_per_node=1).walks(seed=0)
nearest_neighbors(np.random.default_rng(0).random((300, 4)).astype(np.float32), 3)
compiled, parallel = [], []
for name, mod in list(sys.modules.items()):
    if not name.startswith("embedkit"):
        continue
    for attr, obj in vars(mod).items():
        if isinstance(obj, CPUDispatcher) and obj.signatures:
            compiled.append(f"{name}.{attr}")
            if obj.targetoptions.get("parallel"):
                parallel.append(f"{name}.{attr}")
print(json.dumps({"compiled": sorted(set(compiled)), "parallel": sorted(set(parallel))}))
"""


@pytest.mark.slow
def test_walks_and_top_k_compile_no_parallel_kernel(tmp_path):
    """Walks (node2vec, metapath) and hard negatives' top-k compile no ``parallel=True`` code."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True,
                         text=True, check=True, timeout=600)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert "embedkit.contexts.walks._walk_kernel" in got["compiled"]
    assert "embedkit.contexts.metapath._metapath_kernel" in got["compiled"]
    assert "embedkit.samplers.hard._top_k_rows" in got["compiled"]
    assert got["parallel"] == []


def test_span_type_is_a_small_namedtuple():
    assert ChunkSpan(2, 5) == (2, 5) and spans.ChunkSpan._fields == ("lo", "hi")
