"""Benchmark commands: ``embedkit bench samplers``."""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

__all__ = ["register"]


def _read_lines(path: str, limit: int | None) -> list[str]:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such corpus file: {path}")
    opener = gzip.open if p.suffix == ".gz" else open
    out = []
    with opener(p, "rt", encoding="utf-8") as f:
        for line in f:
            if limit is not None and len(out) >= limit:
                break
            out.append(line)
    return out


def _words_data(args: argparse.Namespace):
    from embedkit import datasets

    path = args.data or str(datasets.text_corpus_path())
    if args.limit is None:
        return path
    return [line.split() for line in _read_lines(path, args.limit)]


def _graph_data(args: argparse.Namespace):
    if args.data is None:
        return None
    if not args.labels:
        return args.data  # link prediction
    import pandas as pd

    labels = pd.read_csv(args.labels, sep="\t")
    return args.data, labels


def _kmers_data(args: argparse.Namespace):
    if args.data is None:
        return None
    import pandas as pd

    table = pd.read_csv(args.data, sep="\t")
    for col in ("sequence", "class"):
        if col not in table.columns:
            raise ValueError(f"{args.data}: the k-mer task needs a tab-separated file with "
                             f"'sequence' and 'class' columns (missing {col!r})")
    if args.limit is not None:
        table = table.iloc[: args.limit]
    return table["sequence"].tolist(), table["class"].tolist()


def _cmd_bench_samplers(args: argparse.Namespace) -> int:
    from embedkit.bench import compare_samplers, summarize

    if args.seeds < 1:
        raise ValueError(f"--seeds must be >= 1, got {args.seeds}")
    data = {"words": _words_data, "graph": _graph_data, "kmers": _kmers_data}[args.task](args)
    params = {}
    for name in ("dim", "window", "negative", "epochs", "min_count", "threads"):
        value = getattr(args, name)
        if value is not None:
            params[name] = value
    if args.task == "words" and args.limit is None and args.data is None:
        params["tokenizer"] = "split"
    samplers = None if args.samplers is None else [
        s.strip() for s in args.samplers.split(",") if s.strip()]
    results = compare_samplers(data, samplers, task=args.task, seeds=args.seeds,
                               progress=not args.no_progress, **params)
    out = Path(args.output)
    results.to_csv(out, index=False)
    table = summarize(results, ["quality", "words_per_s", "train_s", "peak_rss_mb",
                                "mean_neg_sigmoid"])
    metric = results["quality_metric"].iloc[0]
    print(f"{args.task}: quality = {metric}; mean ± std over {args.seeds} seed(s)")
    for _, r in table.iterrows():
        print(f"  {r['sampler']:>10}  quality {r['quality_mean']:.3f} ± {r['quality_std']:.3f}  "
              f"{r['words_per_s_mean']:>11,.0f} tokens/s  train {r['train_s_mean']:6.1f}s  "
              f"peak RSS {r['peak_rss_mb_mean']:7.0f} MB  σ(v·u_n) "
              f"{r['mean_neg_sigmoid_mean']:.3f}")
    print(f"wrote {len(results)} runs to {out}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from embedkit.bench.plot import plot_quality_vs_time

        ax = plot_quality_vs_time(results)
        ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        print(f"saved the figure to {args.plot}")
    return 0


def register(sub, train_sub) -> None:
    """Add ``embedkit bench ...`` to the parser."""
    bench = sub.add_parser("bench", help="benchmarks (samplers)")
    bench_sub = bench.add_subparsers(dest="bench", metavar="BENCH")
    bench_sub.required = True
    p = bench_sub.add_parser(
        "samplers", help="compare negative samplers: quality, speed, memory",
        description="Train once per sampler and seed and write one CSV row per run "
        "(quality metrics, tokens/s, wall time, peak RSS, mean sigmoid of negatives).",
    )
    p.add_argument("--task", choices=["words", "graph", "kmers"], default="words")
    p.add_argument("--samplers", default=None,
                   help="comma-separated registry names (default: unigram,uniform,hard,"
                   "spelling; no spelling for graphs)")
    p.add_argument("--seeds", type=int, default=3, help="seeds per sampler (default 3)")
    p.add_argument("--data", default=None,
                   help="words: corpus file (default: bundled corpus); graph: edge list "
                   "(with --labels: node classification, else link prediction; default: "
                   "karate club); kmers: TSV with 'sequence' and "
                   "'class' columns (default: bundled splice junctions)")
    p.add_argument("--labels", default=None, help="graph: node<TAB>label file with a header")
    p.add_argument("--limit", type=int, default=None,
                   help="use only the first N lines / sequences (quick runs)")
    p.add_argument("--epochs", type=int, default=None, help="passes (default: the model's)")
    p.add_argument("--dim", type=int, default=None, help="vector size (default: the model's)")
    p.add_argument("--window", type=int, default=None)
    p.add_argument("--negative", type=int, default=None)
    p.add_argument("--min-count", type=int, default=None)
    p.add_argument("--threads", type=int, default=None, help="worker threads (default: all)")
    p.add_argument("-o", "--output", required=True, help="CSV file for the per-run results")
    p.add_argument("--plot", default=None, help="also save quality vs time to this image")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_cmd_bench_samplers)
