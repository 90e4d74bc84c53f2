"""Block-rotation SGNS training on a Dask cluster.

The vocabulary is cut into K blocks (:mod:`embedkit.engine.block_plan`). The input vectors of
block i and the output vectors of block j live on workers as Dask futures. An epoch is K rounds:
in round s, task k trains cell ``(input block (k + s) mod K, output block k)`` with the
single-process window update on the windows whose centre is in its output block (it trains
only the pairs it owns). Output blocks stay where they are; input blocks move one worker per
round, directly between workers (a task's future arguments are fetched peer to peer, never
through the client). No two tasks of a round touch the same rows, so there is no averaging
and no race.

Every task is pure: it copies its input blocks, trains with one thread (by default) on streams
seeded from ``(seed, epoch, chunk)``, and returns new blocks. The result therefore depends only
on ``random_state`` and K (and the sharding, which defaults to a function of the data size), not
on which worker ran what, and a task lost with its worker is simply recomputed by Dask from its
inputs. With K = 1 and one shard it is the single-process computation, bit for bit.

Data. Any sentence may hold pairs of any cell, so every worker reads the whole epoch: the
shards are streamed as Dask tasks' inputs (:mod:`embedkit.distributed.sharding`), and a bounded
per-worker cache (``cache_bytes``) keeps encoded batches, so text is read and tokenized once per
worker and run, walks generated once per worker and epoch. The first cell of an epoch on a
worker then draws the subsample and the reduced windows of the whole epoch once and files every
kept token under its block (:mod:`embedkit.engine.cells`, about 10 bytes per kept token,
cached within the same budget); each cell visits only the centres of its output block. A
worker therefore scans its stream once per epoch, not once per cell, and the cost of a cell
falls with K like its work. (When the prepared epoch does not fit the budget every cell
prepares its own slice of the stream instead.)

Randomness. Each chunk of the stream has two streams seeded from ``(seed, epoch, chunk)``: one
for the subsample and the reduced windows, one for the negatives. All cells therefore train
the same subsample with the same windows, so every pair of the epoch is trained exactly once,
as on one machine. A cell draws a centre's negatives from its output block's table on the
chunk's negative stream, once per centre whatever the input block, so a centre's window shares
one set of negatives across the K cells as it does on one machine (``shared_negatives``).

Ordering. One epoch trains every pair once, as one machine does. Within one rotation a row
meets the K blocks one after another rather than interleaved, so each epoch is cut into
``sub_epochs`` contiguous slices of the stream (default 4), each a full rotation of K rounds;
that restores single-process quality (see ``fit_distributed``).

Starting a cluster is the user's business::

    from dask.distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=4, threads_per_worker=1)   # one machine, 4 processes
    client = Client(cluster)
    # or a running cluster: client = Client("tcp://scheduler-host:8786")
    # (start it with `dask scheduler` and `dask worker tcp://scheduler-host:8786 --nthreads 1`)

    from embedkit import Word2Vec
    model = Word2Vec(epochs=5, random_state=0).fit("corpus.txt", client=client)

or, one level down, with what :func:`embedkit.engine.train` takes::

    from embedkit.distributed import fit_distributed
    W, C, history, vocab, *_ = fit_distributed(generator, sampler, config, seed=0,
                                               client=client)

All workers must be able to import embedkit and read the training files at the same path.
"""

from __future__ import annotations

import logging
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from embedkit.contexts.base import ContextGenerator
from embedkit.distributed.prepare import (
    CACHE_BYTES,
    DistributedFit,
    epoch_stats,
    finish_run,
    prepare_run,
)
from embedkit.distributed.tasks import I_GEN, I_TASK, I_TRAIN, clear_run, init_block, train_cell
from embedkit.engine.params import N_STATS, STAT_LOSS, STAT_PAIRS
from embedkit.engine.train import EngineConfig, EpochStats
from embedkit.samplers.base import NegativeSampler

__all__ = ["fit_distributed", "RoundStats", "make_generator", "DistributedFit", "CACHE_BYTES"]

logger = logging.getLogger("embedkit")


@dataclass
class RoundStats:
    """What one round (K cells in parallel) did, as reported to the progress bar/callback."""

    epoch: int
    round: int  # within the epoch: 0 .. sub_epochs * K - 1
    pairs: int
    loss: float
    seconds: float  # wall time of the round on the client
    train_seconds: float  # slowest cell's kernel time
    gen_seconds: float  # slowest cell's time reading/generating sequences
    other_seconds: float  # seconds - busiest worker's task time: moving blocks, scheduling

    @property
    def pairs_per_second(self) -> float:
        return self.pairs / self.seconds if self.seconds > 0 else float("nan")


def make_generator(estimator, data) -> ContextGenerator:
    """The context generator ``estimator.fit(data)`` would train on.

    Every embedkit estimator provides a public ``make_generator(data)``.
    """
    make = getattr(estimator, "make_generator", None)
    if not callable(make):
        raise TypeError(
            f"{type(estimator).__name__} does not say how to build its context generator; "
            "give it a make_generator(data) method"
        )
    return make(data)


def fit_distributed(
    generator: ContextGenerator,
    sampler: NegativeSampler | None = None,
    config: EngineConfig | None = None,
    *,
    seed: int | None = None,
    client,
    min_count: int = 1,
    max_vocab_size: int | None = None,
    subsample: float = 1e-3,
    threads: int | None = None,
    progress: bool = True,
    unit: str = "word",
    blocks: int | None = None,
    shards: int | None = None,
    sub_epochs: int | None = None,
    cache_bytes: int = CACHE_BYTES,
    callback: Callable[[RoundStats], None] | None = None,
    **legacy,
):
    """Train SGNS vectors on a Dask cluster by block rotation.

    Takes what :func:`embedkit.engine.train` takes (a context generator, a negative sampler, an
    :class:`~embedkit.engine.EngineConfig` and a seed) plus the client, and returns what it
    returns, ``(W, C, history)``, followed by the vocabulary (counted on the cluster, so the
    vocabulary options are given here) and the block plan, as a :class:`DistributedFit`.
    Estimators call it for ``fit(data, client=...)``.

    Parameters
    ----------
    generator : ContextGenerator
        The data. A generator that is :class:`~embedkit.contexts.base.Shardable` is counted and
        streamed shard by shard; any other trains as one shard. Files must be readable at the
        same path on every worker.
    sampler : NegativeSampler
        A frequency-based sampler (unigram, uniform) whose weights can be split into blocks.
    config : EngineConfig
        Skip-gram with negative sampling only (``check_objective(..., distributed=True)``).
    seed : int
        Seed of every random stream; the result depends only on it, K and the sharding.
    client : dask.distributed.Client
    min_count, max_vocab_size, subsample
        Vocabulary options (as :meth:`ContextGenerator.build_vocab`).
    threads : int, optional
        Threads per cell task (default 1, which keeps the result reproducible; more threads
        race as on one machine).
    progress : bool, default True
        Show a progress bar of rounds.
    unit : str, default "word"
        What a token is, for the log ("word", "node", "k-mer").
    blocks : int, optional
        Number of vocabulary blocks K (default: the number of workers). An epoch is K rounds
        of K cells; the result depends on K and ``seed`` only. K = 1 reproduces
        single-process training with ``threads=1`` bit for bit.
    shards : int, optional
        Number of data shards for counting and streaming (default: about one per 64M raw
        tokens or bases, one per file of a :class:`~embedkit.distributed.TextFiles`; k-mer
        data is cut into contiguous record ranges). Changing it changes the random streams,
        hence the result.
    sub_epochs : int, optional
        Cut every epoch into this many contiguous slices of the stream, each a full rotation
        of K rounds, so that a row's updates against the different blocks interleave finely,
        as on one machine. Default: 4 (1 when K = 1). With one slice per epoch a row meets
        the blocks one after another for a whole epoch, which costs quality with few epochs
        (WordSim-353 0.27 instead of 0.32 at K = 2 and 2 epochs on the 7M-token corpus;
        4 slices give 0.31). More slices mean more rounds and block moves (each W block moves
        ``sub_epochs * K`` times per epoch), not more training. Part of the result's identity.
    cache_bytes : int, default 512 MiB
        Per-worker budget for caching encoded sequence batches (0 disables the cache: every
        cell then re-reads and re-encodes its data).
    callback : callable, optional
        Called with a :class:`RoundStats` after every round.

    Returns
    -------
    DistributedFit
        ``(W, C, history, vocab, plan, partitions, vocab_seconds)``.

    Raises
    ------
    TypeError
        If ``client`` is not a ``dask.distributed.Client``.
    ValueError
        If ``blocks < 1`` or exceeds the vocabulary size, for CBOW, or for an objective or
        sampler without a distributed form.

    Notes
    -----
    The older form ``fit_distributed(estimator, data, client=..., ...)`` still works: it is
    ``estimator.fit(data, client=..., ...)``, which sets the estimator's fitted attributes and
    returns it.

    Examples
    --------
    >>> from dask.distributed import Client, LocalCluster  # doctest: +SKIP
    >>> from embedkit import Word2Vec
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> sents = [["the", "cat", "sat"], ["the", "dog", "sat"]] * 50
    >>> model = Word2Vec(dim=8, min_count=1, random_state=0, progress=False).fit(
    ...     sents, client=client, blocks=2)  # doctest: +SKIP
    >>> model.embeddings_["cat"].shape  # doctest: +SKIP
    (8,)
    """
    if not isinstance(generator, ContextGenerator) and callable(getattr(generator, "fit", None)):
        # fit_distributed(estimator, data, client=..., ...): the estimator's own fit
        options = {"blocks": blocks, "shards": shards, "sub_epochs": sub_epochs,
                   "cache_bytes": cache_bytes, "callback": callback, **legacy}
        return generator.fit(sampler, client=client, **options)
    if legacy:
        raise TypeError(f"unexpected keyword arguments {sorted(legacy)}")
    if sampler is None or config is None or seed is None:
        raise TypeError("fit_distributed needs a sampler, an EngineConfig and a seed")
    if sub_epochs is not None and (not isinstance(sub_epochs, (int, np.integer))
                                   or isinstance(sub_epochs, bool) or sub_epochs < 1):
        raise ValueError(f"sub_epochs must be a positive int or None, got {sub_epochs!r}")
    prep = prepare_run(generator, sampler, config, seed=seed, client=client,
                       min_count=min_count, max_vocab_size=max_vocab_size, subsample=subsample,
                       blocks=blocks, shards=shards, cache_bytes=cache_bytes, threads=threads,
                       unit=unit)
    config, plan, run, workers = prep.config, prep.plan, prep.run, prep.workers
    R = (1 if plan.n_blocks == 1 else 4) if sub_epochs is None else int(sub_epochs)
    wpe = prep.words_per_epoch
    slices = [(wpe * r / R if r else 0.0, wpe * (r + 1) / R if r < R - 1 else np.inf)
              for r in range(R)]
    K, nw = plan.n_blocks, len(workers)
    n, dim = len(prep.vocab), config.dim

    def where(k: int) -> dict:
        return {"workers": [workers[k % nw]], "allow_other_workers": True}

    W_f = [client.submit(init_block, n, dim, prep.seed, *plan.block(i), False,
                         key=f"embedkit-W-{run}-init-{i}", **where(i)) for i in range(K)]
    C_f = [client.submit(init_block, n, dim, prep.seed, *plan.block(j), True,
                         key=f"embedkit-C-{run}-init-{j}", **where(j)) for j in range(K)]
    info_f: list[list] = []
    for epoch in range(config.epochs):
        for r, (lo, hi) in enumerate(slices):
            for s in range(K):
                infos = []
                for k in range(K):
                    i, j = plan.cell(k, s)
                    tag = f"{run}-e{epoch}-x{r}-r{s}-k{k}"
                    cell = client.submit(train_cell, W_f[i], C_f[j], prep.ctx, epoch, i, j,
                                         0, 1, lo, hi, key=f"embedkit-cell-{tag}", **where(k))
                    W_f[i] = client.submit(operator.itemgetter(0), cell,
                                           key=f"embedkit-W-{tag}", **where(k))
                    C_f[j] = client.submit(operator.itemgetter(1), cell,
                                           key=f"embedkit-C-{tag}", **where(k))
                    infos.append(client.submit(operator.itemgetter(2), cell,
                                               key=f"embedkit-info-{tag}", **where(k)))
                info_f.append(infos)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.epochs * R * K, unit="round", desc=f"embedkit K={K}",
                   leave=False)
    history: list[EpochStats] = []
    try:
        t_round = t_epoch = time.perf_counter()
        epoch_infos: list[np.ndarray] = []
        rounds: list[RoundStats] = []
        for r, infos in enumerate(info_f):
            epoch, s = divmod(r, K * R)
            got = client.gather(infos)
            now = time.perf_counter()
            tot = np.sum([g[:N_STATS] for g in got], axis=0)
            pairs = int(tot[STAT_PAIRS])
            rs = RoundStats(
                epoch=epoch, round=s, pairs=pairs,
                loss=float(tot[STAT_LOSS] / pairs) if pairs and config.compute_loss
                else float("nan"),
                seconds=now - t_round,
                train_seconds=max(g[I_TRAIN] for g in got),
                gen_seconds=max(g[I_GEN] for g in got),
                other_seconds=max(0.0, now - t_round - _busiest(got, nw)),
            )
            t_round = now
            rounds.append(rs)
            epoch_infos.extend(got)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(epoch=epoch + 1, loss=f"{rs.loss:.4f}",
                                pairs_s=f"{rs.pairs_per_second:.3g}",
                                train_s=f"{rs.train_seconds:.2f}",
                                read_s=f"{rs.gen_seconds:.2f}",
                                move_s=f"{rs.other_seconds:.2f}",
                                refresh=False)
            if callback is not None:
                callback(rs)
            if s == K * R - 1:
                mine = rounds[-K * R:]
                extra = {
                    "blocks": K,
                    "sub_epochs": R,
                    "train_seconds": sum(x.train_seconds for x in mine),
                    "gen_seconds": sum(x.gen_seconds for x in mine),
                    "other_seconds": sum(x.other_seconds for x in mine),
                    "rounds": mine,
                }
                st = epoch_stats(epoch, epoch_infos, now - t_epoch, config.compute_loss, extra,
                                  K * K)
                if st.raw_words == 0:
                    raise ValueError("the context generator produced no tokens to train on")
                history.append(st)
                logger.info("epoch %d: loss %.4f, %d pairs, %.1fs (train %.1fs, other %.1fs)",
                            epoch + 1, st.loss, st.pairs, st.seconds, extra["train_seconds"],
                            extra["other_seconds"])
                t_epoch, epoch_infos = now, []
        W = np.concatenate(client.gather(W_f), axis=0)
        C = np.concatenate(client.gather(C_f), axis=0)
    finally:
        if bar is not None:
            bar.close()
        # dropping the futures releases every block on the cluster
        info_f.clear()
        W_f.clear()
        C_f.clear()
        client.run(clear_run, run)
    return finish_run(prep, W, C, history, plan=plan)


def _busiest(infos: list[np.ndarray], n_workers: int) -> float:
    """Task seconds of the busiest worker in a round (cell k runs on worker k mod n)."""
    load = np.zeros(n_workers)
    for k, info in enumerate(infos):
        load[k % n_workers] += info[I_TASK]
    return float(load.max())
