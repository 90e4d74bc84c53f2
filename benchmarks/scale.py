"""embedkit at scale: a large text corpus and a large graph, side by side with the peers.

Usage::

    python benchmarks/scale.py [--what text graph] [--copies 14] [--nodes 1000000]
        [--edges 10000000] [--data DIR] [--pecanpy-python PATH] [--skip-peers]

Data sets (generated once into ``--data``, default ``$TMPDIR/embedkit-scale``; nothing is
downloaded):

* **text**: the shared corpus ``../shared/data/text/corpus.txt.gz`` (7M tokens; else the
  bundled corpus) written ``--copies`` times (default 14: about 98M tokens), the lines of each
  copy shuffled with a fixed seed. ``--copies 1`` and ``--copies 7`` give the 7M and 50M
  points of the RSS-versus-size curve.
* **graph**: a Chung-Lu random graph with a power-law expected degree sequence (exponent 2.5)
  of ``--nodes`` nodes and ``--edges`` edge draws (default 1M and 10M; self-loops dropped,
  repeated pairs merged by the readers), node ids shuffled, written as a tab-separated edge
  list, as a scipy ``save_npz`` CSR matrix and as an ``.npy`` edge array.

Runs (each in its own subprocess, so peak RSS is its own: ``VmHWM``, whole process). Peak RSS
counts the pages of shared libraries a process has touched (``RssFile``: LLVM's code for a
Numba program, ~95 MB); they are shared between processes and the kernel can drop them, so
each run also reports its peak *private* memory (``RssAnon``, sampled every 20 ms), the
memory the process itself allocated.

* text: embedkit ``Word2Vec`` and gensim 4 ``Word2Vec(corpus_file=...)``; skip-gram, dim 100,
  window 5, negative 5, min_count 5, subsample 1e-3, 2 threads, ``--epochs`` (default 2).
  Reported: vocabulary pass, every epoch's seconds and effective (kept) words per second,
  total, peak RSS, and the embedkit/gensim ratios.
* graph: embedkit ``Node2Vec`` (p 0.5, q 2) from the edge list, from the ``.npz`` CSR and
  from the ``.npy`` edges, and ``DeepWalk``; PecanPy ``SparseOTF`` + gensim (``PreComp`` is
  impossible at this size). Walk length 20, 2 walks per node, dim 64, window 5, 1 epoch,
  2 threads. PecanPy needs numpy < 2, so it runs from its own virtual environment::

      python -m venv /work/venv-pecanpy
      /work/venv-pecanpy/bin/pip install pecanpy==2.0.9 'numpy<2' gensim

  found through ``--pecanpy-python`` / ``$PECANPY_PYTHON``; it is skipped (with a note) when
  that interpreter is absent.

The machine is shared and noisy: run it with ``nice`` and nothing else heavy, and compare
ratios from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED_TEXT = ROOT.parent / "shared" / "data" / "text" / "corpus.txt.gz"

# ---------------------------------------------------------------------------------------------
# Data sets
# ---------------------------------------------------------------------------------------------


def text_corpus(data: Path, copies: int, seed: int = 0) -> Path:
    """The shared corpus written ``copies`` times, lines shuffled per copy (cached)."""
    out = data / f"text_x{copies}.txt"
    if out.exists():
        return out
    if SHARED_TEXT.exists():
        source = SHARED_TEXT
    else:
        from embedkit import datasets

        source = datasets.text_corpus_path()
    from embedkit._io import open_text

    with open_text(str(source)) as f:
        lines = f.read().split("\n")
    lines = [ln for ln in lines if ln.strip()]
    rng = np.random.default_rng(seed)
    tmp = out.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for _ in range(copies):
            order = rng.permutation(len(lines))
            f.write("\n".join(lines[i] for i in order))
            f.write("\n")
    os.replace(tmp, out)
    return out


def chung_lu_edges(n: int, m: int, exponent: float = 2.5, seed: int = 0
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``m`` edge draws between ``n`` nodes with power-law expected degrees (no self-loops)."""
    rng = np.random.default_rng(seed)
    w = (np.arange(n, dtype=np.float64) + 10.0) ** (-1.0 / (exponent - 1.0))
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    relabel = rng.permutation(n).astype(np.int32)
    src = np.empty(m, dtype=np.int32)
    dst = np.empty(m, dtype=np.int32)
    step = 1 << 22
    for a in range(0, m, step):
        k = min(m, a + step) - a
        src[a:a + k] = relabel[np.searchsorted(cdf, rng.random(k), side="right")]
        dst[a:a + k] = relabel[np.searchsorted(cdf, rng.random(k), side="right")]
    keep = src != dst
    return src[keep], dst[keep]


def graph_files(data: Path, n: int, m: int) -> dict[str, Path]:
    """The Chung-Lu graph as an edge list (.tsv), a CSR .npz and an edge .npy (cached)."""
    import scipy.sparse as sp

    stem = data / f"chunglu_{n}_{m}"
    paths = {"tsv": stem.with_suffix(".tsv"), "npz": stem.with_suffix(".npz"),
             "npy": stem.with_suffix(".npy")}
    if all(p.exists() for p in paths.values()):
        return paths
    src, dst = chung_lu_edges(n, m)
    edges = np.stack([src, dst], axis=1)
    np.save(paths["npy"], edges)
    A = sp.csr_matrix((np.ones(src.size, dtype=np.float32), (src, dst)), shape=(n, n))
    A.sum_duplicates()
    A.data[:] = 1.0
    sp.save_npz(paths["npz"], A, compressed=False)
    del A
    with open(paths["tsv"], "w") as f:
        for a in range(0, src.size, 1 << 20):
            block = edges[a:a + (1 << 20)]
            f.write("\n".join(f"{u}\t{v}" for u, v in block.tolist()))
            f.write("\n")
    return paths


# ---------------------------------------------------------------------------------------------
# Workers (run in subprocesses)
# ---------------------------------------------------------------------------------------------

TEXT_EMBEDKIT = r"""
import json, resource, sys, time
cfg = json.loads(sys.argv[1])
t0 = time.perf_counter()
from embedkit import Word2Vec
from embedkit.contexts.text import TextCorpus
Word2Vec(dim=8, epochs=1, min_count=1, progress=False).fit(["a b c"] * 20)  # load kernels
rss_ready = _peak_mb()
stats = []
m = Word2Vec(dim=100, window=5, negative=5, min_count=5, subsample=1e-3, sg=True,
             epochs=cfg["epochs"], threads=cfg["threads"], random_state=1, progress=False,
             compute_loss=False)
corpus = TextCorpus(cfg["corpus"], tokenizer="split", **cfg.get("reader", {}))
build_vocab = corpus.build_vocab
cpu_marks = []
def timed_build_vocab(*a, **k):  # CPU clock at the end of the vocabulary pass (no callbacks:
    out = build_vocab(*a, **k)   # they would make the model publish a copy every epoch)
    cpu_marks.append(time.process_time())
    return out
corpus.build_vocab = timed_build_vocab
t1 = time.perf_counter()
m.fit(corpus)
total = time.perf_counter() - t1
train_cpu = time.process_time() - cpu_marks[0]
out = dict(vocab_seconds=m.vocab_seconds_, total_seconds=total, vocab=len(m.vocab_),
           epochs=[dict(seconds=s.seconds, effective_wps=s.trained_words / s.seconds,
                        raw_wps=s.raw_words / s.seconds) for s in m.epoch_stats_],
           train_cpu_seconds=train_cpu,
           effective_per_cpu=sum(s.trained_words for s in m.epoch_stats_) / train_cpu,
           rss_after_import_mb=rss_ready,
           peak_rss_mb=_peak_mb(), peak_private_mb=_anon_mb()[0],
           file_mb_at_private_peak=_anon_mb()[1])
print("RESULT " + json.dumps(out))
"""

TEXT_GENSIM = r"""
import json, logging, re, resource, sys, time
cfg = json.loads(sys.argv[1])
from gensim.models import Word2Vec
records = []
class Grab(logging.Handler):
    def emit(self, rec):
        records.append((time.perf_counter(), rec.getMessage()))
logging.getLogger("gensim").addHandler(Grab())
logging.getLogger("gensim").setLevel(logging.INFO)
t0 = time.perf_counter()
m = Word2Vec(vector_size=100, window=5, negative=5, min_count=5, sample=1e-3, sg=1,
             workers=cfg["threads"], seed=1)
m.build_vocab(corpus_file=cfg["corpus"])
t1 = time.perf_counter()
epochs = []
for e in range(cfg["epochs"]):
    a = time.perf_counter()
    m.train(corpus_file=cfg["corpus"], total_words=m.corpus_total_words,
            total_examples=m.corpus_count, epochs=1,
            start_alpha=0.025 - (0.025 - 0.0001) * e / cfg["epochs"],
            end_alpha=0.025 - (0.025 - 0.0001) * (e + 1) / cfg["epochs"])
    s = time.perf_counter() - a
    eff = [int(x) for t, msg in records[-5:] for x in
           re.findall(r"\((\d+) effective words\)", msg)]
    epochs.append(dict(seconds=s, effective_wps=(eff[-1] / s) if eff else None,
                       raw_wps=m.corpus_total_words / s))
out = dict(vocab_seconds=t1 - t0, total_seconds=time.perf_counter() - t0, vocab=len(m.wv),
           epochs=epochs, peak_rss_mb=_peak_mb(), peak_private_mb=_anon_mb()[0],
           file_mb_at_private_peak=_anon_mb()[1])
print("RESULT " + json.dumps(out))
"""

GRAPH_EMBEDKIT = r"""
import json, resource, sys, time
cfg = json.loads(sys.argv[1])
import numba
numba.set_num_threads(cfg["threads"])
from embedkit import DeepWalk, Node2Vec
DeepWalk(dim=8, walk_length=5, walks_per_node=1, progress=False).fit([(0, 1), (1, 2)])
rss_ready = _peak_mb()
Model = DeepWalk if cfg["p"] == cfg["q"] == 1 else Node2Vec
kw = {} if Model is DeepWalk else dict(p=cfg["p"], q=cfg["q"])
m = Model(dim=64, walk_length=20, walks_per_node=2, window=5, negative=5, epochs=1,
          threads=cfg["threads"], random_state=1, progress=False, **kw)
t0 = time.perf_counter()
m.fit(cfg["graph"])
out = dict(e2e_seconds=time.perf_counter() - t0, vocab_seconds=m.vocab_seconds_,
           train_seconds=m.training_seconds_, nodes=len(m.vocab_),
           rss_after_import_mb=rss_ready,
           peak_rss_mb=_peak_mb(), peak_private_mb=_anon_mb()[0],
           file_mb_at_private_peak=_anon_mb()[1])
print("RESULT " + json.dumps(out))
"""

GRAPH_PECANPY = r"""
import json, resource, sys, time
cfg = json.loads(sys.argv[1])
import numba
numba.set_num_threads(cfg["threads"])
from pecanpy import pecanpy as node2vec
from gensim.models import Word2Vec
t0 = time.perf_counter()
g = node2vec.SparseOTF(p=cfg["p"], q=cfg["q"], workers=cfg["threads"], verbose=False,
                       random_state=1)
g.read_edg(cfg["graph"], weighted=False, directed=False, delimiter="\t")
t1 = time.perf_counter()
walks = g.simulate_walks(num_walks=2, walk_length=20)
t2 = time.perf_counter()
w2v = Word2Vec(walks, vector_size=64, window=5, sg=1, min_count=0, negative=5,
               workers=cfg["threads"], epochs=1, seed=1)
out = dict(e2e_seconds=time.perf_counter() - t0, read_seconds=t1 - t0, walk_seconds=t2 - t1,
           train_seconds=time.perf_counter() - t2, nodes=len(w2v.wv),
           peak_rss_mb=_peak_mb(), peak_private_mb=_anon_mb()[0],
           file_mb_at_private_peak=_anon_mb()[1])
print("RESULT " + json.dumps(out))
"""


#: Prepended to every worker: its own peak RSS. (Not ``ru_maxrss``: Linux carries the high-water
#: mark of the forking parent across ``exec``, so every child would report at least the
#: benchmark's own RSS; ``VmHWM`` belongs to the new address space.)
_PEAK = r"""
import threading as _th, time as _time
_ANON = {"peak": 0, "file": 0}
def _status(*keys):
    with open("/proc/self/status") as f:
        got = {l.split(":")[0]: int(l.split()[1]) for l in f if l.startswith(keys)}
    return [got.get(k, 0) for k in keys]
def _sample():  # private (anonymous) pages, every 20 ms: the kernel keeps no high-water mark
    while True:
        anon, file = _status("RssAnon", "RssFile")
        if anon > _ANON["peak"]:
            _ANON["peak"], _ANON["file"] = anon, file
        _time.sleep(0.02)
_th.Thread(target=_sample, daemon=True).start()
def _anon_mb():
    return _ANON["peak"] / 1024, _ANON["file"] / 1024
def _peak_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""


def run(python: str, code: str, cfg: dict, threads: int) -> dict:
    code = _PEAK + code
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([python, "-c", code, json.dumps(cfg)], capture_output=True, text=True,
                          env=env, cwd=str(ROOT))
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"worker failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def _ratio(a, b) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def bench_text(args, data: Path) -> None:
    for copies in args.copies:
        corpus = text_corpus(data, copies)
        size = corpus.stat().st_size
        print(f"\n## text: {corpus.name} ({size / 2**20:.0f} MiB), {args.epochs} epochs, "
              f"{args.threads} threads", flush=True)
        cfg = dict(corpus=str(corpus), epochs=args.epochs, threads=args.threads)
        runs = {"embedkit": run(sys.executable, TEXT_EMBEDKIT, cfg, args.threads)}
        print("embedkit", json.dumps(runs["embedkit"]), flush=True)
        if args.pre_encoded:
            pre = dict(cfg, reader=dict(cache_bytes=8 * 2**30))
            runs["embedkit, corpus in memory"] = run(sys.executable, TEXT_EMBEDKIT, pre,
                                                     args.threads)
            print("embedkit in memory", json.dumps(runs["embedkit, corpus in memory"]),
                  flush=True)
        if not args.skip_peers:
            peer = dict(cfg, epochs=args.peer_epochs or args.epochs)
            runs["gensim corpus_file"] = run(sys.executable, TEXT_GENSIM, peer, args.threads)
            print("gensim", json.dumps(runs["gensim corpus_file"]), flush=True)
        n_ep = max(len(r["epochs"]) for r in runs.values())
        print("\n| | vocabulary pass | " + " | ".join(
            f"epoch {e + 1}: s, eff. words/s" for e in range(n_ep))
              + " | peak RSS | peak private (RssAnon) |")
        print("|---|---:|" + "---:|" * n_ep + "---:|---:|")
        for name, r in runs.items():
            cells = [f"{ep['seconds']:.1f} s, {ep['effective_wps'] / 1e6:.2f}M"
                     if ep.get("effective_wps") else f"{ep['seconds']:.1f} s"
                     for ep in r["epochs"]] + ["—"] * (n_ep - len(r["epochs"]))
            print(f"| {name} | {r['vocab_seconds']:.1f} s | " + " | ".join(cells)
                  + f" | {r['peak_rss_mb']:.0f} MB | {r.get('peak_private_mb', 0):.0f} MB |")
        if "embedkit, corpus in memory" in runs:
            a, b = (runs[k]["effective_per_cpu"] for k in ("embedkit",
                                                           "embedkit, corpus in memory"))
            print(f"\nreader: training's effective words per CPU-second (reader thread "
                  f"included), id stream / whole corpus in memory: {a / b:.1%}")
        if "gensim corpus_file" in runs:
            e, g = runs["embedkit"], runs["gensim corpus_file"]
            ratios = [_ratio(e["vocab_seconds"], g["vocab_seconds"])] + [
                _ratio(a["seconds"], b["seconds"]) for a, b in
                zip(e["epochs"], g["epochs"], strict=False)]
            print(f"\nembedkit / gensim: vocabulary pass {ratios[0]}, epoch times "
                  f"{', '.join(ratios[1:])}, "
                  f"peak RSS {_ratio(e['peak_rss_mb'], g['peak_rss_mb'])}, peak private memory "
                  f"{_ratio(e.get('peak_private_mb'), g.get('peak_private_mb'))}")


def bench_graph(args, data: Path) -> None:
    paths = graph_files(data, args.nodes, args.edges)
    print(f"\n## graph: Chung-Lu, {args.nodes} nodes, {args.edges} edge draws; walk length 20, "
          f"2 walks per node, dim 64, window 5, {args.threads} threads", flush=True)
    runs = {}
    for label, key, p, q in [("Node2Vec, edge list", "tsv", 0.5, 2.0),
                             ("Node2Vec, .npz CSR", "npz", 0.5, 2.0),
                             ("Node2Vec, .npy edges", "npy", 0.5, 2.0),
                             ("DeepWalk, .npz CSR", "npz", 1.0, 1.0)]:
        if label not in args.graph_runs and "all" not in args.graph_runs:
            continue
        cfg = dict(graph=str(paths[key]), p=p, q=q, threads=args.threads)
        runs["embedkit " + label] = run(sys.executable, GRAPH_EMBEDKIT, cfg, args.threads)
        print(label, json.dumps(runs["embedkit " + label]), flush=True)
    py = args.pecanpy_python
    if args.skip_peers:
        pass
    elif not Path(py).exists():
        print(f"(PecanPy skipped: no interpreter at {py}; see the module docstring)")
    else:
        cfg = dict(graph=str(paths["tsv"]), p=0.5, q=2.0, threads=args.threads)
        runs["PecanPy SparseOTF + gensim"] = run(py, GRAPH_PECANPY, cfg, args.threads)
        print("pecanpy", json.dumps(runs["PecanPy SparseOTF + gensim"]), flush=True)
    print("\n| | end to end | peak RSS | peak private (RssAnon) |\n|---|---:|---:|---:|")
    for name, r in runs.items():
        print(f"| {name} | {r['e2e_seconds']:.1f} s | {r['peak_rss_mb']:.0f} MB | "
              f"{r.get('peak_private_mb', 0):.0f} MB |")
    peer = runs.get("PecanPy SparseOTF + gensim")
    if peer:
        e = runs.get("embedkit Node2Vec, edge list") or next(iter(runs.values()))
        print(f"\nembedkit (edge list) / PecanPy: time "
              f"{_ratio(e['e2e_seconds'], peer['e2e_seconds'])}, "
              f"peak RSS {_ratio(e['peak_rss_mb'], peer['peak_rss_mb'])}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--what", nargs="+", default=["text", "graph"], choices=["text", "graph"])
    ap.add_argument("--copies", type=int, nargs="+", default=[14],
                    help="text: copies of the 7M-token corpus (several values: one run each)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--peer-epochs", type=int, default=None,
                    help="text: gensim epochs (default: --epochs; each is minutes at 98M)")
    ap.add_argument("--pre-encoded", action="store_true",
                    help="text: also run embedkit with the whole encoded corpus in memory")
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=10_000_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data", type=Path,
                    default=Path(tempfile.gettempdir()) / "embedkit-scale")
    ap.add_argument("--pecanpy-python",
                    default=os.environ.get("PECANPY_PYTHON", "/work/venv-pecanpy/bin/python"))
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--graph-runs", nargs="+", default=["all"],
                    help="graph: which embedkit runs, e.g. 'Node2Vec, edge list' (default all)")
    args = ap.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(args.data).free
    print(f"data in {args.data} ({free / 2**30:.0f} GiB free); started {time.ctime()}")
    if "text" in args.what:
        bench_text(args, args.data)
    if "graph" in args.what:
        bench_graph(args, args.data)


if __name__ == "__main__":
    main()
