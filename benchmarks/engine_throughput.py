"""Kernel-only throughput of the SGNS engine: batches pre-encoded in memory, no text pipeline.

Usage::

    python benchmarks/engine_throughput.py [--lines 100000] [--threads 1 2] [--repeats 3]

Reads the first ``--lines`` sentences of ``../shared/data/text/corpus.txt.gz`` (or the bundled
corpus), encodes them once, then times one epoch of skip-gram (dim 100, window 5, negative 5,
subsample 1e-3) per setting after a warm-up epoch. Prints effective (kept) words per second and
per CPU-second, medians over ``--repeats``. Isolates the kernel from reading and encoding.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import time
from collections import Counter
from pathlib import Path

import numpy as np

from embedkit import datasets
from embedkit.contexts.base import make_batch
from embedkit.engine.train import EngineConfig, train
from embedkit.samplers import Unigram
from embedkit.vocab import Vocab

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "text" / "corpus.txt.gz"


class _InMemory:
    def __init__(self, batches):
        self._batches = batches
        self._n = sum(b.n_raw for b in batches)

    def tokens_per_epoch(self, vocab):
        return self._n

    def batches(self, vocab, *, epoch, seed):
        yield from self._batches


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--lines", type=int, default=100_000)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--per-pair", action="store_true", help="per-pair negatives")
    args = p.parse_args(argv)
    path = SHARED if SHARED.exists() else datasets.text_corpus_path()
    with gzip.open(path, "rt") as fh:
        lines = [line.split() for line, _ in zip(fh, range(args.lines), strict=False)]
    vocab = Vocab.from_counts(Counter(t for s in lines for t in s), min_count=5, subsample=1e-3)
    get = vocab.key_to_index.get
    batches = [make_batch([np.array([get(t, -1) for t in s], np.int32) for s in lines[i:i + 5000]])
               for i in range(0, len(lines), 5000)]
    gen = _InMemory(batches)
    config = EngineConfig(dim=100, window=5, negative=5, epochs=1,
                          shared_negatives=not args.per_pair)
    print(f"{path.name}: {len(lines)} sentences, {gen._n:,} tokens, vocabulary {len(vocab)}")
    for threads in args.threads:
        train(gen, vocab, Unigram(), config, seed=1, threads=threads, progress=False)  # warm-up
        wall, cpu, pairs = [], [], []
        for _ in range(args.repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            _, _, hist = train(gen, vocab, Unigram(), config, seed=1, threads=threads,
                               progress=False)
            kept = hist[0].trained_words
            cpu_s = time.process_time() - c0
            wall.append(kept / (time.perf_counter() - t0))
            cpu.append(kept / cpu_s)
            pairs.append(hist[0].pairs / cpu_s)
        print(f"threads={threads}: {statistics.median(wall):,.0f} effective words/s, "
              f"{statistics.median(cpu):,.0f} per CPU-second, "
              f"{statistics.median(pairs) / 1e6:.2f}M pairs per CPU-second "
              f"(median of {args.repeats})")


if __name__ == "__main__":
    main()
