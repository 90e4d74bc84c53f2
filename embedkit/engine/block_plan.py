"""Vocabulary blocks for block-rotation training, and the negative-sampling correction.

The vocabulary (ids sorted by descending count) is cut into K contiguous id ranges. Cell
``(i, j)`` trains the skip-gram pairs whose input (context) id lies in block ``i`` and whose
output (centre) id lies in block ``j``; it holds only rows ``i`` of the input vectors and rows
``j`` of the output vectors, and draws its negatives from block ``j`` alone.

Block boundaries
----------------
The work of a cell is proportional to the pairs it trains. A pair's two ends are (nearly)
independent draws from the *kept* tokens (after frequent-token subsampling), so the pairs of cell
``(i, j)`` are about ``N * M_i * M_j`` with ``M_b`` the share of kept token mass in block ``b``:

    M_b = sum_{w in b} count(w) * keep_prob(w) / sum_w count(w) * keep_prob(w).

Equal kept mass per block (``M_b = 1/K``) therefore gives every cell, and so every task of a
round, the same number of pairs: a round is as slow as its slowest cell, so this is what
balances the rounds. (Equal row counts would instead put almost all pairs into block 0, the
frequent words.) The price is that blocks hold very different numbers of rows: the head block
holds a few frequent words and the tail block most of the vocabulary, so memory and
communication per block are unequal. See ``docs/scaling.md``.

Negative-sampling correction
----------------------------
One machine draws the k negatives of every pair from the global noise distribution
``q(v) = w(v) / sum w`` (``w = count^alpha``). A cell can only draw from its output block
``j``; it uses the block's own alias table, i.e. ``q(v | j) = q(v) / Q_j`` with
``Q_j = sum_{v in j} q(v)``, so *within* a block the shape is already right. What changes is
how often each block is sampled: on one machine block ``j`` receives a share ``Q_j`` of all
negatives, under block rotation it receives the negatives of the pairs whose centre is in
``j``, a share ``P_j`` of all pairs. Scaling the negative gradients of cell ``(., j)`` by

    s_j = Q_j / P_j        (``neg_scale`` of the kernel)

restores the first moment of the update over an epoch:

* output row ``v`` in block ``j``: one machine gives it ``N k q(v)`` negative updates; rotation
  gives ``N P_j k (q(v) / Q_j) s_j = N k q(v)``, exactly;
* input row ``c``: one machine pulls it away from block ``j`` with weight ``N_c k Q_j``; rotation
  with ``N_c P(j | c) k s_j``, which equals it when a context's centres follow the global
  centre distribution (``P(j | c) = P_j``), the usual independence approximation.

``P_j`` is estimated by the kept mass ``M_j`` (every kept centre forms the same expected number of
pairs). With equal-mass blocks ``s_j = K Q_j``; for ``alpha < 1`` the noise is flatter than the
token distribution, so the head block gets ``s < 1`` and the tail block ``s > 1``. With K = 1,
``s = 1`` and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BlockPlan", "block_bounds", "negative_scales", "plan_blocks"]


def block_bounds(mass: np.ndarray, n_blocks: int) -> np.ndarray:
    """Cut ids ``0..n-1`` into ``n_blocks`` contiguous ranges of about equal ``mass``.

    Parameters
    ----------
    mass : ndarray of float (n,)
        Non-negative work of each id (e.g. kept token mass ``count * keep_prob``).
    n_blocks : int
        Number of blocks K, ``1 <= K <= n``.

    Returns
    -------
    ndarray of int64 (K + 1,)
        Block ``b`` is ``bounds[b]:bounds[b + 1]``; every block holds at least one id.

    Examples
    --------
    >>> block_bounds(np.array([4.0, 2, 1, 1]), 2).tolist()
    [0, 1, 4]
    """
    mass = np.asarray(mass, dtype=np.float64).reshape(-1)
    n = mass.size
    if not isinstance(n_blocks, (int, np.integer)) or isinstance(n_blocks, bool):
        raise TypeError(f"blocks must be an int, got {type(n_blocks).__name__}")
    if n_blocks < 1:
        raise ValueError(f"blocks must be >= 1, got {n_blocks}")
    if n_blocks > n:
        raise ValueError(f"blocks ({n_blocks}) must not exceed the vocabulary size ({n})")
    if np.any(mass < 0) or not np.all(np.isfinite(mass)):
        raise ValueError("block mass must be finite and non-negative")
    cum = np.cumsum(mass)
    total = cum[-1] if n else 0.0
    bounds = np.zeros(n_blocks + 1, dtype=np.int64)
    bounds[-1] = n
    for b in range(1, n_blocks):
        # first id after which the cumulative mass reaches b/K of the total
        cut = int(np.searchsorted(cum, total * b / n_blocks, side="left")) + 1
        # keep every block non-empty: leave room for the blocks still to come
        bounds[b] = min(max(cut, bounds[b - 1] + 1), n - (n_blocks - b))
    return bounds


def negative_scales(noise_weights: np.ndarray, pair_mass: np.ndarray,
                    bounds: np.ndarray) -> np.ndarray:
    """Per-output-block negative gradient weights ``s_j = Q_j / P_j`` (see module docs).

    Examples
    --------
    >>> negative_scales(np.array([1.0, 1, 1, 1]), np.array([5.0, 1, 1, 1]), np.array([0, 1, 4]))
    array([0.4, 2. ])
    """
    w = np.asarray(noise_weights, dtype=np.float64)
    m = np.asarray(pair_mass, dtype=np.float64)
    q = np.add.reduceat(w, bounds[:-1]) / w.sum()
    p = np.add.reduceat(m, bounds[:-1]) / m.sum()
    return q / np.maximum(p, 1e-300)


@dataclass(frozen=True)
class BlockPlan:
    """K contiguous vocabulary blocks and the negative weight of each output block.

    Attributes
    ----------
    bounds : ndarray of int64 (K + 1,)
    neg_scale : ndarray of float64 (K,)
        ``s_j``; all ones when K = 1.
    noise_share, pair_share : ndarray of float64 (K,)
        ``Q_j`` and ``P_j`` (diagnostics).
    """

    bounds: np.ndarray
    neg_scale: np.ndarray
    noise_share: np.ndarray
    pair_share: np.ndarray

    @property
    def n_blocks(self) -> int:
        return int(self.bounds.size - 1)

    def block(self, b: int) -> tuple[int, int]:
        """``(lo, hi)`` id range of block ``b``."""
        return int(self.bounds[b]), int(self.bounds[b + 1])

    def sizes(self) -> np.ndarray:
        return np.diff(self.bounds)

    def cell(self, worker: int, round_: int) -> tuple[int, int]:
        """``(input block, output block)`` trained by task ``worker`` in round ``round_``.

        Task k keeps output block k and receives input block ``(k + s) mod K``: in a round
        every input block and every output block is used exactly once, so no two tasks write
        the same rows, and over K rounds every cell is trained once.
        """
        K = self.n_blocks
        return (worker + round_) % K, worker


def plan_blocks(counts: np.ndarray, keep_prob: np.ndarray, noise_weights: np.ndarray,
                n_blocks: int) -> BlockPlan:
    """Equal-kept-mass blocks and their negative weights.

    Parameters
    ----------
    counts, keep_prob : ndarray (n,)
        Vocabulary counts and subsampling keep probabilities.
    noise_weights : ndarray (n,)
        Unnormalised noise distribution (``count ** alpha``).
    n_blocks : int

    Examples
    --------
    >>> plan = plan_blocks(np.array([8, 4, 2, 2]), np.ones(4), np.ones(4), 2)
    >>> plan.bounds.tolist(), plan.neg_scale.tolist()
    ([0, 1, 4], [0.5, 1.5])
    """
    mass = np.asarray(counts, dtype=np.float64) * np.asarray(keep_prob, dtype=np.float64)
    bounds = block_bounds(mass, n_blocks)
    w = np.asarray(noise_weights, dtype=np.float64)
    q = np.add.reduceat(w, bounds[:-1]) / w.sum()
    p = np.add.reduceat(mass, bounds[:-1]) / max(mass.sum(), 1e-300)
    scale = np.ones(1) if n_blocks == 1 else negative_scales(w, mass, bounds)
    return BlockPlan(bounds, scale, q, p)
