"""What every kernel of the engine shares: settings, statistics columns, scratch and batch records.

Kernels take their arguments grouped in these NamedTuples (Numba passes them as plain structs,
so grouping costs nothing), never more than about eight at a time.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

__all__ = [
    "FASTMATH", "KERNEL_OPTIONS", "KernelParams", "Batch", "Scratch", "ChunkRun", "make_scratch",
    "N_STATS", "STAT_LOSS", "STAT_TERMS", "STAT_PAIRS", "STAT_WORDS", "STAT_NEG_SIGMOID",
    "STAT_PROD", "LANE_LABEL", "LANE_WEIGHT", "LANE_SCORE", "LANE_GRAD", "LANE_SIG", "LANE_Q",
    "N_LANE_ROWS", "N_LANES",
]

#: LLVM fast-math flags of the kernels: every flag of ``fastmath=True`` except ``arcp`` and
#: ``afn``. Reassociation lets the row loops vectorise; approximate reciprocals are left out
#: so that a division gives the same float whether LLVM vectorises it (it would use an
#: estimate) or not: the same code compiled into two kernels must agree bit for bit.
FASTMATH = {"nnan", "ninf", "nsz", "contract", "reassoc"}

#: Every kernel function is compiled with ``error_model="numpy"``: a float division by zero
#: gives inf/NaN (which the training loop's divergence check reports) instead of a Python
#: ``ZeroDivisionError``. The default ("python") puts a zero test before every division, which
#: also keeps the 16-lane gradient loop from vectorising: 20-30 % of the kernel's time. (Numba
#: lets a function without an explicit error model inherit its caller's, so the same code ran
#: fast inside a parallel loop and slow outside it; the engine sets it explicitly.)
KERNEL_OPTIONS = {"nogil": True, "_nrt": False, "forceinline": True, "error_model": "numpy"}

#: Columns of the per-chunk statistics array.
STAT_LOSS, STAT_TERMS, STAT_PAIRS, STAT_WORDS, STAT_NEG_SIGMOID = 0, 1, 2, 3, 4
STAT_PROD = 5  # scratch: pending product of label probabilities (0 = empty)
N_STATS = 6

# The default k = 5 with shared negatives has a vectorised path: a window's six output rows
# (centre + five negatives) are scored against two input rows at a time, and the twelve
# scores' gradients come out of one 16-lane loop (lanes 0-5: the first input row, 6-11: the
# second, 12-15: padding with weight 0). Rows of ``Scratch.lanes``:
LANE_LABEL, LANE_WEIGHT, LANE_SCORE, LANE_GRAD, LANE_SIG, LANE_Q = 0, 1, 2, 3, 4, 5
N_LANE_ROWS, N_LANES = 6, 16


class KernelParams(NamedTuple):
    """Scalar settings of one training run, as the kernel sees them."""

    window: int
    negative: int
    sg: bool
    shrink_window: bool
    shared_negatives: bool
    cbow_mean: bool
    lr0: float
    min_lr: float
    total_words: float  # raw tokens over all epochs: the denominator of the lr schedule
    compute_loss: bool
    # Block training (block rotation, in process or distributed): only pairs whose input
    # (context) id is in [in_lo, in_hi) and whose output (centre) id is in [out_lo, out_hi) are
    # trained; W then holds rows in_lo.. and C rows out_lo.., and the sampler tables cover the
    # output block in local numbering. The defaults (whole vocabulary) make this a no-op.
    in_lo: int = 0
    in_hi: int = 2**62
    out_lo: int = 0
    out_hi: int = 2**62
    neg_scale: float = 1.0  # weight of the negative terms' gradients (block reweighting)


class Batch(NamedTuple):
    """A batch of id sequences (CSR) cut into chunks of whole sequences, as kernels see it.

    ``ids`` int32 and ``offsets`` int64 hold the sequences; chunk ``c`` covers sequences
    ``chunk_seq[c]:chunk_seq[c + 1]`` and starts at raw-token position ``chunk_pos[c]`` of the
    whole run (the learning-rate schedule); ``pos_scale`` is raw tokens per id in this batch;
    ``keep_prob`` float32 (n_vocab,) are the subsampling keep probabilities.
    """

    ids: np.ndarray
    offsets: np.ndarray
    chunk_seq: np.ndarray
    chunk_pos: np.ndarray
    pos_scale: float
    keep_prob: np.ndarray


class Scratch(NamedTuple):
    """Per-chunk scratch buffers of the window updates (see :func:`make_scratch`)."""

    buf: np.ndarray  # int32 (maxlen,): a sequence's kept ids
    targets: np.ndarray  # int64 (k + 1,): positive, then negatives (local output rows)
    mask: np.ndarray  # uint8 (k + 1,): 0 marks a skipped negative
    gs: np.ndarray  # float32 (k + 1,): gradient scales (or scores)
    gs2: np.ndarray  # float32 (k + 1,): the same for a second input row
    out_grads: np.ndarray  # float32 (k + 1, d): a window's accumulated output-row gradients
    in_grad: np.ndarray  # float32 (1, d): an input row's gradient
    anchor: np.ndarray  # float32 (1, d): the scoring vector (pool negatives) or CBOW's mean
    ahead: np.ndarray  # int64 (k + 1,): negatives drawn one window ahead; ahead[0] = filled
    lanes: np.ndarray  # float32 (N_LANE_ROWS, N_LANES): the 16-lane gradient block
    ctx: np.ndarray  # int64 (2 * window,): a window's context rows
    scores: np.ndarray  # float64 (n_scores,): full-softmax scores (empty otherwise)


class ChunkRun(NamedTuple):
    """What a chunk's window updates share: weights, settings, tables, stream, scratch, stats.

    ``states[slot]`` is the chunk's negative stream (its token stream is ``slot - 1``) and
    ``acc`` its row of the per-chunk statistics (``N_STATS`` floats).
    """

    W: np.ndarray  # input vectors (the input block's rows)
    C: np.ndarray  # output vectors (the output block's rows)
    params: KernelParams
    tables: tuple  # SamplerTables
    states: np.ndarray
    slot: int
    scratch: Scratch
    acc: np.ndarray
    noise: np.ndarray  # float32 (n,): NCE's log(k P_n(x)); empty for other objectives


@njit(nogil=True, cache=True, error_model="numpy")
def _rows_on_cache_lines(n, d):
    """A zeroed float32 ``(n, d)`` matrix whose data starts on a 64-byte boundary.

    The weight rows are padded to whole cache lines and start on one; scratch rows updated in
    the same vector loops must too, or every vector access to them splits across two lines.
    """
    raw = np.zeros(n * d + 16, dtype=np.float32)
    skip = ((64 - raw.ctypes.data % 64) % 64) // 4
    return raw[skip:skip + n * d].reshape((n, d))


@njit(nogil=True, cache=True, error_model="numpy")
def make_scratch(k1, d, window, maxlen, n_scores):
    """Fresh :class:`Scratch` for k1 output rows of width d (``ahead`` starts empty)."""
    return Scratch(np.empty(maxlen, dtype=np.int32), np.empty(k1, dtype=np.int64),
                   np.empty(k1, dtype=np.uint8), np.empty(k1, dtype=np.float32),
                   np.empty(k1, dtype=np.float32), _rows_on_cache_lines(k1, d),
                   _rows_on_cache_lines(1, d), _rows_on_cache_lines(1, d),
                   np.zeros(k1, dtype=np.int64), _rows_on_cache_lines(N_LANE_ROWS, N_LANES),
                   np.empty(max(2 * window, 1), dtype=np.int64),
                   np.empty(n_scores, dtype=np.float64))
