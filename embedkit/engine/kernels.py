"""The engine's kernels, as Python sees them: one call trains a batch under an objective.

The Numba code is split by concern:

* :mod:`~embedkit.engine.params`: settings, statistics columns, batch and scratch records;
* :mod:`~embedkit.engine.rows`: dot products and row updates;
* :mod:`~embedkit.engine.loss`: the exact loss and the (vectorised) gradient scales;
* :mod:`~embedkit.engine.negatives`: drawing negatives from a sampler's tables;
* :mod:`~embedkit.engine.sgns` and :mod:`~embedkit.engine.softmax`: the window updates;
* :mod:`~embedkit.engine.stream`: the chunk loop every objective shares (subsampling, learning
  rate, reduced windows) and the parallel entry point;
* :mod:`~embedkit.engine.modes` and :mod:`~embedkit.engine.objectives`: which code a
  configuration runs. Only that code compiles.
"""

from __future__ import annotations

import numpy as np

from embedkit.engine.objectives import get_objective
from embedkit.engine.params import (
    FASTMATH,
    N_STATS,
    STAT_LOSS,
    STAT_NEG_SIGMOID,
    STAT_PAIRS,
    STAT_TERMS,
    STAT_WORDS,
    Batch,
    KernelParams,
)

__all__ = ["FASTMATH", "KernelParams", "N_STATS", "STAT_LOSS", "STAT_NEG_SIGMOID", "STAT_PAIRS",
           "STAT_TERMS", "STAT_WORDS", "train_chunks"]


def train_chunks(W: np.ndarray, C: np.ndarray, ids: np.ndarray, offsets: np.ndarray,
                 chunk_seq: np.ndarray, chunk_pos: np.ndarray, pos_scale: float,
                 keep_prob: np.ndarray, params: KernelParams, tables, states: np.ndarray,
                 stats: np.ndarray, objective: str = "ns") -> None:
    """Train every chunk of a batch under ``objective``; chunks run in parallel.

    Parameters
    ----------
    W, C : float32 (n, d)
        Input and output vectors, updated in place.
    ids, offsets : int32, int64
        The batch (CSR of id sequences).
    chunk_seq : int64 (n_chunks + 1,)
        Chunk ``c`` covers sequences ``chunk_seq[c]:chunk_seq[c + 1]``.
    chunk_pos : float64 (n_chunks,)
        Raw-token position of each chunk's start in the whole run (drives the lr schedule).
    pos_scale : float
        Raw tokens per id in this batch (``n_raw / len(ids)``).
    keep_prob : float32 (n,)
    params : KernelParams
    tables : SamplerTables
    states : uint64 (2 * n_chunks,)
        Two xorshift states per chunk (tokens, negatives; see :func:`embedkit.rng.engine_states`),
        advanced in place.
    stats : float64 (n_chunks, N_STATS)
        Per-chunk loss, loss terms, pairs, kept words and summed sigmoid of negatives.
    objective : str
        ``"ns"`` (negative sampling), ``"softmax"`` or ``"nce"``.
    """
    batch = Batch(ids, offsets, chunk_seq, chunk_pos, float(pos_scale), keep_prob)
    get_objective(objective).run(W, C, batch, params, tables, states, stats)
