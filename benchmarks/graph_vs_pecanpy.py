"""embedkit Node2Vec vs PecanPy (+ gensim) on the Debian dependency graph.

Runs everything in one go, each measurement in its own subprocess (so peak RSS is per run):

* embedkit: walk generation alone (one epoch of walks, counted but not stored) and end to end
  (read the edge list, walk, train; vectors in memory);
* PecanPy: end to end in its recommended (and fastest) mode for the graph
  (``FirstOrderUnweighted`` for p = q = 1, ``SparseOTF`` otherwise; ``PreComp`` would need
  sum(deg^2) = 0.71 billion transition entries on this graph (hubs such as libc6),
  and is skipped), followed by gensim ``Word2Vec`` with the settings of PecanPy's own
  ``embed()``; the walk time is measured inside that run (``--all-modes`` also times
  ``SparseOTF`` walks for p = q = 1);
* quality: node-classification macro-F1 with 50% training labels (Debian sections,
  :func:`embedkit.eval.graphs.node_classification`, same splits for both).

Settings (identical for both): undirected, unweighted, walk_length 80, walks_per_node 10,
window 10 (gensim's shrinking window on both sides: embedkit's graph default is the full
window, ~1.8x the pairs at window 10), dim 128, negative 5, 1 epoch, 2 threads; p = q = 1 and
p = 0.25, q = 4.

PecanPy 2.0.9 needs numpy < 2, so it runs in a separate virtual environment outside the repo::

    python -m venv /work/venvs/pecanpy
    /work/venvs/pecanpy/bin/pip install pecanpy 'numpy<2' gensim

and is found through ``--pecanpy-python`` or the environment variable ``PECANPY_PYTHON``
(default ``/work/venvs/pecanpy/bin/python``). The project's own numpy is never pinned.

Usage::

    python benchmarks/graph_vs_pecanpy.py [--data ../shared/data/graphs] [--threads 2]
        [--repeats 2] [--pecanpy-python PATH] [--skip-pecanpy]

Wall-clock times are in seconds; peak RSS is ``ru_maxrss`` of the measuring subprocess (whole
process, including the interpreter and imported libraries). embedkit's Numba kernels are cached
on disk (``cache=True``) after the first run; PecanPy compiles its kernels on every run, which is
part of its end-to-end time as users experience it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "graphs"
SETTINGS = dict(walk_length=80, walks_per_node=10, window=10, dim=128, negative=5)
CONFIGS = [(1.0, 1.0), (0.25, 4.0)]

# ---------------------------------------------------------------------------------------------
# Workers (run in subprocesses)
# ---------------------------------------------------------------------------------------------

EMBEDKIT_WORKER = r"""
import json, resource, sys, time
import numpy as np
t_start = time.perf_counter()
from embedkit.contexts.edgelist import read_edgelist
from embedkit.contexts.walks import RandomWalks
from embedkit.models.node2vec import Node2Vec
cfg = json.loads(sys.argv[1])
import numba
numba.set_num_threads(cfg["threads"])
out = {}
if cfg["what"] == "walks":
    g = read_edgelist(cfg["edges"])
    rw = RandomWalks(g, walk_length=cfg["walk_length"], walks_per_node=cfg["walks_per_node"],
                     p=cfg["p"], q=cfg["q"])
    t0 = time.perf_counter()
    rw.build_vocab(min_count=1, max_vocab_size=None, subsample=0.0)
    out["walk_seconds"] = time.perf_counter() - t0
    out["steps"] = int(rw.node_counts_.sum())
else:
    t0 = time.perf_counter()
    g = read_edgelist(cfg["edges"])
    model = Node2Vec(dim=cfg["dim"], walk_length=cfg["walk_length"],
                     walks_per_node=cfg["walks_per_node"], p=cfg["p"], q=cfg["q"],
                     window=cfg["window"], negative=cfg["negative"], epochs=1,
                     shrink_window=True,  # gensim's window: the same pairs as the peer
                     threads=cfg["threads"], random_state=cfg["seed"], progress=False)
    model.fit(g)
    out["e2e_seconds"] = time.perf_counter() - t0
    out["walk_seconds_in_fit"] = model.vocab_seconds_
    out["train_seconds"] = model.training_seconds_
    emb = model.embeddings_
    np.save(cfg["out"] + ".npy", emb.vectors)
    with open(cfg["out"] + ".json", "w") as f:
        json.dump([str(k) for k in emb.index_to_key], f)
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps(out))
"""

PECANPY_WORKER = r"""
import json, resource, sys, time
cfg = json.loads(sys.argv[1])
import numba
numba.set_num_threads(cfg["threads"])
from pecanpy import pecanpy as node2vec
from gensim.models import Word2Vec
import numpy as np
out = {}
t0 = time.perf_counter()
g = getattr(node2vec, cfg["mode"])(p=cfg["p"], q=cfg["q"], workers=cfg["threads"],
                                   verbose=False, random_state=cfg["seed"])
g.read_edg(cfg["edges"], weighted=False, directed=False, delimiter="\t")
if cfg["mode"] == "PreComp":
    g.preprocess_transition_probs()
t1 = time.perf_counter()
walks = g.simulate_walks(num_walks=cfg["walks_per_node"], walk_length=cfg["walk_length"])
t2 = time.perf_counter()
out["read_seconds"] = t1 - t0
out["walk_seconds"] = t2 - t1
if cfg["what"] == "e2e":
    w2v = Word2Vec(walks, vector_size=cfg["dim"], window=cfg["window"], sg=1, min_count=0,
                   negative=cfg["negative"], workers=cfg["threads"], epochs=1,
                   seed=cfg["seed"])
    out["e2e_seconds"] = time.perf_counter() - t0
    out["train_seconds"] = time.perf_counter() - t2
    np.save(cfg["out"] + ".npy", w2v.wv.vectors)
    with open(cfg["out"] + ".json", "w") as f:
        json.dump([str(k) for k in w2v.wv.index_to_key], f)
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps(out))
"""


def run_worker(python: str, code: str, cfg: dict) -> dict:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(cfg["threads"]),
               OMP_NUM_THREADS=str(cfg["threads"]))
    proc = subprocess.run([python, "-c", code, json.dumps(cfg)], capture_output=True, text=True,
                          env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
    raise RuntimeError(f"worker failed: {cfg}")


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


def macro_f1(prefix: str, labels: dict, seed: int) -> float:
    from embedkit.embeddings import Embeddings
    from embedkit.eval.graphs import node_classification

    vectors = np.load(prefix + ".npy")
    keys = json.load(open(prefix + ".json"))
    emb = Embeddings(vectors, keys)
    res = node_classification(emb, labels, train_ratios=[0.5], n_repeats=1, missing="drop",
                              random_state=seed)
    return float(res["macro_f1"].iloc[0])


def median(xs):
    return float(np.median(xs)) if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1, help="end-to-end runs per tool/config")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pecanpy-python",
                    default=os.environ.get("PECANPY_PYTHON", "/work/venvs/pecanpy/bin/python"))
    ap.add_argument("--skip-pecanpy", action="store_true")
    ap.add_argument("--all-modes", action="store_true",
                    help="also time PecanPy's SparseOTF walks for p = q = 1 (slow on this graph's "
                    "hubs; FirstOrderUnweighted is its fastest mode there)")
    args = ap.parse_args()

    data = Path(args.data)
    edges_gz = data / "debian-deps.edges.tsv.gz"
    labels_path = data / "debian-deps.labels.tsv"
    tmp = Path(tempfile.mkdtemp(prefix="ek-graph-bench-"))
    # PecanPy reads plain headerless edge lists: write one copy for both tools.
    edges = tmp / "debian.edg"
    with gzip.open(edges_gz, "rt") as f, open(edges, "w") as g:
        next(f)
        g.writelines(f)
    labels = {}
    with open(labels_path) as f:
        next(f)
        for line in f:
            node, sec = line.rstrip("\n").split("\t")
            labels[node] = sec
    base = dict(SETTINGS, threads=args.threads, seed=args.seed, edges=str(edges))
    have_pecanpy = not args.skip_pecanpy and Path(args.pecanpy_python).exists()
    rows = []
    for p, q in CONFIGS:
        cfg = dict(base, p=p, q=q)
        tag = f"p={p:g}, q={q:g}"
        print(f"== {tag}", flush=True)
        ours_w = run_worker(sys.executable, EMBEDKIT_WORKER, dict(cfg, what="walks"))
        print("embedkit walks", ours_w, flush=True)
        ours = []
        for r in range(args.repeats):
            res = run_worker(sys.executable, EMBEDKIT_WORKER,
                             dict(cfg, what="e2e", out=str(tmp / f"ek_{p}_{q}_{r}")))
            print("embedkit e2e", res, flush=True)
            ours.append(res)
        f1_ours = macro_f1(str(tmp / f"ek_{p}_{q}_0"), labels, args.seed)
        row = {"config": tag, "ek_walk": ours_w["walk_seconds"],
               "ek_walk_rss": ours_w["peak_rss_mb"],
               "ek_e2e": median([o["e2e_seconds"] for o in ours]),
               "ek_rss": max(o["peak_rss_mb"] for o in ours), "ek_f1": f1_ours}
        if have_pecanpy:
            modes = ["FirstOrderUnweighted", "SparseOTF"] if p == q == 1 else ["SparseOTF"]
            rec = modes[0]
            theirs = []
            for r in range(args.repeats):
                res = run_worker(args.pecanpy_python, PECANPY_WORKER,
                                 dict(cfg, what="e2e", mode=rec,
                                      out=str(tmp / f"pp_{p}_{q}_{r}")))
                print(f"pecanpy {rec} + gensim e2e", res, flush=True)
                theirs.append(res)
            # walk time of the recommended mode: measured inside the end-to-end run
            walk_times = {rec: median([t["walk_seconds"] for t in theirs])}
            for mode in modes[1:] if args.all_modes else []:
                res = run_worker(args.pecanpy_python, PECANPY_WORKER,
                                 dict(cfg, what="walks", mode=mode))
                print(f"pecanpy {mode} walks", res, flush=True)
                walk_times[mode] = res["walk_seconds"]
            row.update({
                "pp_mode": rec,
                "pp_walk_fastest": min(walk_times.values()),
                "pp_walk_modes": walk_times,
                "pp_e2e": median([t["e2e_seconds"] for t in theirs]),
                "pp_rss": max(t["peak_rss_mb"] for t in theirs),
                "pp_f1": macro_f1(str(tmp / f"pp_{p}_{q}_0"), labels, args.seed),
            })
        rows.append(row)
        print(json.dumps(row), flush=True)

    print("\n| config | tool | walks (s) | end to end (s) | peak RSS (MB) | macro-F1 @50% |")
    print("|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['config']} | embedkit Node2Vec | {r['ek_walk']:.1f} | {r['ek_e2e']:.1f} | "
              f"{r['ek_rss']:.0f} | {r['ek_f1']:.3f} |")
        if "pp_e2e" in r:
            modes = ", ".join(f"{m} {s:.1f}" for m, s in r["pp_walk_modes"].items())
            print(f"| {r['config']} | PecanPy {r['pp_mode']} + gensim | {modes} | "
                  f"{r['pp_e2e']:.1f} | {r['pp_rss']:.0f} | {r['pp_f1']:.3f} |")
    print()
    for r in rows:
        if "pp_e2e" in r:
            print(f"{r['config']}: walks {r['pp_walk_fastest'] / r['ek_walk']:.2f}x faster than "
                  f"PecanPy's fastest mode; end to end {r['pp_e2e'] / r['ek_e2e']:.2f}x faster; "
                  f"peak RSS {r['ek_rss'] / r['pp_rss']:.2f}x of PecanPy's; macro-F1 "
                  f"{r['ek_f1'] - r['pp_f1']:+.3f}")
    print(f"(times: median of {args.repeats} end-to-end run(s); {time.strftime('%Y-%m-%d %H:%M')}"
          f", {args.threads} threads)")


if __name__ == "__main__":
    main()
