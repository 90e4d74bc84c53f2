"""Cold start: what a first run pays in Numba compilation, path by path.

Every path runs in its own subprocess with an empty ``NUMBA_CACHE_DIR`` (a fresh install, a
new machine, a new Dask worker), then once more with the cache it left (the second run). It
prints, per path: import seconds, compile seconds (Numba's own compile events, exclusive time
per function), the whole first fit, the warm fit, the whole cold process (interpreter start-up,
import, data and first fit: the "first run" a user waits for) in CPU and wall seconds, and the
functions that took the most compile time. Import, compile and fit are CPU seconds of the
child (``time.process_time``), so a busy shared machine does not inflate them much; wall
seconds are what a user waits for on an idle machine only (the ``distributed`` path compiles
in its Dask worker processes, so only its wall time shows that). ``--runs R`` repeats each cold
run and prints the median. The demo is timed in wall and CPU seconds.

    python benchmarks/cold_start.py                 # every path
    python benchmarks/cold_start.py w2v-sg node2vec  # some paths
    python benchmarks/cold_start.py --demo           # also time `embedkit demo` cold and warm
    python benchmarks/cold_start.py --demo-only      # only the demo
    python benchmarks/cold_start.py --runs 3 --top 8 deepwalk  # median of 3 cold runs
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

#: name -> code that fits a tiny model (``emb`` imported as ``embedkit``)
PATHS = {
    "w2v-sg": "emb.Word2Vec(dim=16, min_count=1, epochs=1, **kw).fit(TOKENS)",
    "w2v-cbow": "emb.Word2Vec(dim=16, min_count=1, epochs=1, sg=False, **kw).fit(TOKENS)",
    "w2v-per-pair": "emb.Word2Vec(dim=16, min_count=1, epochs=1, shared_negatives=False, **kw)"
                    ".fit(TOKENS)",
    "w2v-k3": "emb.Word2Vec(dim=16, min_count=1, epochs=1, negative=3, **kw).fit(TOKENS)",
    "node2vec": "emb.Node2Vec(dim=16, p=0.5, q=2.0, walk_length=10, walks_per_node=2, **kw)"
                ".fit(GRAPH)",
    "deepwalk": "emb.DeepWalk(dim=16, walk_length=10, walks_per_node=2, **kw).fit(GRAPH)",
    "kmer2vec": "emb.Kmer2Vec(k=4, dim=16, **kw).fit(DNA)",
    # two threads: Kmer2Vec's default parallel="auto" trains its small per-pair vocabulary in
    # blocks (the cell kernels compile instead of the Hogwild chunk kernel)
    "kmer2vec-2t": "emb.Kmer2Vec(k=4, dim=16, threads=2, progress=False).fit(DNA)",
    "kmer2vec-range": "emb.Kmer2Vec(k_range=(3, 5), dim=16, **kw).fit(DNA)",
    "hard": "emb.Word2Vec(dim=16, min_count=1, epochs=1, sampler='hard', **kw).fit(TOKENS)",
    "spelling": "emb.Word2Vec(dim=16, min_count=1, epochs=1, sampler='spelling', **kw)"
                ".fit(TOKENS)",
    "blocks": "emb.Word2Vec(dim=16, min_count=1, epochs=1, threads=2, parallel='blocks', "
              "progress=False).fit(TOKENS)",
    "softmax": "emb.Word2Vec(dim=16, min_count=1, epochs=1, objective='softmax', **kw)"
               ".fit(TOKENS)",
    "fasttext": "emb.FastText(dim=16, min_count=1, epochs=1, buckets=1000, **kw).fit(TOKENS)",
    "fasttext-shared": "emb.FastText(dim=16, min_count=1, epochs=1, buckets=1000, "
                       "shared_negatives=True, **kw).fit(TOKENS)",
    "fasttext-cbow": "emb.FastText(dim=16, min_count=1, epochs=1, buckets=1000, sg=False, **kw)"
                     ".fit(TOKENS)",
    # continued training: fit then partial_fit (no new kernel); frozen warm start (the Locked
    # window compiles on top of the default skip-gram one the pretraining fit uses)
    "w2v-continue": "emb.Word2Vec(dim=16, min_count=1, epochs=1, **kw).fit(TOKENS)"
                    ".partial_fit(TOKENS)",
    "w2v-frozen": "emb.Word2Vec(dim=16, min_count=1, epochs=1, init=emb.Word2Vec(dim=16, "
                  "min_count=1, epochs=1, **kw).fit(TOKENS[:len(TOKENS) // 2]).wv, "
                  "freeze_init=True, **kw).fit(TOKENS)",
    # two local Dask worker processes; they inherit NUMBA_CACHE_DIR, so they share one cache
    # (compile time is spent in the workers: it shows in the fit, not in the compile column)
    "distributed": "from dask.distributed import Client, LocalCluster\n"
                   "with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, "
                   "dashboard_address=None) as cl, Client(cl) as client:\n"
                   "    emb.Word2Vec(dim=16, min_count=1, epochs=1, **kw).fit(TOKENS, "
                   "client=client)",
}

_CHILD = r"""
import json, sys, time
t0 = time.process_time()
from numba.core import event
import numpy as np
import networkx as nx
import embedkit as emb
t_import = time.process_time() - t0
rng = np.random.default_rng(0)
words = [f"w{i}" for i in range(60)]
TOKENS = [list(rng.choice(words, 20)) for _ in range(50)]
GRAPH = nx.karate_club_graph()
DNA = ["".join(rng.choice(list("ACGT"), 300)) for _ in range(5)]
kw = dict(threads=1, progress=False, random_state=0)
stack, excl = [], {}
class Listener(event.Listener):
    def on_start(self, ev):
        stack.append([time.process_time(), 0.0])
    def on_end(self, ev):
        start, child = stack.pop()
        took = time.process_time() - start
        name = getattr(ev.data.get("dispatcher"), "py_func", None)
        name = f"{name.__module__}.{name.__qualname__}" if name else "?"
        excl[name] = excl.get(name, 0.0) + took - child
        if stack:
            stack[-1][1] += took
listener = Listener()
event.register("numba:compile", listener)
t1, w1 = time.process_time(), time.perf_counter()
exec(CODE)
t_fit = time.process_time() - t1
print(json.dumps({"import": t_import, "fit": t_fit, "wall": time.perf_counter() - w1,
                  "compile": sum(excl.values()),
                  "top": sorted(excl.items(), key=lambda kv: -kv[1])}))
"""


def _run_child(code: str, cache: str) -> dict:
    """One child process; adds its whole CPU (user + system) and wall seconds, start-up
    included, as ``proc_cpu`` and ``proc_wall``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _CHILD.replace("CODE", repr(code))], env=env,
                         capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["proc_cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    res["proc_wall"] = wall
    return res


def _cold_runs(code: str, runs: int) -> tuple[list[dict], dict]:
    """``runs`` cold runs (a new empty cache each) and one warm run on the last one's cache."""
    colds = []
    for r in range(runs):
        with tempfile.TemporaryDirectory(prefix="embedkit-cold-") as cache:
            colds.append(_run_child(code, cache))
            if r == runs - 1:
                warm = _run_child(code, cache)
    return colds, warm


def _time_demo(cache: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the child's) of one ``embedkit demo``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="embedkit-demo-") as cwd:  # the demo writes a map
        subprocess.run([sys.executable, "-c", "from embedkit.cli import main; main(['demo'])"],
                       env=env, check=True, capture_output=True, cwd=cwd)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", default=[p for p in PATHS if p != "distributed"],
                    help=f"of {', '.join(PATHS)} (default: all but distributed)")
    ap.add_argument("--demo", action="store_true", help="also time `embedkit demo`")
    ap.add_argument("--demo-only", action="store_true", help="time `embedkit demo` only")
    ap.add_argument("--top", type=int, default=3, metavar="N",
                    help="functions listed per path, by compile time (default 3)")
    ap.add_argument("--runs", type=int, default=1, metavar="R",
                    help="cold runs per path (each with a new empty cache); the median is "
                         "printed, every run's CPU and wall seconds too when R > 1")
    args = ap.parse_args(argv)
    unknown = [name for name in args.paths if name not in PATHS]
    if unknown:
        ap.error(f"unknown path(s) {', '.join(unknown)}; choose from {', '.join(PATHS)}")
    if args.demo_only:
        args.demo, args.paths = True, []
    if args.paths:
        print(f"{'path':<16}{'import s':>9}{'compile s':>10}{'first fit s':>12}"
              f"{'warm fit s':>11}{'process CPU s':>14}{'process wall s':>15}  "
              "most compile time (CPU seconds)")
    for name in args.paths:
        colds, warm = _cold_runs(PATHS[name], max(1, args.runs))
        colds.sort(key=lambda r: r["proc_cpu"])
        cold = colds[(len(colds) - 1) // 2]  # the median run (lower middle for even counts)
        top = ", ".join(f"{k.rsplit('.', 1)[-1]} {v:.1f}" for k, v in cold["top"][:args.top])
        print(f"{name:<16}{cold['import']:>9.1f}{cold['compile']:>10.1f}{cold['fit']:>12.1f}"
              f"{warm['fit']:>11.2f}{cold['proc_cpu']:>14.1f}{cold['proc_wall']:>15.1f}  {top}",
              flush=True)
        if len(colds) > 1:
            print(f"{'':<16}cold runs, process CPU/wall s: "
                  + ", ".join(f"{r['proc_cpu']:.1f}/{r['proc_wall']:.1f}" for r in colds),
                  flush=True)
    if args.demo:
        with tempfile.TemporaryDirectory(prefix="embedkit-cold-") as cache:
            cold, cold_cpu = _time_demo(cache)
            warm, warm_cpu = _time_demo(cache)
        print(f"embedkit demo: {cold:.1f} s cold, {warm:.1f} s warm (wall, install excluded); "
              f"CPU {cold_cpu:.1f} s cold, {warm_cpu:.1f} s warm")


if __name__ == "__main__":
    main()
