"""Naive per-epoch parameter averaging: the Spark MLlib / DL4J baseline (benchmarks only).

Each epoch, P tasks start from the same full model, each trains on every P-th batch of the
epoch (the same kernel, chunk streams and lr positions as one machine), and the P models are
averaged. Every task holds the whole model, and every epoch moves it P times out and P times
back. Averaging independently trained copies shrinks each update by a factor P for words seen in
one partition only, which is why quality drops as P grows; block rotation
(:func:`embedkit.distributed.fit_distributed`) avoids it.
"""

from __future__ import annotations

import time

import numpy as np

from embedkit.distributed.train import (
    _I_RAW,
    _I_TASK,
    _I_TRAIN,
    CACHE_BYTES,
    _clear_cache,
    _finish,
    _init_block,
    _prepare,
    _train_cell,
)
from embedkit.engine.kernels import N_STATS, STAT_LOSS, STAT_PAIRS, STAT_WORDS
from embedkit.engine.train import EpochStats

__all__ = ["fit_averaging"]


def _average(*results):
    """Mean of the partitions' (W, C) and the sum of their statistics."""
    W = np.mean([r[0] for r in results], axis=0, dtype=np.float64).astype(np.float32)
    C = np.mean([r[1] for r in results], axis=0, dtype=np.float64).astype(np.float32)
    return W, C, [r[2] for r in results]


def fit_averaging(estimator, data, *, client, partitions: int | None = None,
                  shards: int | None = None, cache_bytes: int = CACHE_BYTES):
    """Fit by per-epoch parameter averaging over ``partitions`` data partitions.

    Same inputs and fitted attributes as :func:`~embedkit.distributed.fit_distributed`;
    ``partitions`` defaults to the number of workers. With one partition it is single-process
    training.

    Examples
    --------
    >>> from embedkit import Word2Vec
    >>> model = fit_averaging(Word2Vec(min_count=1, progress=False), [["a", "b"]] * 20,
    ...                       client=client, partitions=2)  # doctest: +SKIP
    """
    prep = _prepare(estimator, data, client, 1, shards, cache_bytes,
                    threads=getattr(estimator, "threads", None))
    P = len(prep.workers) if partitions is None else partitions
    if not isinstance(P, int) or isinstance(P, bool) or P < 1:
        raise ValueError(f"partitions must be a positive int, got {partitions!r}")
    workers, run, config = prep.workers, prep.run, prep.config
    n, dim, nw = len(prep.vocab), config.dim, len(workers)
    W = client.submit(_init_block, n, dim, prep.seed, 0, n, False, key=f"embedkit-avgW-{run}")
    C = client.submit(_init_block, n, dim, prep.seed, 0, n, True, key=f"embedkit-avgC-{run}")
    history: list[EpochStats] = []
    try:
        for epoch in range(config.epochs):
            t0 = time.perf_counter()
            parts = [client.submit(_train_cell, W, C, prep.ctx, epoch, 0, 0, p, P,
                                   key=f"embedkit-avg-{run}-e{epoch}-p{p}",
                                   workers=[workers[p % nw]], allow_other_workers=True)
                     for p in range(P)]
            avg = client.submit(_average, *parts, key=f"embedkit-avg-{run}-e{epoch}")
            W = client.submit(lambda r: r[0], avg, key=f"embedkit-avgW-{run}-e{epoch}")
            C = client.submit(lambda r: r[1], avg, key=f"embedkit-avgC-{run}-e{epoch}")
            infos = client.submit(lambda r: r[2], avg, key=f"embedkit-avgI-{run}-e{epoch}")
            infos = infos.result()
            seconds = time.perf_counter() - t0
            tot = np.sum([i[:N_STATS] for i in infos], axis=0)
            pairs = int(tot[STAT_PAIRS])
            busiest = max(sum(i[_I_TASK] for i in infos[w::nw]) for w in range(min(nw, P)))
            history.append(EpochStats(
                epoch=epoch, loss=float(tot[STAT_LOSS] / pairs) if pairs else float("nan"),
                raw_words=int(sum(i[_I_RAW] for i in infos)), trained_words=int(tot[STAT_WORDS]),
                pairs=pairs, seconds=seconds,
                extra={"partitions": P,
                       "train_seconds": max(i[_I_TRAIN] for i in infos),
                       "other_seconds": max(0.0, seconds - busiest)},
            ))
        W_arr, C_arr = client.gather([W, C])
    finally:
        client.run(_clear_cache, run)
    estimator.partitions_ = P
    return _finish(estimator, prep, W_arr, C_arr, history)
