"""Block rotation vs naive parameter averaging on a local Dask cluster.

For K in {1, 2, 4, 8} (blocks for rotation, data partitions for averaging) on a LocalCluster of
2 single-threaded worker processes, report wall time, the share of time spent moving data
(Dask's task stream: transfer time / (transfer + compute) over all tasks, and the round time not
explained by the busiest worker's task time), communication volume, and quality:

* text: WordSim-353 Spearman and analogy accuracy (3CosAdd) on the shared corpus
  (``../shared/data/text/corpus.txt.gz``, 7M tokens) or, if it is missing, the bundled one;
* graph: node-classification macro-F1 (train ratio 0.5) on the Debian dependency graph
  (``../shared/data/graphs/debian-deps``), if the graph code and data are available.

Usage::

    python benchmarks/distributed_scaling.py                   # text and graph
    python benchmarks/distributed_scaling.py --epochs 3 --dim 100 --skip-graph
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"


def _comm_share(task_stream: list[dict]) -> float:
    transfer = compute = 0.0
    for t in task_stream:
        for ss in t.get("startstops", ()):
            d = ss["stop"] - ss["start"]
            if ss["action"] == "transfer":
                transfer += d
            elif ss["action"] == "compute":
                compute += d
    return transfer / (transfer + compute) if transfer + compute > 0 else float("nan")


def _run(method, make, data, client, K, evaluate, sub_epochs=None):
    from dask.distributed import get_task_stream

    from embedkit.distributed import fit_averaging, fit_distributed

    est = make()
    with get_task_stream(client) as ts:
        t0 = time.perf_counter()
        if method == "rotation":
            fit_distributed(est, data, client=client, blocks=K, sub_epochs=sub_epochs)
        else:
            fit_averaging(est, data, client=client, partitions=K)
        wall = time.perf_counter() - t0
    n, dim = est.embeddings_.vectors.shape
    other = sum(s.extra["other_seconds"] for s in est.epoch_stats_)
    train = sum(s.seconds for s in est.epoch_stats_)
    if method == "rotation":  # each input block moves once per round: K rounds x |W|
        R = est.epoch_stats_[0].extra["sub_epochs"]
        volume = est.epochs * R * K * n * dim * 4
        method = f"rotation, {R} sub-epoch{'s' if R > 1 else ''}"
    else:  # every partition fetches the model and returns its copy: 2 x P x (|W| + |C|)
        volume = est.epochs * 2 * K * 2 * n * dim * 4
    row = {"method": method, "K": K, "wall_s": wall, "train_loop_s": train,
           "transfer_share": _comm_share(ts.data), "idle_share": other / train,
           "moved_MB_per_epoch": volume / est.epochs / 1e6,
           "pairs_per_s": sum(s.pairs for s in est.epoch_stats_) / train,
           "loss": est.loss_history_[-1]}
    row.update(evaluate(est))
    return row


def text_benchmark(client, args):
    from embedkit import Word2Vec, datasets

    corpus = SHARED / "text" / "corpus.txt.gz"
    if not corpus.exists():
        corpus = datasets.text_corpus_path()
    ws = SHARED / "eval" / "wordsim353.tsv"
    ws = ws if ws.exists() else datasets.wordsim353_path()
    qw = SHARED / "eval" / "questions-words.txt"
    qw = qw if qw.exists() else datasets.analogies_path()

    def make():
        return Word2Vec(dim=args.dim, epochs=args.epochs, threads=1, random_state=0,
                        progress=False, tokenizer="split")

    def evaluate(est):
        emb = est.embeddings_
        return {"wordsim_spearman": emb.evaluate_word_pairs(ws).spearman,
                "analogy_acc": emb.evaluate_analogies(qw, restrict_vocab=30000).accuracy}

    t0 = time.perf_counter()
    single = make().fit(str(corpus)) if not args.no_single else make()
    if args.no_single:
        return _rest_text(make, corpus, client, args, evaluate), str(corpus)
    row = {"method": "single process", "K": 1, "wall_s": time.perf_counter() - t0,
           "train_loop_s": single.training_seconds_,
           "pairs_per_s": sum(s.pairs for s in single.epoch_stats_) / single.training_seconds_,
           "loss": single.loss_history_[-1], "n_vocab": len(single.vocab_),
           "tokens": single.vocab_.n_raw_tokens}
    row.update(evaluate(single))
    print(pd.DataFrame([row]).round(4).to_string(index=False), flush=True)
    rows = [] if args.no_single else [row]
    for method in args.methods:
        for K in args.ks:
            rows.append(_run(method, make, str(corpus), client, K, evaluate, args.sub_epochs))
            print(pd.DataFrame(rows[-1:]).round(4).to_string(index=False), flush=True)
    return pd.DataFrame(rows), str(corpus)


def _rest_text(make, corpus, client, args, evaluate):
    rows = []
    for method in args.methods:
        for K in args.ks:
            rows.append(_run(method, make, str(corpus), client, K, evaluate, args.sub_epochs))
            print(pd.DataFrame(rows[-1:]).round(4).to_string(index=False), flush=True)
    return pd.DataFrame(rows)


def graph_benchmark(client, args):
    try:
        from embedkit.contexts.edgelist import read_edgelist
        from embedkit.eval.graphs import node_classification
        from embedkit.models.node2vec import Node2Vec
    except ImportError as exc:
        print(f"graph benchmark skipped: {exc}")
        return None
    edges = SHARED / "graphs" / "debian-deps.edges.tsv.gz"
    labels_path = SHARED / "graphs" / "debian-deps.labels.tsv"
    if not edges.exists():
        print("graph benchmark skipped: debian-deps not found")
        return None
    graph = read_edgelist(str(edges), directed=False)
    labels = pd.read_csv(labels_path, sep="\t")
    labels = dict(zip(labels["node"], labels["section"], strict=True))

    def make():
        return Node2Vec(dim=64, walk_length=40, walks_per_node=args.walks, epochs=args.epochs,
                        threads=1, random_state=0, progress=False)

    def evaluate(est):
        res = node_classification(est.embeddings_, labels, train_ratios=(0.5,), n_repeats=1,
                                  missing="drop")
        return {"macro_f1": float(res["macro_f1"].iloc[0]),
                "micro_f1": float(res["micro_f1"].iloc[0])}

    t0 = time.perf_counter()
    single = make().fit(graph)
    row = {"method": "single process", "K": 1, "wall_s": time.perf_counter() - t0,
           "train_loop_s": single.training_seconds_, "loss": single.loss_history_[-1],
           "pairs_per_s": sum(s.pairs for s in single.epoch_stats_) / single.training_seconds_}
    row.update(evaluate(single))
    print(pd.DataFrame([row]).round(4).to_string(index=False), flush=True)
    rows = [] if args.no_single else [row]
    for method in args.methods:
        for K in args.ks:
            rows.append(_run(method, make, graph, client, K, evaluate, args.sub_epochs))
            print(pd.DataFrame(rows[-1:]).round(4).to_string(index=False), flush=True)
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    from dask.distributed import Client, LocalCluster

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ks", type=int, nargs="+", default=[1, 2, 4, 8])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--walks", type=int, default=2, help="walks per node (graph)")
    p.add_argument("--methods", nargs="+", default=["rotation", "averaging"],
                   choices=["rotation", "averaging"])
    p.add_argument("--sub-epochs", type=int, default=None,
                   help="rotation: slices per epoch (default: fit_distributed's)")
    p.add_argument("--no-single", action="store_true", help="skip the single-process row")
    p.add_argument("--skip-text", action="store_true")
    p.add_argument("--skip-graph", action="store_true")
    args = p.parse_args(argv)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    pd.set_option("display.width", 200)
    with Client(cluster) as client:
        if not args.skip_text:
            df, corpus = text_benchmark(client, args)
            print(f"\n## text: {corpus}, dim {args.dim}, {args.epochs} epochs, 2 workers\n")
            print(_table(df))
        if not args.skip_graph:
            df = graph_benchmark(client, args)
            if df is not None:
                print(f"\n## graph: debian-deps, {args.epochs} epochs, 2 workers\n")
                print(_table(df))
    cluster.close()


def _table(df: pd.DataFrame) -> str:
    """A markdown table (no tabulate dependency)."""
    df = df.round(4).astype(object).where(df.notna(), "")
    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(map(str, row)) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *body])


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
