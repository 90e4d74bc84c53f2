"""The negative-sampler contract: samplers compile to tables that one engine kernel consumes.

A sampler never runs inside the kernel as Python code. It turns the vocabulary (and, for samplers
that look at the model, the current vectors) into a :class:`SamplerTables`:

* a Vose alias table for the *base* distribution, drawn in O(1);
* optional per-token candidate lists (CSR, indexed by the positive target id) with a mixing
  weight ``cand_mix``: each negative comes from the target's candidates with probability
  ``cand_mix`` and from the base distribution otherwise;
* an optional *pool*: draw ``pool`` base candidates and keep the one the current model scores
  highest (``temperature == 0``) or sample one with probability proportional to
  ``exp(score / temperature)``; with probability ``1 - pool_mix`` a plain base draw is used
  instead (mixing limits the bias of hard negatives);
* optional per-token *exclusion* lists (CSR, indexed by the positive target id): a negative on
  the target's list is rejected and redrawn (e.g. spelling variants, known co-occurring pairs);
* ``exclude_window``: reject a negative that is a true context in the current window.

A rejected negative is redrawn up to 8 times and then skipped (masked out of the update).

Whatever a user can express as these tables plugs in without touching a kernel.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np

from embedkit.alias import alias_probabilities, build_alias_table, build_alias_tables, vose_fill
from embedkit.vocab import Vocab

__all__ = [
    "SamplerTables",
    "ModelState",
    "NegativeSampler",
    "build_alias_table",
    "alias_probabilities",
    "make_tables",
    "vose_fill",
]


class SamplerTables(NamedTuple):
    """Data the training kernel draws negatives from (see module docstring)."""

    alias_prob: np.ndarray  # float64 (n,)
    alias_idx: np.ndarray  # int32 (n,)
    cand_indptr: np.ndarray  # int64 (n + 1,), or (1,) == [0] when there are no candidates
    cand_ids: np.ndarray  # int32 (nnz,)
    cand_mix: float  # probability of drawing from the target's candidates
    pool: int  # >= 1; 1 means a plain draw
    temperature: float  # 0 -> argmax of the pool
    exclude_window: bool  # reject negatives equal to a context in the current window
    excl_indptr: np.ndarray  # int64 (n + 1,), or (1,) == [0] when there are no exclusions
    excl_ids: np.ndarray  # int32 (nnz,), each row sorted ascending
    pool_mix: float = 1.0  # probability that a negative is pool-picked (when pool > 1)
    # Shared candidate rows: target -> row of the candidate CSR (int32 (n,)); empty: row = target
    cand_row: np.ndarray = np.zeros(0, dtype=np.int32)
    # Weighted candidate rows: per-entry alias probability (float64) and alias position inside
    # the row (int32), aligned with cand_ids; empty: uniform within the row
    cand_prob: np.ndarray = np.zeros(0, dtype=np.float64)
    cand_alias: np.ndarray = np.zeros(0, dtype=np.int32)


class ModelState(NamedTuple):
    """Read-only view of the model a sampler may score with."""

    vectors: np.ndarray  # input vectors W (n, d)
    context_vectors: np.ndarray  # output vectors C (n, d)


@runtime_checkable
class NegativeSampler(Protocol):
    """A pluggable negative sampler.

    Attributes
    ----------
    refresh_every : int or None
        Rebuild the tables after this many raw tokens (``None``: build once before training).
    """

    refresh_every: int | None

    def tables(self, vocab: Vocab, model: ModelState | None = None) -> SamplerTables:
        """Compile the sampler for ``vocab`` (and optionally the current model)."""
        ...


def make_tables(
    base_weights: np.ndarray,
    *,
    cand_indptr: np.ndarray | None = None,
    cand_ids: np.ndarray | None = None,
    cand_mix: float = 0.0,
    pool: int = 1,
    temperature: float = 0.0,
    exclude_window: bool = False,
    excl_indptr: np.ndarray | None = None,
    excl_ids: np.ndarray | None = None,
    pool_mix: float = 1.0,
    cand_row: np.ndarray | None = None,
    cand_weights: np.ndarray | None = None,
) -> SamplerTables:
    """Validate inputs and assemble a :class:`SamplerTables`.

    Candidate lists are CSR rows (``cand_indptr``, ``cand_ids``), one per vocabulary id, or,
    with ``cand_row`` (one row number per id, -1 for none), rows shared by many ids (e.g. one
    per node type). ``cand_weights`` (one per entry, >= 0, each row's sum > 0) draws within a
    row in proportion to the weights (per-row alias tables) instead of uniformly.
    """
    prob, alias = build_alias_table(base_weights)
    n = prob.size
    if cand_indptr is None:
        cand_indptr = np.zeros(1, dtype=np.int64)
        cand_ids = np.zeros(0, dtype=np.int32)
        if cand_mix:
            raise ValueError("cand_mix > 0 needs candidate lists")
    else:
        rows = n
        if cand_row is not None:
            cand_row = np.array(cand_row, dtype=np.int64)
            rows = np.asarray(cand_indptr).size - 1
            if cand_row.shape != (n,) or (cand_row.size and (cand_row.min() < -1
                                                              or cand_row.max() >= rows)):
                raise ValueError(f"cand_row must hold one row number in -1..{rows - 1} per "
                                 "vocabulary id")
            cand_row = cand_row.astype(np.int32)
        cand_indptr, cand_ids = _check_csr("candidate", cand_indptr, cand_ids, n, rows=rows)
    cand_prob = np.zeros(0, dtype=np.float64)
    cand_alias = np.zeros(0, dtype=np.int32)
    if cand_weights is not None:
        cand_prob, cand_alias = _row_alias_tables(cand_indptr, cand_weights, cand_ids.size)
    excl_indptr, excl_ids = _check_csr("exclusion", excl_indptr, excl_ids, n)
    if excl_ids.size:  # rows sorted so the kernel can binary-search them
        for r in range(n):
            row = excl_ids[excl_indptr[r]:excl_indptr[r + 1]]
            row.sort()
    if not 0.0 <= cand_mix <= 1.0:
        raise ValueError(f"cand_mix must be in [0, 1], got {cand_mix}")
    if pool < 1:
        raise ValueError(f"pool must be >= 1, got {pool}")
    if not 0.0 <= pool_mix <= 1.0:
        raise ValueError(f"pool_mix must be in [0, 1], got {pool_mix}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    return SamplerTables(
        prob, alias, cand_indptr, cand_ids, float(cand_mix), int(pool), float(temperature),
        bool(exclude_window), excl_indptr, excl_ids, float(pool_mix),
        np.zeros(0, dtype=np.int32) if cand_row is None else cand_row, cand_prob, cand_alias,
    )


def _row_alias_tables(indptr: np.ndarray, weights, size: int) -> tuple[np.ndarray, np.ndarray]:
    w = np.array(weights, dtype=np.float64)
    if w.shape != (size,) or not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("cand_weights must be finite, >= 0, one per candidate entry")
    sums = np.add.reduceat(w, indptr[:-1]) if w.size else np.zeros(0)
    nonempty = np.diff(indptr) > 0
    if (sums[nonempty[: sums.size]] <= 0).any():
        raise ValueError("every non-empty candidate row needs a positive weight")
    return build_alias_tables(indptr, w)


def _check_csr(what: str, indptr, ids, n: int, rows: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    if indptr is None:
        return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32)
    indptr = np.array(indptr, dtype=np.int64)
    ids = np.array(ids, dtype=np.int32)
    rows = n if rows is None else rows
    if indptr.size != rows + 1 or indptr[0] != 0 or indptr[-1] != ids.size:
        count = "n + 1" if rows == n else f"{rows} + 1"
        raise ValueError(f"{what} indptr must have {count} entries from 0 to len(ids)")
    if np.any(np.diff(indptr) < 0):
        raise ValueError(f"{what} indptr must be non-decreasing")
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        raise ValueError(f"{what} ids must be valid vocabulary ids")
    return indptr, ids
