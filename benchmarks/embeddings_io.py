"""Opening a big model: embedkit ``Embeddings.load`` vs gensim 4 ``KeyedVectors.load``.

Generates an ``--n`` x ``--dim`` float32 model (keys ``w0``, ``w1``, ...), saves it with
``Embeddings.save`` (one ``.npz``) and with gensim's ``KeyedVectors.save`` (a pickle plus a
separate ``.npy``), then times each way of opening it in a fresh process, ``--repeats`` rounds
interleaved: load time, the growth of resident memory (RSS) from
just before to just after loading (imports excluded), and the time of one
``most_similar`` query after the load (which, for a mapped model, pages the matrix in).
The files are in the OS page cache (written just before), so this measures warm opens.

Run:  nice -n 10 python benchmarks/embeddings_io.py --n 1000000 --dim 300
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

CHILD = r"""
import json, sys, time, psutil, numpy as np
kind, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if kind.startswith("embedkit"):
    from embedkit import Embeddings
    rss0 = psutil.Process().memory_info().rss
    t_import = time.perf_counter()
    emb = Embeddings.load(path, mmap=kind == "embedkit-mmap",
                          limit=100_000 if kind == "embedkit-limit" else None)
    load = time.perf_counter() - t_import
    rss = psutil.Process().memory_info().rss - rss0
    t1 = time.perf_counter()
    top = emb.most_similar("w1", topn=10)[0][0]
else:
    from gensim.models import KeyedVectors
    rss0 = psutil.Process().memory_info().rss
    t_import = time.perf_counter()
    kv = KeyedVectors.load(path, mmap="r" if kind == "gensim-mmap" else None)
    load = time.perf_counter() - t_import
    rss = psutil.Process().memory_info().rss - rss0
    t1 = time.perf_counter()
    top = kv.most_similar("w1", topn=10)[0][0]
query = time.perf_counter() - t1
print(json.dumps({"load": load, "rss": rss, "query": query, "top": top}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dir", default=None, help="where to write the model files")
    args = ap.parse_args()

    from gensim.models import KeyedVectors

    from embedkit import Embeddings

    work = tempfile.mkdtemp(prefix="embedkit_io_", dir=args.dir)
    rng = np.random.default_rng(0)
    vectors = np.empty((args.n, args.dim), dtype=np.float32)
    for s in range(0, args.n, 100_000):
        vectors[s : s + 100_000] = rng.standard_normal((min(100_000, args.n - s), args.dim),
                                                       dtype=np.float32)
    keys = [f"w{i}" for i in range(args.n)]
    ours, theirs = os.path.join(work, "model.npz"), os.path.join(work, "model.kv")
    t0 = time.perf_counter()
    Embeddings(vectors, keys).save(ours)
    save_ours = time.perf_counter() - t0
    kv = KeyedVectors(args.dim)
    kv.add_vectors(keys, vectors)
    t0 = time.perf_counter()
    kv.save(theirs)
    save_theirs = time.perf_counter() - t0
    del kv, vectors
    size = sum(os.path.getsize(os.path.join(work, f)) for f in os.listdir(work))
    print(f"{args.n:,} x {args.dim} float32 ({args.n * args.dim * 4 / 2**30:.2f} GiB); save: "
          f"embedkit {save_ours:.1f}s, gensim {save_theirs:.1f}s; files {size / 2**30:.2f} GiB")

    kinds = {"embedkit": ours, "embedkit-mmap": ours, "embedkit-limit": ours,
             "gensim": theirs, "gensim-mmap": theirs}
    results: dict[str, list[dict]] = {k: [] for k in kinds}
    for _ in range(args.repeats):
        for kind, path in kinds.items():
            out = subprocess.run([sys.executable, "-c", CHILD, kind, path], check=True,
                                 capture_output=True, text=True).stdout
            results[kind].append(json.loads(out.strip().splitlines()[-1]))

    def med(kind: str, field: str) -> float:
        return statistics.median(r[field] for r in results[kind])

    print(f"\n| load | open (s) | RSS growth by the open (MiB) | first most_similar (s) |  "
          f"(median of {args.repeats})")
    print("|---|---:|---:|---:|")
    labels = {"embedkit": "embedkit `Embeddings.load(p)`",
              "embedkit-mmap": "embedkit `Embeddings.load(p, mmap=True)`",
              "embedkit-limit": "embedkit `Embeddings.load(p, limit=100_000)`",
              "gensim": "gensim `KeyedVectors.load(p)`",
              "gensim-mmap": "gensim `KeyedVectors.load(p, mmap='r')`"}
    for kind in kinds:
        print(f"| {labels[kind]} | {med(kind, 'load'):.3f} | {med(kind, 'rss') / 2**20:,.0f} | "
              f"{med(kind, 'query'):.3f} |")
    full = med("gensim", "load") / med("embedkit", "load")
    mapped = med("gensim-mmap", "load") / med("embedkit-mmap", "load")
    print(f"\nopen time ratio gensim/embedkit: full {full:.2f}x, mmap {mapped:.2f}x")
    for f in os.listdir(work):
        os.remove(os.path.join(work, f))
    os.rmdir(work)


if __name__ == "__main__":
    main()
