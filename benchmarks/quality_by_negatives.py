"""Quality and speed by negative scheme: shared (one set per window) vs per pair, per domain.

One table per domain, every number a mean over seeds, both schemes fitted side by side in
one run (same process, same data, kernels warm), next to the peer:

* graphs: Node2Vec node-classification macro-F1 at 50 % training labels (the splits' seed is
  the fit's seed) on the Drosophila connectome (bundled), a planted-partition graph generated
  here (networkx ``planted_partition_graph``, fixed seed; labels = planted blocks) and the
  Debian dependency graph (``/work/shared/data/graphs``; skipped when absent). Peer: PecanPy
  (SparseOTF, or FirstOrderUnweighted at p = q = 1) + gensim in its own virtual environment
  (``--pecanpy-python``, as ``graph_vs_pecanpy.py``), end to end in a subprocess;
* k-mers: Kmer2Vec (k = 6) on E. coli K-12: k-mer cosine agreement with alignment and the
  splice-site scores of ``kmers_vs_gensim.py``; peer: strings + gensim (one run, seed 1);
* text: Word2Vec on the first ``--text-tokens`` tokens of the shared corpus: WordSim-353,
  SimLex-999, analogies; peer: gensim on the same sentences.

Times are warm wall-clock seconds of the fit (embedkit: kernels loaded from the on-disk cache
by a tiny fit first; graphs: read + walks + training; k-mers: file -> vectors). Graph
settings default to the issue's held-out run (dim 64, walk length 40, 4 walks per node,
window 5, p = 0.5, q = 2). A full run with 3 seeds on 2 busy cores (load 5-7) took 37 min for
the graphs (PecanPy on debian-deps: 3 x 4-8 min), 8 min for k-mers and 1-2 min for text;
``--quick`` (2 seeds, shorter walks, no Debian graph, lambda phage, 1M text tokens) a few.

Usage::

    nice python benchmarks/quality_by_negatives.py [--domains graphs kmers text] [--seeds 3]
        [--quick] [--skip-peers] [--threads 2] [--walk-length 40] [--walks-per-node 4]
        [--window 5] [--dim 64] [--text-tokens 3000000] [--shrink-window-rows]
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
sys.path.insert(0, str(HERE))

#: rows: estimator settings per row. "per-pair" is word2vec.c's scheme with Hogwild threads
#: (the graphs' default); "per-pair, blocks" the same negatives with threads that own disjoint
#: rows (the k-mers' default, through ``parallel="auto"``).
SCHEMES = {"shared": dict(shared_negatives=True, parallel="hogwild"),
           "per-pair": dict(shared_negatives=False, parallel="hogwild"),
           "per-pair, blocks": dict(shared_negatives=False, parallel="blocks")}
#: text rows (shared negatives are Word2Vec's default; blocks only for small vocabularies)
TEXT_SCHEMES = {"shared": dict(shared_negatives=True, parallel="hogwild"),
                "per-pair": dict(shared_negatives=False, parallel="hogwild")}
#: graph rows: the schemes on the graphs' default full window, plus the default with gensim's
#: shrinking window (``--shrink-window-rows`` adds the schemes with it too)
GRAPH_SCHEMES = {f"{name}, full window": dict(kw, shrink_window=False)
                 for name, kw in SCHEMES.items()} | {
    "per-pair, blocks, shrinking window": dict(shared_negatives=False, parallel="blocks",
                                               shrink_window=True)}
SHRINK_ROWS = {f"{name}, shrinking window": dict(kw, shrink_window=True)
               for name, kw in SCHEMES.items() if name != "per-pair, blocks"}


def _mean(xs) -> str:
    xs = [x for x in xs if x == x]
    if not xs:
        return "n/a"
    return f"{np.mean(xs):.3f}" + (f" ± {np.std(xs):.3f}" if len(xs) > 1 else "")


def _table(title: str, metrics: list[str], rows: dict[str, dict[str, list[float]]]) -> None:
    print(f"\n### {title}\n")
    print("| scheme | " + " | ".join(metrics) + " |")
    print("|---|" + "---:|" * len(metrics))
    for name, vals in rows.items():
        print(f"| {name} | " + " | ".join(_mean(vals.get(m, [])) for m in metrics) + " |")
    sys.stdout.flush()


# ---------------------------------------------------------------------------------------------
# graphs
# ---------------------------------------------------------------------------------------------


def _graphs(quick: bool, tmp: Path) -> list[tuple[str, Path, dict]]:
    """(name, headerless tab-separated edge file, labels) for every available graph."""
    import networkx as nx

    from embedkit import datasets

    out = []
    edges = tmp / "drosophila.edg"
    lines = Path(datasets.drosophila_edges_path()).read_text().splitlines()
    # unweighted, undirected for both tools (PecanPy reads two columns here)
    edges.write_text("".join("\t".join(ln.split("\t")[:2]) + "\n" for ln in lines[1:] if ln))
    labels = {}
    for ln in Path(datasets.drosophila_labels_path()).read_text().splitlines()[1:]:
        node, lab = ln.split("\t")[:2]
        labels[node] = lab
    out.append(("drosophila-left", edges, labels))

    G = nx.planted_partition_graph(20, 100, 0.05, 0.004, seed=14)
    edges = tmp / "planted.edg"
    edges.write_text("".join(f"{u}\t{v}\n" for u, v in G.edges()))
    out.append(("planted 20x100", edges, {str(n): n // 100 for n in G}))

    deb = SHARED / "graphs" / "debian-deps.edges.tsv.gz"
    if not quick and deb.exists():
        edges = tmp / "debian.edg"
        with gzip.open(deb, "rt") as f, open(edges, "w") as g:
            next(f)
            g.writelines(f)
        labels = {}
        with open(SHARED / "graphs" / "debian-deps.labels.tsv") as f:
            next(f)
            for line in f:
                node, sec = line.rstrip("\n").split("\t")
                labels[node] = sec
        out.append(("debian-deps", edges, labels))
    return out


def run_graphs(args, tmp: Path) -> None:
    from graph_vs_pecanpy import PECANPY_WORKER, macro_f1, run_worker

    from embedkit.contexts.edgelist import read_edgelist
    from embedkit.eval.graphs import node_classification
    from embedkit.models.node2vec import Node2Vec

    # the held-out settings by default (dim 64, walk length 40, 4 walks per node,
    # window 5); the same numbers go to PecanPy + gensim
    settings = dict(walk_length=20 if args.quick else args.walk_length,
                    walks_per_node=2 if args.quick else args.walks_per_node,
                    window=args.window, dim=args.dim, negative=5)
    for scheme_kw in SCHEMES.values():  # load the windows' kernels before timing
        Node2Vec(dim=8, walk_length=5, walks_per_node=1, **scheme_kw,
                 threads=args.threads, progress=False).fit([(0, 1), (1, 2), (2, 3)])
    have_pecanpy = not args.skip_peers and Path(args.pecanpy_python).exists()
    for name, edges, labels in _graphs(args.quick, tmp):
        p, q = (0.5, 2.0)
        rows: dict[str, dict[str, list[float]]] = {}
        schemes = GRAPH_SCHEMES | (SHRINK_ROWS if args.shrink_window_rows else {})
        for scheme, scheme_kw in schemes.items():
            r = rows.setdefault(f"embedkit {scheme}", {"macro-F1": [], "fit (s)": []})
            for seed in range(1, args.seeds + 1):
                t0 = time.perf_counter()
                model = Node2Vec(**settings, p=p, q=q, **scheme_kw, epochs=1,
                                 threads=args.threads, random_state=seed, progress=False)
                model.fit(read_edgelist(str(edges)))
                r["fit (s)"].append(time.perf_counter() - t0)
                keyed = {k: labels[str(k)] for k in model.embeddings_.index_to_key
                         if str(k) in labels}  # labels by the file's text, keys as read
                res = node_classification(model.embeddings_, keyed, train_ratios=[0.5],
                                          n_repeats=1, missing="drop", random_state=seed)
                r["macro-F1"].append(float(res["macro_f1"].iloc[0]))
        if have_pecanpy:
            r = rows.setdefault("PecanPy SparseOTF + gensim", {"macro-F1": [], "fit (s)": []})
            for seed in range(1, args.seeds + 1):
                out = str(tmp / f"pp_{seed}")
                res = run_worker(args.pecanpy_python, PECANPY_WORKER,
                                 dict(settings, p=p, q=q, threads=args.threads, seed=seed,
                                      edges=str(edges), what="e2e", mode="SparseOTF", out=out))
                r["fit (s)"].append(res["e2e_seconds"])
                r["macro-F1"].append(macro_f1(out, labels, seed))
        _table(f"{name}: Node2Vec p={p:g} q={q:g}, {settings}, {args.seeds} seeds",
               ["macro-F1", "fit (s)"], rows)


# ---------------------------------------------------------------------------------------------
# k-mers
# ---------------------------------------------------------------------------------------------


def run_kmers(args, tmp: Path) -> None:
    import kmers_vs_gensim as kb

    from embedkit import datasets
    from embedkit.models.kmer2vec import Kmer2Vec

    fasta = SHARED / "dna" / "ecoli-k12.fasta.gz"
    fasta = str(fasta) if fasta.exists() and not args.quick else str(datasets.lambda_genome_path())
    rows: dict[str, dict[str, list[float]]] = {}
    metrics = ["align_rho", "splice_f1", "splice6_f1", "fit (s)"]
    for scheme_kw in SCHEMES.values():
        Kmer2Vec(k=kb.K, dim=8, **scheme_kw, threads=args.threads,
                 progress=False).fit(["ACGTACGTTGCAACGTAGGCTA" * 4])
    for scheme, scheme_kw in SCHEMES.items():
        r = rows.setdefault(f"embedkit {scheme}", {m: [] for m in metrics})
        for seed in range(1, args.seeds + 1):
            t0 = time.perf_counter()
            model = Kmer2Vec(k=kb.K, dim=kb.DIM, window=kb.WINDOW, negative=kb.NEGATIVE,
                             epochs=1, min_count=1, subsample=1e-3, threads=args.threads,
                             random_state=seed, progress=False, compute_loss=False,
                             **scheme_kw).fit(fasta)
            r["fit (s)"].append(time.perf_counter() - t0)
            for key, val in kb._splice_scores(model).items():
                r.setdefault(key, []).append(val)
    if not args.skip_peers:
        kb.THREADS = args.threads
        res = kb.run_gensim(fasta)
        r = rows.setdefault("strings + gensim (seed 1)", {m: [] for m in metrics})
        r["fit (s)"].append(res["wall"])
        for key in metrics[:-1]:
            r[key].append(res[key])
    _table(f"k-mers: Kmer2Vec k={kb.K} on {Path(fasta).name}, {args.seeds} seeds", metrics, rows)


# ---------------------------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------------------------


def run_text(args, tmp: Path) -> None:
    import text_vs_gensim as tb

    from embedkit.models.word2vec import Word2Vec

    src = SHARED / "text" / "corpus.txt.gz"
    if not src.exists():
        print("\n(text: corpus absent, skipped)")
        return
    n = 1_000_000 if args.quick else args.text_tokens
    sentences, total = [], 0
    with gzip.open(src, "rt") as f:
        for line in f:
            words = line.split()
            sentences.append(words)
            total += len(words)
            if total >= n:
                break
    metrics = ["ws353", "simlex", "analogy", "fit (s)"]
    rows: dict[str, dict[str, list[float]]] = {}
    kw = dict(dim=100, window=5, negative=5, epochs=1, min_count=5, threads=args.threads,
              progress=False)
    for scheme, scheme_kw in TEXT_SCHEMES.items():
        Word2Vec(**dict(kw, min_count=1), **scheme_kw).fit([["a", "b", "c"]])
        r = rows.setdefault(f"embedkit {scheme}", {m: [] for m in metrics})
        for seed in range(1, args.seeds + 1):
            t0 = time.perf_counter()
            model = Word2Vec(**kw, **scheme_kw, random_state=seed).fit(sentences)
            r["fit (s)"].append(time.perf_counter() - t0)
            for key, val in tb._quality(model.embeddings_).items():
                if key in metrics:
                    r[key].append(val)
    if not args.skip_peers:
        from gensim.models import Word2Vec as GensimWord2Vec

        from embedkit.embeddings import Embeddings

        r = rows.setdefault("gensim (seed 1)", {m: [] for m in metrics})
        t0 = time.perf_counter()
        g = GensimWord2Vec(sentences, vector_size=100, window=5, negative=5, epochs=1,
                           min_count=5, workers=args.threads, sg=1, seed=1)
        r["fit (s)"].append(time.perf_counter() - t0)
        q = tb._quality(Embeddings(g.wv.vectors, list(g.wv.index_to_key)))
        for key in metrics[:-1]:
            r[key].append(q[key])
    _table(f"text: skip-gram on {total:,} tokens, {args.seeds} seeds", metrics, rows)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--domains", nargs="+", default=["graphs", "kmers", "text"],
                    choices=["graphs", "kmers", "text"])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="small sizes (a few minutes)")
    ap.add_argument("--skip-peers", action="store_true", help="no PecanPy / gensim rows")
    ap.add_argument("--text-tokens", type=int, default=3_000_000)
    ap.add_argument("--walk-length", type=int, default=40)
    ap.add_argument("--walks-per-node", type=int, default=4)
    ap.add_argument("--window", type=int, default=5, help="graphs' context window")
    ap.add_argument("--dim", type=int, default=64, help="graphs' dimension")
    ap.add_argument("--pecanpy-python", default="/work/venvs/pecanpy/bin/python")
    ap.add_argument("--shrink-window-rows", action="store_true",
                    help="graphs: also shared and per pair Hogwild with shrink_window=True")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="ek-negatives-"))
    t0 = time.perf_counter()
    for domain in args.domains:
        {"graphs": run_graphs, "kmers": run_kmers, "text": run_text}[domain](args, tmp)
    print(f"\n({time.strftime('%Y-%m-%d %H:%M')}, {args.threads} threads, "
          f"{time.perf_counter() - t0:.0f} s in all)")


if __name__ == "__main__":
    main()
