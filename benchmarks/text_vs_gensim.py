"""embedkit vs gensim Word2Vec on the same corpus, settings and machine, in one run.

Usage::

    pip install -e ".[bench]"
    python benchmarks/text_vs_gensim.py [--corpus PATH] [--repeats 3] [--epochs 5]

Corpus: ``../shared/data/text/corpus.txt.gz`` (7M tokens) when present, else the bundled corpus.
Settings (both libraries): skip-gram, dim 100, window 5, negative 5, subsample 1e-3,
min_count 5, 2 threads, linear lr decay 0.025 -> 1e-4, no loss tracking (gensim's default;
embedkit tracks the loss by default, a few per cent of its training time).

embedkit's kernels are loaded (from Numba's disk cache) by a tiny warm-up fit before timing.
Each library runs in its own fresh subprocess (so peak RSS is its own), alternating
embedkit / gensim ``--repeats`` times; the table reports medians and the embedkit/gensim ratios.

* effective words/s: words kept after min_count and subsampling, per second of training
  (gensim's own definition); also per CPU-second, which the shared machine disturbs less;
* total wall time includes reading the corpus and building the vocabulary;
* quality: accuracy on questions-words.txt (restrict_vocab 300k, 3CosAdd) and Spearman on
  WordSim-353 and SimLex-999, evaluated by the same code for both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"


def eval_paths():
    """The analogy, WordSim-353 and SimLex-999 files (shared data when present, else bundled)."""
    from embedkit import datasets

    simlex = SHARED / "eval" / "simlex999.txt"
    return (datasets.analogies_path(), datasets.wordsim353_path(),
            simlex if simlex.exists() else datasets.simlex999_path())


def _quality(emb) -> dict:
    analogies, ws353, simlex = eval_paths()
    ana = emb.evaluate_analogies(analogies)
    return dict(
        analogy=ana.accuracy,
        answered=ana.n_answered,
        ws353=emb.evaluate_word_pairs(ws353).spearman,
        simlex=emb.evaluate_word_pairs(simlex).spearman,
    )


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_embedkit(corpus: str, epochs: int, threads: int) -> dict:
    from embedkit import Word2Vec

    # Load the kernels from Numba's on-disk cache (or compile them once) before timing, as
    # gensim's compiled extension is loaded before its timing starts.
    Word2Vec(dim=8, min_count=1, epochs=1, threads=threads, progress=False).fit(["a b c a b"])
    t0 = time.perf_counter()
    c0 = time.process_time()
    model = Word2Vec(dim=100, window=5, negative=5, subsample=1e-3, min_count=5, epochs=epochs,
                     threads=threads, random_state=1, progress=False, tokenizer="split",
                     compute_loss=False)  # gensim's default: neither side tracks the loss
    model.fit(corpus)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    train = model.training_seconds_
    effective = sum(st.trained_words for st in model.epoch_stats_)
    out = dict(lib="embedkit", wall=wall, train=train, effective_words=effective,
               words_per_s=effective / train, words_per_cpu_s=effective / cpu,
               rss_mb=_peak_rss_mb())
    out.update(_quality(model.embeddings_))
    return out


def run_gensim(corpus: str, epochs: int, threads: int) -> dict:
    from gensim.models import Word2Vec as GensimWord2Vec
    from gensim.models.word2vec import LineSentence

    from embedkit import Embeddings

    t0 = time.perf_counter()
    c0 = time.process_time()
    # LineSentence splits on whitespace, like embedkit's tokenizer="split"; it cuts lines at
    # 10,000 tokens, which this corpus never reaches.
    model = GensimWord2Vec(LineSentence(corpus), vector_size=100, window=5, negative=5,
                           sample=1e-3, min_count=5, epochs=epochs, workers=threads, sg=1,
                           alpha=0.025, min_alpha=1e-4, seed=1)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    train = model.total_train_time
    effective = _gensim_effective(model, epochs)
    out = dict(lib="gensim", wall=wall, train=train, effective_words=effective,
               words_per_s=effective / train, words_per_cpu_s=effective / cpu,
               rss_mb=_peak_rss_mb())
    kv = model.wv
    out.update(_quality(Embeddings(kv.vectors, list(kv.index_to_key))))
    return out


def _gensim_effective(model, epochs: int) -> float:
    # Expected kept words per epoch under gensim's own sample_int thresholds.
    import numpy as np

    kv = model.wv
    counts = np.array([kv.get_vecattr(w, "count") for w in kv.index_to_key], dtype=float)
    keep = np.array([kv.get_vecattr(w, "sample_int") for w in kv.index_to_key],
                    dtype=float) / 2**32
    return float((counts * np.minimum(keep, 1.0)).sum() * epochs)


def _child(args) -> None:
    fn = run_embedkit if args.child == "embedkit" else run_gensim
    print(json.dumps(fn(args.corpus, args.epochs, args.threads)))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = SHARED / "text" / "corpus.txt.gz"
    p.add_argument("--corpus", default=None, help=f"default: {default} or the bundled corpus")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--child", choices=["embedkit", "gensim"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.corpus is None:
        from embedkit import datasets

        args.corpus = str(default if default.exists() else datasets.text_corpus_path())
    if args.child:
        _child(args)
        return
    print(f"corpus {args.corpus}; sg dim 100 window 5 negative 5 subsample 1e-3 min_count 5; "
          f"{args.epochs} epochs, {args.threads} threads, {args.repeats} interleaved repeats")
    results = {"embedkit": [], "gensim": []}
    for r in range(args.repeats):
        for lib in ("embedkit", "gensim"):
            cmd = [sys.executable, __file__, "--child", lib, "--corpus", args.corpus,
                   "--epochs", str(args.epochs), "--threads", str(args.threads)]
            res = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
            if res.returncode != 0:
                sys.exit(f"{lib} run failed:\n{res.stderr[-3000:]}")
            row = json.loads(res.stdout.strip().splitlines()[-1])
            results[lib].append(row)
            print(f"  run {r + 1} {lib:8s}: {row['words_per_s']:>10,.0f} eff. words/s, "
                  f"wall {row['wall']:.1f}s, analogy {row['analogy']:.3f}, "
                  f"ws353 {row['ws353']:.3f}", flush=True)
    med = {lib: {k: statistics.median(r[k] for r in rows) for k in rows[0] if k != "lib"}
           for lib, rows in results.items()}
    e, g = med["embedkit"], med["gensim"]
    rows = [
        ("effective words/s (training)", "words_per_s", "{:,.0f}", True),
        ("effective words per CPU-second", "words_per_cpu_s", "{:,.0f}", True),
        ("total wall time incl. vocabulary (s)", "wall", "{:.1f}", False),
        ("peak RSS (MB)", "rss_mb", "{:.0f}", False),
        ("analogy accuracy (questions-words)", "analogy", "{:.3f}", None),
        ("WordSim-353 Spearman", "ws353", "{:.3f}", None),
        ("SimLex-999 Spearman", "simlex", "{:.3f}", None),
    ]
    paired = sorted(a["words_per_s"] / b["words_per_s"]
                    for a, b in zip(results["embedkit"], results["gensim"], strict=True))
    print("speed ratio of each interleaved pair: " + ", ".join(f"{r:.2f}x" for r in paired)
          + f" (median {statistics.median(paired):.2f}x)")
    print(f"\n| median of {args.repeats} runs | embedkit | gensim 4.4 | ratio |")
    print("|---|---:|---:|---:|")
    for label, key, fmt, higher in rows:
        if higher is None:
            ratio = f"{e[key] - g[key]:+.3f}"
        else:
            ratio = f"{e[key] / g[key]:.2f}x"
        print(f"| {label} | {fmt.format(e[key])} | {fmt.format(g[key])} | {ratio} |")


if __name__ == "__main__":
    main()
