"""In-process block training: threads that never write the same rows (``parallel="blocks"``).

Hogwild threads (word2vec.c, gensim, our default) update one shared pair of matrices without
locks. When the vocabulary is small, as for k-mers (4^k rows), every row is hot in every
thread, and most of the rows a thread touches were last written by another core: each such
cache line must travel between cores before it can be used. On the 2-core benchmark host this
made two threads *slower* than one (E. coli 6-mers: 3.7-4.0 s with 2 threads against 3.2 s
with 1) whenever cross-core transfers were slow, while two independent one-thread processes ran
at full speed side by side.

Block training removes the sharing. The vocabulary is cut into K = ``threads`` blocks of equal
kept token mass (:func:`embedkit.engine.block_plan.plan_blocks`), and every batch is trained
in K rounds of K cells: in round r, thread q trains cell ``(input block (q + r) mod K, output
block q)``, i.e. the pairs whose context lies in the input block and whose centre lies in the
output block, with negatives drawn from the output block and reweighted (``neg_scale``) so that
an epoch's expected update is unchanged. The cells of a round hold disjoint rows of both
matrices, so nothing is shared, nothing is locked, and the result does not depend on how the
threads are scheduled: **with ``parallel="blocks"`` the same ``random_state`` and the same
number of threads give bit-identical vectors** (Hogwild guarantees that for one thread only).

It is the distributed block rotation (:mod:`embedkit.distributed`) on one machine, with the
same cell kernels (:mod:`embedkit.engine.cells`): each batch's subsample and reduced
windows are drawn once, exactly as the one-thread kernel draws them, every pair of the batch
is trained exactly once, and a rotation per batch keeps every row meeting all blocks often.
With one block it is the one-thread computation bit for bit.

It needs skip-gram with negative sampling and a sampler whose negatives come from a fixed
distribution (``unigram``, ``uniform``): hard and spelling-aware samplers score or list
candidates across the whole vocabulary, and CBOW updates many input rows per window.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from embedkit.engine.block_plan import plan_blocks
from embedkit.engine.cells import MAX_WINDOW, prepare_batch, train_cell_serial
from embedkit.engine.negatives import plain_tables
from embedkit.engine.objectives import get_objective, kernel_mode
from embedkit.engine.params import (
    N_STATS,
    STAT_LOSS,
    STAT_NEG_SIGMOID,
    STAT_PAIRS,
    STAT_TERMS,
    STAT_WORDS,
    Batch,
    KernelParams,
)
from embedkit.samplers.base import SamplerTables, alias_probabilities, make_tables

__all__ = ["AUTO_BLOCK_ROWS", "PARALLEL_MODES", "BlockTrainer", "block_obstacle"]

#: Values of the estimators' ``parallel`` parameter.
PARALLEL_MODES = ("auto", "hogwild", "blocks")

#: ``parallel="auto"`` trains in blocks when negatives are drawn per pair and the vocabulary
#: has at most this many rows (and more than one thread, and a configuration blocks support),
#: Hogwild otherwise. Per pair, every pair writes k + 1 output rows, and below this size every
#: row is hot in every thread: on E. coli 6-mers (4,096 rows, 2 threads, a quiet 2-core host)
#: Hogwild took 4.4-13.5 s (one thread: 5.7 s) and blocks 3.2-3.5 s. Shared negatives write
#: output rows once per window, and there blocks cost text quality (WordSim-353 0.300 against
#: 0.338, bundled corpus); above the size rows are rarely shared at the same moment.
AUTO_BLOCK_ROWS = 65_536


def block_obstacle(params: KernelParams, objective: str, tables: SamplerTables,
                   refresh_every) -> str | None:
    """Why block training cannot run this configuration (``None``: it can)."""
    if not params.sg or not get_objective(objective).blocks:
        return "needs skip-gram with negative sampling (sg=True, objective='ns')"
    if not plain_tables(tables) or refresh_every is not None:
        return ("needs a sampler that draws from a fixed distribution (unigram, uniform); "
                "this one scores or lists candidates across the vocabulary")
    if params.window > MAX_WINDOW:
        return f"supports windows up to {MAX_WINDOW}"
    return None


class BlockTrainer:
    """Trains batches by in-process block rotation over ``n_blocks`` threads.

    Parameters
    ----------
    counts, keep_prob : ndarray (n,)
        Vocabulary counts (ids sorted by descending count) and subsampling keep probabilities.
    tables : SamplerTables
        The whole vocabulary's (plain alias) sampler tables; each block samples the same
        distribution restricted to its ids.
    params : KernelParams
    n_blocks : int
        K, also the number of threads.
    """

    def __init__(self, counts: np.ndarray, keep_prob: np.ndarray, tables: SamplerTables,
                 params: KernelParams, n_blocks: int) -> None:
        noise = alias_probabilities(tables.alias_prob, tables.alias_idx)
        self.plan = plan_blocks(counts, keep_prob, noise, n_blocks)
        self.n_blocks = n_blocks
        self.block_of = np.repeat(np.arange(n_blocks, dtype=np.int32), self.plan.sizes())
        self.params = params
        self.mode = kernel_mode(params, tables)
        self.keep_prob = keep_prob
        # one block samples from the given tables themselves (an alias table rebuilt from its
        # probabilities is laid out differently, and would draw other negatives)
        self.tables = [tables] if n_blocks == 1 else [
            make_tables(noise[slice(*self.plan.block(b))]) for b in range(n_blocks)]
        self.cell_params = {}
        for i in range(n_blocks):
            in_lo, in_hi = self.plan.block(i)
            for j in range(n_blocks):
                out_lo, out_hi = self.plan.block(j)
                self.cell_params[i, j] = params._replace(
                    in_lo=in_lo, in_hi=in_hi, out_lo=out_lo, out_hi=out_hi,
                    neg_scale=float(self.plan.neg_scale[j]))
        self._pool = ThreadPoolExecutor(n_blocks, thread_name_prefix="embedkit-block")

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def train_batch(self, W: np.ndarray, C: np.ndarray, ids: np.ndarray, offsets: np.ndarray,
                    bounds: np.ndarray, chunk_pos: np.ndarray, pos_scale: float,
                    states: np.ndarray) -> np.ndarray:
        """Train one batch (as :func:`embedkit.engine.kernels.train_chunks` would); its stats.

        Returns the batch's totals (``N_STATS``): loss, terms, pairs, kept words, negatives'
        summed sigmoid.
        """
        K = self.n_blocks
        batch = Batch(ids, offsets, bounds, chunk_pos, float(pos_scale), self.keep_prob)
        prep = prepare_batch(batch, self.block_of, K, self.params, states.copy())
        n_chunks = bounds.size - 1

        def cell(in_block: int, out_block: int) -> np.ndarray:
            in_lo, in_hi = self.plan.block(in_block)
            out_lo, out_hi = self.plan.block(out_block)
            stats = np.zeros((n_chunks, N_STATS), dtype=np.float64)
            # every cell starts from the chunks' streams, as on one machine (the negative
            # streams; the token streams were used by prepare_batch)
            train_cell_serial(self.mode, (W[in_lo:in_hi], C[out_lo:out_hi]), prep, out_block, K,
                              self.cell_params[in_block, out_block], self.tables[out_block],
                              states.copy(), stats)
            return stats.sum(axis=0)

        totals = np.zeros(N_STATS, dtype=np.float64)
        for r in range(K):
            # round r: thread q trains (input block (q + r) mod K, output block q); the
            # cells of a round share no rows, and the round ends before the next starts
            for got in self._pool.map(cell, [(q + r) % K for q in range(K)], range(K)):
                for col in (STAT_LOSS, STAT_TERMS, STAT_PAIRS, STAT_NEG_SIGMOID):
                    totals[col] += got[col]
        totals[STAT_WORDS] = prep.kept.size
        return totals
