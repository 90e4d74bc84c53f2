"""Compare negative samplers on the bundled English corpus and plot quality against time.

Trains skip-gram once per sampler and seed (unigram^0.75, uniform, hard negatives in both
flavours, spelling-aware in both modes), prints the mean and spread over seeds, writes the
per-run table to CSV and saves a quality-vs-time figure.

    python examples/compare_samplers.py                 # full corpus, 3 seeds, 3 epochs
    python examples/compare_samplers.py --smoke         # a few seconds: 4,000 lines, 1 seed
"""

from __future__ import annotations

import argparse
import gzip
import itertools

import matplotlib

matplotlib.use("Agg")

from embedkit.bench import compare_samplers, plot_quality_vs_time, summarize  # noqa: E402
from embedkit.datasets import text_corpus_path  # noqa: E402
from embedkit.samplers import HardNegative, SpellingAware  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny run that finishes in seconds")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("-o", "--output", default="compare_samplers.png", help="figure path")
    ap.add_argument("--csv", default="compare_samplers.csv", help="per-run results")
    args = ap.parse_args()

    samplers = {
        "unigram": "unigram",
        "uniform": "uniform",
        "hard (pool)": HardNegative("pool"),
        "hard (neighbors)": HardNegative("neighbors"),
        "spelling (confusable)": SpellingAware("confusable"),
        "spelling (exclude variants)": SpellingAware("exclude_variants"),
    }
    corpus = text_corpus_path()
    params = dict(epochs=args.epochs, dim=100, threads=args.threads)
    if args.smoke:
        with gzip.open(corpus, "rt", encoding="utf-8") as f:
            corpus = [line.split() for line in itertools.islice(f, 4000)]
        params.update(epochs=1, dim=32, min_count=3)
        seeds = 1
    else:
        corpus = str(corpus)
        params["tokenizer"] = "split"
        seeds = args.seeds
    results = compare_samplers(corpus, samplers, task="words", seeds=seeds, progress=True,
                               **params)
    results.to_csv(args.csv, index=False)
    cols = ["quality", "analogy_acc", "words_per_s", "train_s", "peak_rss_mb",
            "mean_neg_sigmoid"]
    table = summarize(results, cols)
    print(table.drop(columns="task").to_string(index=False, float_format="%.3f"))
    ax = plot_quality_vs_time(results, title="skip-gram on the bundled corpus")
    ax.figure.savefig(args.output, dpi=120, bbox_inches="tight")
    print(f"wrote {args.csv} and {args.output}")


if __name__ == "__main__":
    main()
