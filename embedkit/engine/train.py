"""The thin Python training loop around the Numba kernels.

It streams batches from a context generator (produced in a background thread while the kernel,
which releases the GIL, trains the previous batch), cuts each batch into word-balanced chunks,
derives one random stream per ``(seed, epoch, chunk)``, runs the kernel on all cores, reduces
the per-chunk float64 loss, and reports progress.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numba
import numpy as np

from embedkit.contexts.base import ContextGenerator, SeqBatch
from embedkit.engine.blocks import AUTO_BLOCK_ROWS, PARALLEL_MODES, BlockTrainer, block_obstacle
from embedkit.engine.objectives import get_objective
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
from embedkit.rng import derive_seed, engine_states
from embedkit.samplers.base import ModelState, NegativeSampler, SamplerTables
from embedkit.vocab import Vocab

__all__ = ["EngineConfig", "EpochStats", "aligned_zeros", "check_batch", "chunk_bounds",
           "init_input_rows", "init_weights", "numba_threads", "padded_dim", "prefetch_batches",
           "resolve_threads", "train", "unpad_rows"]

logger = logging.getLogger("embedkit")

#: Stream tag for weight initialisation, distinct from any (epoch, chunk) stream.
_INIT_STREAM = 0x1D1D


@dataclass(frozen=True)
class EngineConfig:
    """Settings of the SGNS engine (validated by the estimators)."""

    dim: int = 100
    window: int = 5
    negative: int = 5
    sg: bool = True
    shrink_window: bool = True
    shared_negatives: bool = True
    cbow_mean: bool = True
    lr: float = 0.025
    min_lr: float = 1e-4
    epochs: int = 5
    compute_loss: bool = True
    chunk_words: int = 10_000
    objective: str = "ns"
    parallel: str = "hogwild"  # "blocks" or "auto" (see embedkit.engine.blocks)


@dataclass
class EpochStats:
    """What one epoch did; ``loss`` is the mean ``-log sigmoid`` per positive pair."""

    epoch: int
    loss: float
    raw_words: int
    trained_words: int
    pairs: int
    seconds: float
    mean_neg_sigmoid: float = float("nan")
    extra: dict = field(default_factory=dict)

    @property
    def words_per_second(self) -> float:
        return self.raw_words / self.seconds if self.seconds > 0 else float("nan")


def resolve_threads(threads: int | None) -> int:
    """``None`` -> all cores Numba may use; otherwise validate ``1 <= threads``."""
    if threads is None:
        return int(numba.config.NUMBA_NUM_THREADS)
    if not isinstance(threads, (int, np.integer)) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"threads must be a positive int or None, got {threads!r}")
    return min(int(threads), int(numba.config.NUMBA_NUM_THREADS))


@contextmanager
def numba_threads(n: int):
    old = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(old)


#: During training, rows of the weight matrices are padded with zeros to a multiple of this many
#: floats (64 bytes, a cache line), and the matrices start on a cache line. The kernels' vector
#: loops then need no scalar remainder (about 10% faster at dim 100, despite the extra width),
#: and a row never shares a cache line with its neighbour (about 5% faster again, one thread).
#: Zero columns stay zero under every update, so the padding never changes a dot product, and
#: :func:`unpad_rows` removes it in place after training.
ROW_ALIGN = 16


def aligned_zeros(n: int, width: int) -> np.ndarray:
    """A C-contiguous float32 ``(n, width)`` matrix of zeros starting on a 64-byte boundary.

    With ``width`` a multiple of :data:`ROW_ALIGN` every row then covers whole cache lines, so
    two threads updating neighbouring rows never write the same line (false sharing).
    """
    size = int(n) * int(width)
    buf = np.zeros(size + 16, dtype=np.float32)
    skip = (-buf.ctypes.data % 64) // 4
    return buf[skip:skip + size].reshape(int(n), int(width))


def padded_dim(dim: int) -> int:
    """``dim`` rounded up to a multiple of :data:`ROW_ALIGN`."""
    return -(-int(dim) // ROW_ALIGN) * ROW_ALIGN


def init_input_rows(dim: int, seed: int, lo: int, hi: int, *, padded: bool = False,
                    half_width: float = 0.5) -> np.ndarray:
    """Rows ``lo:hi`` of the input-vector initialisation, ``U(-a/dim, a/dim)``.

    ``a = half_width``: 0.5 is word2vec.c's (and every estimator's but FastText), 1.0 is
    fastText's and gensim's. The values depend only on ``(seed, row)``, however the rows are
    split, so a distributed worker can build its block alone. With ``padded=True`` the rows
    are :func:`padded_dim` wide, the extra columns zero. Rows are drawn in blocks: no
    temporary copy of the matrix.
    """
    width = padded_dim(dim) if padded else int(dim)
    out = aligned_zeros(hi - lo, width)
    bits = np.random.PCG64(derive_seed(seed, _INIT_STREAM))
    skip = lo * dim  # float32 draws use 32 of a generator step's 64 bits
    bits.advance(skip // 2)
    rng = np.random.Generator(bits)
    if skip % 2:
        rng.random(1, dtype=np.float32)
    step = max(1, 2**20 // max(int(dim), 1))
    for a in range(0, hi - lo, step):
        block = rng.random((min(hi - lo, a + step) - a, dim), dtype=np.float32)
        block -= np.float32(0.5)
        block /= np.float32(dim)
        if half_width != 0.5:
            block *= np.float32(2.0 * half_width)
        out[a:a + block.shape[0], :dim] = block
    return out


def init_weights(n: int, dim: int, seed: int, *, padded: bool = False
                 ) -> tuple[np.ndarray, np.ndarray]:
    """word2vec initialisation: v ~ U(-0.5/dim, 0.5/dim), u = 0 (float32, C-contiguous).

    See :func:`init_input_rows` for ``padded``.
    """
    W = init_input_rows(dim, seed, 0, n, padded=padded)
    return W, aligned_zeros(*W.shape)


@numba.njit(cache=True)
def _compact_rows(flat, n, width, dim):
    for r in range(1, n):  # row r moves down from r * width to r * dim: never over unread data
        src = r * width
        dst = r * dim
        for x in range(dim):
            flat[dst + x] = flat[src + x]


def unpad_rows(A: np.ndarray, dim: int) -> np.ndarray:
    """The first ``dim`` columns of C-contiguous ``A`` as a C-contiguous array, compacted in place.

    ``A`` is overwritten; the result is a view of its buffer (no second copy of the matrix).
    """
    n, width = A.shape
    if width == dim:
        return A
    flat = A.reshape(-1)
    _compact_rows(flat, n, width, dim)
    return flat[: n * dim].reshape(n, dim)


def prefetch_batches(it: Iterator[SeqBatch], depth: int = 3) -> Iterator[SeqBatch]:
    """Run ``it`` in a background thread, ``depth`` batches ahead; re-raise its errors here.

    Generators' kernels (random walks, k-mer scans) are plain ``nogil`` kernels run on Python
    threads (:mod:`embedkit.contexts.spans`), never Numba parallel kernels, so they can run
    while the training kernel does, whatever Numba's threading layer.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def work() -> None:
        try:
            for item in it:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    t = threading.Thread(target=work, name="embedkit-batches", daemon=True)
    t.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        t.join(timeout=5)


def check_batch(batch: SeqBatch, n_vocab: int) -> None:
    ids, offsets = batch.ids, batch.offsets
    if not isinstance(ids, np.ndarray) or ids.dtype != np.int32 or ids.ndim != 1:
        raise TypeError("SeqBatch.ids must be a 1-D int32 array")
    if not isinstance(offsets, np.ndarray) or offsets.dtype != np.int64 or offsets.ndim != 1:
        raise TypeError("SeqBatch.offsets must be a 1-D int64 array")
    if offsets.size == 0 or offsets[0] != 0 or offsets[-1] != ids.size:
        raise ValueError("SeqBatch.offsets must start at 0 and end at len(ids)")
    if offsets.size > 1 and np.any(np.diff(offsets) < 0):
        raise ValueError("SeqBatch.offsets must be non-decreasing")
    if ids.size and ids.max() >= n_vocab:
        raise ValueError(f"SeqBatch.ids holds id {int(ids.max())} >= vocabulary size {n_vocab}")


def chunk_bounds(offsets: np.ndarray, chunk_words: int) -> np.ndarray:
    """Split sequences into contiguous chunks of about ``chunk_words`` ids (whole sequences)."""
    n_seq = offsets.size - 1
    total = int(offsets[-1])
    n_chunks = max(1, -(-total // chunk_words))
    targets = np.arange(1, n_chunks, dtype=np.int64) * (total / n_chunks)
    cuts = np.searchsorted(offsets, targets, side="left")
    bounds = np.unique(np.concatenate(([0], cuts, [n_seq]))).astype(np.int64)
    return bounds


def train(
    generator: ContextGenerator,
    vocab: Vocab,
    sampler: NegativeSampler,
    config: EngineConfig,
    *,
    seed: int,
    threads: int,
    W: np.ndarray | None = None,
    C: np.ndarray | None = None,
    progress: bool = True,
    unit: str = "word",
    callback: Callable[[EpochStats], bool | None] | None = None,
    first_epoch: int = 0,
    epoch_base: int = 0,
    lock: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, list[EpochStats]]:
    """Train SGNS vectors for ``vocab`` on the sequences ``generator`` streams.

    Parameters
    ----------
    W, C : ndarray float32, optional
        Initial weights (both or neither), trained in place; rows of :func:`padded_dim` width
        are fastest. Without them fresh weights are drawn.
    callback : callable, optional
        Called with each epoch's :class:`EpochStats`; returning ``True`` stops after that epoch.
    first_epoch : int, default 0
        Resume the ``config.epochs``-epoch schedule at this epoch: the learning rate and the
        per-chunk random streams continue exactly as an uninterrupted run's.
    epoch_base : int, default 0
        Added to the epoch number of the random streams, of ``generator.batches`` and of the
        recorded stats (a continued model's later rounds draw new streams).
    lock : ndarray of bool, optional
        ``lock[i]`` freezes input row ``i``: it receives no update (the
        :class:`~embedkit.engine.modes.Locked` window: skip-gram, negative sampling, Hogwild
        threads; other settings are refused). Output rows all train.

    A ``KeyboardInterrupt`` after at least one completed epoch stops training with a warning and
    returns the epochs done so far (the weights include the interrupted epoch's updates).

    Returns
    -------
    W, C : ndarray float32 (len(vocab), dim)
        Input and output vectors.
    history : list of EpochStats
    """
    n = len(vocab)
    objective = get_objective(config.objective)
    own_weights = W is None or C is None
    if not 0 <= int(first_epoch) < config.epochs:
        raise ValueError(f"first_epoch must be in [0, {config.epochs}), got {first_epoch}")
    if own_weights:
        W, C = init_weights(n, config.dim, seed, padded=True)
    tables = sampler.tables(vocab, ModelState(W, C))
    _check_tables(tables, n)
    words_per_epoch = max(1, int(generator.tokens_per_epoch(vocab)))
    params = KernelParams(
        window=int(config.window),
        negative=int(config.negative),
        sg=bool(config.sg),
        shrink_window=bool(config.shrink_window),
        shared_negatives=bool(config.shared_negatives),
        cbow_mean=bool(config.cbow_mean),
        lr0=float(config.lr),
        min_lr=float(config.min_lr),
        total_words=float(words_per_epoch * config.epochs),
        compute_loss=bool(config.compute_loss),
    )
    keep_prob = np.ascontiguousarray(vocab.keep_prob, dtype=np.float32)
    refresh_every = getattr(sampler, "refresh_every", None)
    blocks = _block_trainer(config, params, tables, refresh_every, vocab, keep_prob, threads,
                            locked=lock is not None and bool(np.any(lock)))
    since_refresh = 0
    history: list[EpochStats] = []
    bar = _progress_bar(progress, words_per_epoch * config.epochs, unit)
    try:
        frozen = _frozen_rows(lock, n, objective, params, blocks)
    except ValueError:
        if blocks is not None:
            blocks.close()
        raise
    compiling = blocks is None and not objective.is_compiled(W, C, params, tables,
                                                             locked=frozen is not None)
    if compiling:
        logger.info("compiling the engine for this configuration (first run only; Numba caches "
                    "it on disk)")
        if bar is not None:
            bar.set_description("embedkit: compiling the engine (first run only)")
    logger.info(
        "training %s vectors of dim %d: %d epochs x ~%d %ss, %d threads, sampler %r",
        n, config.dim, config.epochs, words_per_epoch, unit, threads, sampler,
    )
    try:
        with numba_threads(threads):
            for epoch in range(int(first_epoch), config.epochs):
                t0 = time.perf_counter()
                tag = epoch_base + epoch
                totals = np.zeros(N_STATS, dtype=np.float64)
                raw = 0
                chunk_index = 0
                for batch in prefetch_batches(generator.batches(vocab, epoch=tag, seed=seed)):
                    check_batch(batch, n)
                    if batch.ids.size == 0:
                        raw += batch.n_raw
                        continue
                    bounds = chunk_bounds(batch.offsets, config.chunk_words)
                    n_chunks = bounds.size - 1
                    pos_scale = batch.n_raw / batch.ids.size
                    start_pos = epoch * words_per_epoch + raw
                    chunk_pos = start_pos + batch.offsets[bounds[:-1]] * pos_scale
                    states = engine_states(seed, tag, chunk_index, n_chunks)
                    if blocks is not None:
                        try:
                            totals += blocks.train_batch(W, C, batch.ids, batch.offsets,
                                                         bounds, chunk_pos.astype(np.float64),
                                                         float(pos_scale), states)
                        except ZeroDivisionError as exc:  # a cell kernel's overflowed scores
                            raise _diverged(config, epoch, raw, unit) from exc
                    else:
                        stats = np.zeros((n_chunks, N_STATS), dtype=np.float64)
                        objective.run(W, C, Batch(batch.ids, batch.offsets, bounds,
                                                  chunk_pos.astype(np.float64),
                                                  float(pos_scale), keep_prob),
                                      params, tables, states, stats, lock=frozen)
                        totals += stats.sum(axis=0)
                    chunk_index += n_chunks
                    raw += batch.n_raw
                    _check_finite(W, C, batch.ids, config, epoch, raw, unit)
                    if compiling and bar is not None:
                        bar.set_description("embedkit")
                        compiling = False
                    if bar is not None:
                        bar.update(batch.n_raw)
                        pairs = max(totals[STAT_PAIRS], 1.0)
                        bar.set_postfix(epoch=epoch + 1, loss=f"{totals[STAT_LOSS] / pairs:.4f}",
                                        refresh=False)
                    if isinstance(refresh_every, (int, np.integer)) and refresh_every > 0:
                        since_refresh += batch.n_raw
                        if since_refresh >= refresh_every:
                            tables = sampler.tables(vocab, ModelState(W, C))
                            _check_tables(tables, n)
                            since_refresh = 0
                _check_finite(W, C, None, config, epoch, raw, unit)
                seconds = time.perf_counter() - t0
                pairs = int(totals[STAT_PAIRS])
                n_neg = totals[STAT_TERMS] - pairs
                st = EpochStats(
                    epoch=tag,
                    loss=float(totals[STAT_LOSS] / pairs) if pairs and config.compute_loss
                    else float("nan"),
                    raw_words=int(raw),
                    trained_words=int(totals[STAT_WORDS]),
                    pairs=pairs,
                    seconds=seconds,
                    mean_neg_sigmoid=float(totals[STAT_NEG_SIGMOID] / n_neg)
                    if n_neg > 0 else float("nan"),
                )
                history.append(st)
                logger.info(
                    "epoch %d: loss %.4f, %d %ss (%d kept), %d pairs, %.1fs, %.0f %ss/s",
                    epoch + 1, st.loss, st.raw_words, unit, st.trained_words, st.pairs,
                    st.seconds, st.words_per_second, unit,
                )
                if raw == 0:
                    raise ValueError("the context generator produced no tokens to train on")
                if callback is not None and callback(st) is True:
                    logger.info("a callback stopped training after epoch %d", tag + 1)
                    break
                if refresh_every == "epoch" and epoch + 1 < config.epochs:
                    tables = sampler.tables(vocab, ModelState(W, C))
                    _check_tables(tables, n)
    except KeyboardInterrupt:
        if not history:
            raise
        warnings.warn(f"training interrupted: keeping the {len(history)} completed epoch(s) "
                      "(and the interrupted epoch's updates)", RuntimeWarning, stacklevel=2)
    finally:
        if bar is not None:
            bar.close()
        if blocks is not None:
            blocks.close()
    if own_weights:
        W, C = unpad_rows(W, config.dim), unpad_rows(C, config.dim)
    return W, C, history


def _frozen_rows(lock: np.ndarray | None, n: int, objective, params: KernelParams,
                 blocks: BlockTrainer | None) -> np.ndarray | None:
    """The float32 row mask the Locked window reads (1 = frozen), or None (nothing frozen)."""
    if lock is None:
        return None
    lock = np.asarray(lock)
    if lock.shape != (n,) or lock.dtype != np.bool_:
        raise ValueError(f"lock must be a boolean array of shape ({n},), got {lock.dtype} "
                         f"{lock.shape}")
    if not lock.any():
        return None
    why = objective.lock_obstacle(params)
    if why is None and blocks is not None:
        why = "frozen rows need parallel='hogwild'"
    if why is not None:
        raise ValueError(why)
    return lock.astype(np.float32)


#: Rows of the current batch checked for divergence after every batch (evenly spaced ids).
_CHECK_ROWS = 256


def _check_finite(W: np.ndarray, C: np.ndarray, ids: np.ndarray | None, config: EngineConfig,
                  epoch: int, raw: int, unit: str) -> None:
    """Raise ``FloatingPointError`` if training has diverged (non-finite vectors).

    After a batch (``ids`` given) it looks at the rows of up to :data:`_CHECK_ROWS` of the
    batch's ids, evenly spaced, a few microseconds: a row that overflows spreads to the rows it
    is trained with, so a diverging run stops within a batch or two. At the end of an epoch
    (``ids`` None) it checks every row of both matrices, block by block.
    """
    if ids is not None:
        rows = ids[:: max(1, ids.size // _CHECK_ROWS)]
        rows = rows[rows >= 0]
        ok = np.isfinite(W[rows]).all() and np.isfinite(C[rows]).all()
    else:
        step = max(1, 2**22 // max(W.shape[1], 1))
        ok = all(np.isfinite(A[a:a + step]).all() for A in (W, C)
                 for a in range(0, A.shape[0], step))
    if not ok:
        raise _diverged(config, epoch, raw, unit)


def _diverged(config: EngineConfig, epoch: int, raw: int, unit: str) -> FloatingPointError:
    return FloatingPointError(
        f"training diverged in epoch {epoch + 1} after {raw:,} {unit}s: the vectors are no "
        f"longer finite; lower the learning rate (lr={config.lr:g})"
    )


def _block_trainer(config: EngineConfig, params: KernelParams, tables: SamplerTables,
                   refresh_every, vocab: Vocab, keep_prob: np.ndarray,
                   threads: int, *, locked: bool = False) -> BlockTrainer | None:
    """The in-process block trainer ``config.parallel`` asks for, or ``None`` (Hogwild).

    Blocks need more than one thread (one block is the one-thread computation) and a
    configuration they support (else a ``ValueError`` says why). ``"auto"`` uses blocks when
    they can run, no row is frozen (``locked``), negatives are drawn per pair and the
    vocabulary has at most :data:`~embedkit.engine.blocks.AUTO_BLOCK_ROWS` rows, and Hogwild
    otherwise.
    """
    if config.parallel not in PARALLEL_MODES:
        raise ValueError(f"parallel must be one of {PARALLEL_MODES}, got {config.parallel!r}")
    if config.parallel == "hogwild" or threads < 2:
        return None
    obstacle = block_obstacle(params, config.objective, tables, refresh_every)
    if config.parallel == "auto" and (obstacle is not None or locked or config.shared_negatives
                                      or len(vocab) > AUTO_BLOCK_ROWS):
        return None
    if obstacle is not None:
        raise ValueError(f"parallel='blocks' {obstacle}; use parallel='hogwild'")
    n_blocks = min(threads, len(vocab))
    if n_blocks < 2:
        return None
    logger.info("block training: %d threads own disjoint rows", n_blocks)
    return BlockTrainer(np.asarray(vocab.counts), keep_prob, tables, params, n_blocks)


def _check_tables(tables: SamplerTables, n: int) -> None:
    if not isinstance(tables, SamplerTables):
        raise TypeError(
            f"a sampler's tables() must return SamplerTables, got {type(tables).__name__}"
        )
    if tables.alias_prob.shape != (n,) or tables.alias_idx.shape != (n,):
        raise ValueError(
            f"sampler tables cover {tables.alias_prob.shape[0]} ids, vocabulary has {n}"
        )
    if tables.cand_row.size:
        rows = tables.cand_indptr.size - 1
        if tables.cand_row.shape != (n,) or tables.cand_row.max() >= rows:
            raise ValueError("sampler cand_row must map every vocabulary id to a candidate row")
    elif tables.cand_indptr.size not in (1, n + 1):
        raise ValueError("sampler candidate lists must have len(vocab) + 1 offsets")
    if tables.cand_prob.size and (tables.cand_prob.shape != tables.cand_ids.shape
                                  or tables.cand_alias.shape != tables.cand_ids.shape):
        raise ValueError("sampler cand_prob/cand_alias must align with cand_ids")


def _progress_bar(enabled: bool, total: int, unit: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, unit_scale=True, desc="embedkit", leave=False,
                smoothing=0.1)
