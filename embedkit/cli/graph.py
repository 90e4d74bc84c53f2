"""Graph commands: ``train graph`` (node2vec / DeepWalk) and ``eval-nodes``."""

from __future__ import annotations

import argparse
import sys
import time

from embedkit.cli.continuing import add_continue_options, fit_or_continue
from embedkit.cli.text import add_sgns_options, load_embeddings, save_embeddings, sgns_params

__all__ = ["register"]


def _cmd_train_graph(args: argparse.Namespace) -> int:
    from embedkit.contexts.edgelist import read_binary_graph, read_edgelist
    from embedkit.models.node2vec import Node2Vec

    if args.edges.lower().endswith((".npz", ".npy")):
        if args.sep is not None or args.header != "auto":
            raise SystemExit(f"embedkit: --sep and --header do not apply to {args.edges} "
                             "(a binary graph file)")
        graph = read_binary_graph(args.edges, directed=args.directed,
                                  weighted=bool(args.weighted))
    else:
        header = {"auto": None, "yes": True, "no": False}[args.header]
        graph = read_edgelist(args.edges, directed=args.directed, weighted=bool(args.weighted),
                              sep=args.sep, header=header)
    print(f"read {args.edges}: {graph.n_nodes} nodes, {graph.n_edges} edges "
          f"({'directed' if graph.directed else 'undirected'}, "
          f"{'weighted' if graph.weighted else 'unweighted'})")
    params = dict(sgns_params(args), walk_length=args.walk_length,
                  walks_per_node=args.walks_per_node, p=args.p, q=args.q)
    t0 = time.perf_counter()
    model = fit_or_continue(Node2Vec, params, graph, args)
    out = save_embeddings(model.embeddings_, args.output)
    st = model.epoch_stats_[-1]
    print(f"trained {len(model.embeddings_)} node vectors (dim {args.dim}) in "
          f"{time.perf_counter() - t0:.1f}s (walk counting {model.vocab_seconds_:.1f}s, training "
          f"{model.training_seconds_:.1f}s, {st.words_per_second:,.0f} steps/s); saved to {out}")
    if model.isolated_nodes_:
        print(f"note: {len(model.isolated_nodes_)} isolated node(s) got no vector")
    return 0


def _cmd_eval_nodes(args: argparse.Namespace) -> int:
    from embedkit.eval.graphs import node_classification, read_node_labels

    emb = load_embeddings(args.model)
    labels = read_node_labels(args.labels)
    keys = emb.index_to_key
    if keys and not isinstance(keys[0], type(next(iter(labels)))):
        # e.g. int node ids in the model vs string names in the label file (or vice versa)
        labels = {str(k): v for k, v in labels.items()}
        if isinstance(keys[0], int):
            labels = {int(k) if k.lstrip("-").isdigit() else k: v for k, v in labels.items()}
    ratios = [float(x) for x in args.train_ratios.split(",")]
    if not args.drop_missing:
        unknown = [n for n in labels if n not in emb]
        if unknown:
            few = ", ".join(repr(n) for n in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
            raise ValueError(f"{len(unknown)} labelled node(s) have no vector ({few}); isolated "
                             "nodes get no vector. Pass --drop-missing to evaluate on the others")
    n_splits = len(ratios) * args.repeats
    t0 = time.perf_counter()

    def report(row: dict) -> None:
        done = report.count = getattr(report, "count", 0) + 1
        print(f"eval-nodes: split {done}/{n_splits} (train ratio {row['train_ratio']:g}) "
              f"micro-F1 {row['micro_f1']:.4f}, {time.perf_counter() - t0:.1f}s elapsed",
              file=sys.stderr, flush=True)

    if not args.no_progress:
        print(f"eval-nodes: {n_splits} logistic-regression fits on {len(emb)} vectors ...",
              file=sys.stderr, flush=True)
    res = node_classification(emb, labels, train_ratios=ratios, n_repeats=args.repeats,
                              missing="drop" if args.drop_missing else "error",
                              random_state=args.seed,
                              callback=None if args.no_progress else report)
    print(f"node classification ({len(labels)} labelled nodes, one-vs-rest logistic regression, "
          f"{args.repeats} random splits per ratio)")
    print(res.to_string(float_format=lambda x: f"{x:.4f}"))
    return 0


def register(sub, train_sub) -> None:
    """Add the graph commands to the ``embedkit`` parser."""
    p = train_sub.add_parser(
        "graph", help="node vectors from a graph (node2vec / DeepWalk)",
        description="Train node vectors with node2vec random walks (p = q = 1: DeepWalk) "
        "streamed into the SGNS engine. EDGES is an edge-list file: 'source target [weight]' "
        "per line, tab-, comma- or space-separated, optional header, plain or .gz (integer "
        "node names 0..n-1 are used as node ids, without a label dictionary); or a binary "
        "graph with node ids 0..n-1: a scipy.sparse.save_npz adjacency matrix (.npz), an "
        "edge archive of embedkit.contexts.graph_files.save_edges (.npz), or an (m, 2) "
        "integer edge array (.npy).")
    p.add_argument("edges", help="edge-list file, .npz or .npy")
    p.add_argument("-o", "--output", required=True,
                   help="output: .npz (embedkit), .txt/.vec (word2vec text) or .bin")
    p.add_argument("--directed", action="store_true", help="edges are directed (u -> v)")
    p.add_argument("--weighted", action="store_true",
                   help="use the edge weights (third column, matrix values or the archive's "
                   "weight array; default: unweighted walks)")
    p.add_argument("--sep", default=None, help="field separator (default: detected)")
    p.add_argument("--header", choices=["auto", "yes", "no"], default="auto",
                   help="whether the first line is a header (default: detected)")
    g = p.add_argument_group("random walks")
    g.add_argument("--p", type=float, default=1.0, help="return parameter (default 1)")
    g.add_argument("--q", type=float, default=1.0, help="in-out parameter (default 1)")
    g.add_argument("--walk-length", type=int, default=80, help="nodes per walk (default 80)")
    g.add_argument("--walks-per-node", type=int, default=10,
                   help="walks from each node per epoch (default 10)")
    add_sgns_options(p, dim=128, window=10, epochs=1, min_count=1, subsample=1e-3,
                     shared_negatives=False, shrink_window=False)
    add_continue_options(p, warm_start=False)
    p.set_defaults(func=_cmd_train_graph)

    p = sub.add_parser(
        "eval-nodes", help="node classification F1 of node vectors",
        description="One-vs-rest logistic regression on node vectors: micro- and macro-F1 "
        "averaged over random splits per training ratio. LABELS is 'node<TAB>label' per line "
        "(header allowed; repeat a node for multi-label).")
    p.add_argument("model", help="saved node vectors (.npz, .txt, .vec or .bin)")
    p.add_argument("labels", help="node label file (TSV)")
    p.add_argument("--train-ratios", default="0.1,0.5,0.9",
                   help="comma-separated training fractions (default %(default)s)")
    p.add_argument("--repeats", type=int, default=5, help="splits per ratio (default 5)")
    p.add_argument("--seed", type=int, default=0, help="seed of the splits")
    p.add_argument("--drop-missing", action="store_true",
                   help="skip labelled nodes without a vector instead of failing")
    p.add_argument("--no-progress", action="store_true",
                   help="do not report each finished split on stderr")
    p.set_defaults(func=_cmd_eval_nodes)
