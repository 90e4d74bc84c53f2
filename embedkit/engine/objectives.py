"""Training objectives and what each supports, in one place.

Every objective is an :class:`Objective` record: its name, the window update it runs (a marker
of :mod:`embedkit.engine.modes`, resolved by :mod:`embedkit.engine.stream`), and what it
supports. Estimators, the in-process block trainer, the distributed trainer and the CLI all ask
these records (:func:`get_objective`, :meth:`Objective.obstacle`) instead of deciding alone.
Adding an objective is a window function with a marker (one module), one line in
:data:`embedkit.engine.stream.WINDOWS` and one record here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from embedkit.engine.modes import (
    Cbow,
    Locked,
    Mode,
    Nce,
    PlainNegatives,
    SgPairs,
    SgPairs6,
    SgShared,
    SgShared6,
    Softmax,
    SubwordsCbow,
    SubwordsSg,
    SubwordsSgShared,
    TableNegatives,
)
from embedkit.engine.negatives import plain_tables
from embedkit.engine.params import Batch, KernelParams
from embedkit.engine.softmax import noise_log_kq
from embedkit.engine.stream import run_chunks, split_chunks
from embedkit.engine.threads import is_compiled, run_parallel

__all__ = ["Objective", "OBJECTIVES", "get_objective", "kernel_mode", "SubwordObjective",
           "subword_objective"]

_NO_NOISE = np.zeros(0, dtype=np.float32)


def kernel_mode(params: KernelParams, tables) -> Mode:
    """The negative-sampling kernel mode for ``params`` and ``tables`` (see :mod:`.modes`)."""
    plain = plain_tables(tables)
    if not params.sg:
        window = Cbow()
    elif not params.shared_negatives:
        window = SgPairs6() if params.negative == 5 and plain else SgPairs()
    elif params.negative == 5:
        window = SgShared6()
    else:
        window = SgShared()
    return Mode(window, PlainNegatives() if plain else TableNegatives())


@dataclass(frozen=True)
class Objective:
    """What an objective is and supports.

    Attributes
    ----------
    name : str
        The value of the estimators' ``objective`` parameter.
    summary : str
        One line for help texts.
    window : type or None
        Its window marker; ``None`` for negative sampling, whose window is chosen per
        configuration (:func:`kernel_mode`).
    cbow : bool
        Supports ``sg=False``.
    blocks : bool
        Supports block rotation (``parallel="blocks"`` and distributed training).
    table_samplers : bool
        Supports samplers with candidate lists, pools or exclusions (hard, spelling).
    samplers : bool
        Draws from the negative sampler at all (the full softmax does not).
    locked_mode : bool
        Can train with frozen input rows (``lock``; the :class:`~.modes.Locked` window:
        skip-gram only).
    """

    name: str
    summary: str
    window: type | None
    cbow: bool
    blocks: bool
    table_samplers: bool
    samplers: bool = True
    locked_mode: bool = False

    def obstacle(self, params: KernelParams, tables=None) -> str | None:
        """Why this objective cannot train ``params`` (and ``tables``); ``None`` if it can."""
        if not params.sg and not self.cbow:
            return f"objective={self.name!r} is skip-gram only; set sg=True"
        if not self.blocks and any(
                getattr(params, f) != v for f, v in KernelParams._field_defaults.items()):
            return f"the {self.name} objective does not support block (distributed) training"
        if self.name == "nce" and params.negative < 1:
            return "the NCE objective needs negative >= 1 noise samples"
        if tables is not None and not self.table_samplers and not plain_tables(tables):
            return (f"the {self.name} objective needs the exact noise probability of every "
                    "sample: use a sampler with a plain base distribution (no candidate "
                    "lists, pools or exclusions), e.g. 'unigram'")
        return None

    def lock_obstacle(self, params: KernelParams) -> str | None:
        """Why frozen rows cannot be trained with ``params``; ``None`` if they can."""
        if not self.locked_mode:
            return f"frozen rows are not supported by the {self.name} objective; use 'ns'"
        if not params.sg:
            return "frozen rows need skip-gram (sg=True)"
        return None

    def mode(self, params: KernelParams, tables) -> Mode:
        """The kernel mode that trains ``params`` with ``tables`` under this objective."""
        if self.window is None:
            return kernel_mode(params, tables)
        return Mode(self.window(), PlainNegatives())

    def is_compiled(self, W: np.ndarray, C: np.ndarray, params: KernelParams, tables,
                    locked: bool = False) -> bool:
        """Is the kernel for this configuration compiled or cached (no compile on first use)?"""
        ids = np.zeros(1, dtype=np.int32)
        batch = Batch(ids, np.zeros(2, np.int64), np.zeros(2, np.int64), np.zeros(1), 1.0,
                      np.zeros(1, np.float32))
        mode = self.mode(params, tables)
        if locked:
            mode = Mode(Locked(), mode.negatives)
        return is_compiled(run_chunks, (mode, (W, C), batch, params,
                                        tables, _NO_NOISE, np.zeros(2, np.uint64),
                                        np.zeros((1, 1))))

    def run(self, W: np.ndarray, C: np.ndarray, batch: Batch, params: KernelParams, tables,
            states: np.ndarray, stats: np.ndarray, lock: np.ndarray | None = None) -> None:
        """Train one batch in place (see :func:`embedkit.engine.stream.run_chunks`).

        Its chunks are split among ``numba.get_num_threads()`` threads. ``lock`` (float32 per
        row, non-zero = frozen input row) selects the :class:`~.modes.Locked` window.
        """
        why = self.obstacle(params, tables)
        if why is not None:
            raise ValueError(why)
        noise = _NO_NOISE
        if self.window is Nce:
            noise = noise_log_kq(tables.alias_prob, tables.alias_idx,
                                 np.float64(params.negative))
        mode = self.mode(params, tables)
        if lock is not None:
            why = self.lock_obstacle(params)
            if why is not None:
                raise ValueError(why)
            mode, noise = Mode(Locked(), mode.negatives), lock
        parts = split_chunks(batch, states, stats, numba.get_num_threads())
        run_parallel(run_chunks, [(mode, (W, C), part, params, tables, noise, part_states,
                                   part_stats) for part, part_states, part_stats in parts])


@dataclass(frozen=True, eq=False)
class SubwordObjective(Objective):
    """Negative sampling on subword rows (fastText): token ``t`` trains the rows
    ``rows[indptr[t]:indptr[t + 1]]`` of W (see :mod:`embedkit.engine.subword_windows`).

    Built per fit from the vocabulary's table and passed as ``EngineConfig.objective``.
    """

    indptr: np.ndarray | None = None
    rows: np.ndarray | None = None

    def mode(self, params: KernelParams, tables) -> Mode:
        if not params.sg:
            marker = SubwordsCbow
        else:
            marker = SubwordsSgShared if params.shared_negatives else SubwordsSg
        return Mode(marker(self.indptr, self.rows),
                    PlainNegatives() if plain_tables(tables) else TableNegatives())


def subword_objective(indptr: np.ndarray, rows: np.ndarray) -> SubwordObjective:
    """The :class:`SubwordObjective` of a CSR row table (int64 indptr, int32 rows)."""
    return SubwordObjective("subwords", "fastText subword negative sampling", None, cbow=True,
                            blocks=False, table_samplers=True,
                            indptr=np.ascontiguousarray(indptr, dtype=np.int64),
                            rows=np.ascontiguousarray(rows, dtype=np.int32))


#: name -> Objective.
OBJECTIVES: dict[str, Objective] = {
    "ns": Objective("ns", "skip-gram or CBOW with negative sampling", None, cbow=True,
                    blocks=True, table_samplers=True, locked_mode=True),
    "softmax": Objective("softmax", "full softmax over the vocabulary (small vocabularies)",
                         Softmax, cbow=False, blocks=False, table_samplers=True, samplers=False),
    "nce": Objective("nce", "noise-contrastive estimation with the sampler as noise", Nce,
                     cbow=False, blocks=False, table_samplers=False),
}


def get_objective(name: str) -> Objective:
    """The :class:`Objective` called ``name`` (an :class:`Objective` is returned as is)."""
    if isinstance(name, Objective):
        return name
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise ValueError(
            f"unknown objective {name!r}; choose one of {sorted(OBJECTIVES)}"
        ) from None
