"""The per-worker cost constants of block rotation that ``docs/scaling.md`` builds on.

Usage::

    python benchmarks/distributed_costs.py [--corpus PATH] [--blocks 4] [--repeats 3]

On the shared corpus (``../shared/data/text/corpus.txt.gz``, else the bundled one), with one
thread and CPU time, it measures:

* ``c_prep``: drawing an epoch's subsample and reduced windows and filing the kept positions by
  centre block (``embedkit.engine.cells.prepare_batch``), per raw token;
* ``c_visit``: what a cell pays for a centre of its output block whose window holds no context
  of its input block (the window test and the skipped steps of the negative stream): the cell
  of the tail block is run with an empty input block, so it visits every centre and trains
  nothing;
* ``kappa``: the kept share of raw tokens after subsampling.

It prints the median over ``--repeats`` runs. There is no peer to compare with here: these are
the inputs of the large-cluster estimate, not a speed claim.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"


def measure(batches, vocab, n_blocks: int, dim: int = 100) -> tuple[float, float, float]:
    from embedkit.engine.block_plan import plan_blocks
    from embedkit.engine.cells import prepare_batch, train_cell_chunks
    from embedkit.engine.objectives import kernel_mode
    from embedkit.engine.params import N_STATS, Batch, KernelParams
    from embedkit.engine.train import chunk_bounds, padded_dim
    from embedkit.rng import engine_states
    from embedkit.samplers.base import make_tables

    n_raw = sum(b.n_raw for b in batches)
    keep = np.ascontiguousarray(vocab.keep_prob, dtype=np.float32)
    noise = vocab.counts.astype(np.float64) ** 0.75
    plan = plan_blocks(vocab.counts, vocab.keep_prob, noise, n_blocks)
    block_of = np.repeat(np.arange(n_blocks, dtype=np.int32), plan.sizes())
    params = KernelParams(window=5, negative=5, sg=True, shrink_window=True,
                          shared_negatives=True, cbow_mean=True, lr0=0.025, min_lr=1e-4,
                          total_words=float(n_raw), compute_loss=True)
    prepared = []
    t0 = time.process_time()
    for b in batches:
        bounds = chunk_bounds(b.offsets, 10_000)
        states = engine_states(0, 0, 0, bounds.size - 1)
        chunk_pos = b.offsets[bounds[:-1]].astype(np.float64)
        batch = Batch(b.ids, b.offsets, bounds, chunk_pos, 1.0, keep)
        prepared.append((prepare_batch(batch, block_of, n_blocks, params, states.copy()), bounds,
                         states))
    t_prep = time.process_time() - t0
    j = n_blocks - 1
    lo, hi = plan.block(j)
    cell = params._replace(in_lo=0, in_hi=0, out_lo=lo, out_hi=hi)
    tables = make_tables(noise[lo:hi])
    W = np.zeros((1, padded_dim(dim)), np.float32)
    C = np.zeros((hi - lo, padded_dim(dim)), np.float32)
    visited = 0
    t0 = time.process_time()
    mode = kernel_mode(cell, tables)
    for prep, bounds, states in prepared:
        n_chunks = bounds.size - 1
        stats = np.zeros((n_chunks, N_STATS))
        train_cell_chunks(mode, (W, C), prep, j, n_blocks, cell, tables, states.copy(), stats)
        cptr = prep.cptr
        visited += int(sum(cptr[c * n_blocks + j + 1] - cptr[c * n_blocks + j]
                           for c in range(n_chunks)))
    t_visit = time.process_time() - t0
    kept_total = sum(p[0].kept.size for p in prepared)
    return t_prep / n_raw * 1e9, t_visit / max(visited, 1) * 1e9, kept_total / n_raw


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", default=None)
    p.add_argument("--blocks", type=int, default=4)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    import numba

    from embedkit import datasets
    from embedkit.contexts.text import TextCorpus

    corpus = args.corpus or SHARED / "text" / "corpus.txt.gz"
    if not Path(corpus).exists():
        corpus = datasets.text_corpus_path()
    numba.set_num_threads(1)
    text = TextCorpus(str(corpus), tokenizer="split")
    vocab = text.build_vocab(min_count=5, subsample=1e-3)
    batches = list(text.batches(vocab, epoch=0, seed=0))
    measure(batches[:1], vocab, args.blocks)  # load or compile the kernels first
    runs = [measure(batches, vocab, args.blocks) for _ in range(args.repeats)]
    prep, visit, kappa = (statistics.median(r[i] for r in runs) for i in range(3))
    print(f"corpus {corpus}: {sum(b.n_raw for b in batches):,} raw tokens, {len(vocab):,} words, "
          f"K = {args.blocks}, one thread, median of {args.repeats}")
    print(f"c_prep  = {prep:.1f} ns per raw token")
    print(f"c_visit = {visit:.1f} ns per visited centre without a context in the input block")
    print(f"kappa   = {kappa:.3f} kept share after subsampling")


if __name__ == "__main__":
    main()
