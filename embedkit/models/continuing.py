"""Training runs that start from weights: fit with callbacks, warm starts, partial_fit, resume.

Every run of the one-process engine goes through :func:`run_schedule`: it pads the weights to the
engine's row width, calls :func:`embedkit.engine.train.train` with the epoch numbering of the
model's earlier rounds (so each round draws new random streams and ``fit(A)`` then
``partial_fit(B)`` is reproducible with one thread and a seed), keeps the model a valid fitted
model after every epoch for the callbacks, and extends ``loss_history_`` / ``epoch_stats_``.

A model's *schedule* (``schedule_``) records the round in progress: its number of epochs, the
epochs done, its first epoch number and its learning rate. A model saved by a checkpoint in the
middle of a round resumes it exactly (:meth:`SGNSModel.resume`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np

from embedkit.contexts.base import ContextGenerator
from embedkit.engine.train import (
    EngineConfig,
    EpochStats,
    aligned_zeros,
    init_input_rows,
    padded_dim,
    train,
    unpad_rows,
)
from embedkit.samplers.base import NegativeSampler
from embedkit.vocab import Vocab

__all__ = ["check_callbacks", "grow_weights", "neighbour_mean", "run_schedule", "warm_rows",
           "with_lr"]

logger = logging.getLogger("embedkit")

_HOOKS = ("on_train_begin", "on_epoch_end", "on_train_end")


def check_callbacks(callbacks: Iterable[Any] | None) -> list[Any]:
    """The callbacks as a list; each needs at least one of the three hooks."""
    if callbacks is None:
        return []
    if any(hasattr(callbacks, h) for h in _HOOKS):
        callbacks = [callbacks]
    out = list(callbacks)
    for cb in out:
        if not any(callable(getattr(cb, h, None)) for h in _HOOKS):
            raise TypeError(f"a callback needs on_train_begin, on_epoch_end or on_train_end; "
                            f"{type(cb).__name__} has none")
    return out


def grow_weights(W: np.ndarray | None, C: np.ndarray | None, n: int, dim: int, seed: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Padded training copies of ``W``/``C`` with rows up to ``n``; new rows as a fresh fit's.

    Row ``i`` of a fresh input matrix depends only on ``(seed, i)``, so a vocabulary grown by
    appending gets exactly the rows a fit with that vocabulary would have drawn; output rows
    start at zero.
    """
    n_old = 0 if W is None else W.shape[0]
    if W is not None and (W.shape[1] != dim or C is None or C.shape != W.shape):
        raise ValueError(f"weights of shape {W.shape} do not match dim={dim}")
    width = padded_dim(dim)
    Wp = aligned_zeros(n, width)
    Cp = aligned_zeros(n, width)
    if n_old:
        Wp[:n_old, :dim] = W
        Cp[:n_old, :dim] = C
    if n > n_old:
        Wp[n_old:] = init_input_rows(dim, seed, n_old, n, padded=True)
    return Wp, Cp


def warm_rows(vocab: Vocab, init: Any, dim: int) -> tuple[np.ndarray, np.ndarray,
                                                           np.ndarray | None, np.ndarray]:
    """Rows of ``vocab`` found in ``init`` (Embeddings or a path to saved vectors).

    Returns ``(ids, input rows, output rows or None, mask)`` where ``mask[i]`` says id ``i`` was
    initialised. Raises ``ValueError`` if the dimensions differ or no token matches.
    """
    from embedkit.embeddings import Embeddings

    if isinstance(init, (str, os.PathLike)):
        path = str(init)
        init = (Embeddings.load(path) if path.endswith(".npz")
                else Embeddings.load_word2vec_format(path))
    if not isinstance(init, Embeddings):
        raise TypeError(f"init must be an Embeddings or a path to saved vectors, got "
                        f"{type(init).__name__}")
    if init.vectors.shape[1] != dim:
        raise ValueError(f"init has vectors of dimension {init.vectors.shape[1]}, the model "
                         f"dim={dim}")
    get = init.key_to_index.get
    src = np.fromiter((get(k, -1) for k in vocab.index_to_key), dtype=np.int64,
                      count=len(vocab))
    mask = src >= 0
    if not mask.any():
        raise ValueError("no token of the vocabulary is in init")
    ids = np.flatnonzero(mask)
    ctx = init.context_vectors
    return ids, init.vectors[src[mask]], None if ctx is None else ctx[src[mask]], mask


def run_schedule(model: Any, generator: ContextGenerator, vocab: Vocab,
                 sampler: NegativeSampler, config: EngineConfig, *, seed: int, threads: int,
                 start: tuple[np.ndarray, np.ndarray], callbacks: Sequence[Any] = (),
                 first_epoch: int = 0, epoch_base: int = 0, lock: np.ndarray | None = None,
                 history: Sequence[EpochStats] = ()) -> list[EpochStats]:
    """Train ``start`` (padded weights, in place) and keep ``model`` fitted after every epoch.

    Returns the whole history (``history`` then this round's epochs).
    """
    W, C = start
    history = list(history)
    model.schedule_ = {"epochs": int(config.epochs), "done": int(first_epoch),
                       "base": int(epoch_base), "lr": float(config.lr)}

    def publish(done: list[EpochStats], final: bool) -> None:
        Wu = unpad_rows(W, config.dim) if final else np.array(W[:, :config.dim])
        Cu = unpad_rows(C, config.dim) if final else np.array(C[:, :config.dim])
        model._set_fitted(vocab, Wu, Cu, history + done, seed=seed,
                          vocab_seconds=getattr(model, "vocab_seconds_", 0.0))
        model.schedule_ = {"epochs": int(config.epochs), "done": int(first_epoch) + len(done),
                           "base": int(epoch_base), "lr": float(config.lr)}

    new: list[EpochStats] = []

    def on_epoch(st: EpochStats) -> bool:
        new.append(st)
        publish(new, final=False)
        stop = False
        for cb in callbacks:
            hook = getattr(cb, "on_epoch_end", None)
            if callable(hook) and hook(model, st) is True:
                stop = True
        return stop

    if callbacks:
        publish(new, final=False)
        for cb in callbacks:
            hook = getattr(cb, "on_train_begin", None)
            if callable(hook):
                hook(model)
    _, _, done = train(generator, vocab, sampler, config, seed=seed, threads=threads, W=W, C=C,
                       progress=bool(model.progress), unit=model._unit,
                       callback=on_epoch if callbacks else new.append,
                       first_epoch=first_epoch, epoch_base=epoch_base, lock=lock)
    publish(done, final=True)
    for cb in callbacks:
        hook = getattr(cb, "on_train_end", None)
        if callable(hook):
            hook(model)
    return history + done


def with_lr(config: EngineConfig, lr: float | None) -> EngineConfig:
    """``config`` with another starting learning rate (validated)."""
    if lr is None:
        return config
    if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not lr > 0:
        raise ValueError(f"lr must be a positive float, got {lr!r}")
    if config.min_lr > lr:
        raise ValueError(f"min_lr ({config.min_lr}) must not exceed lr ({lr})")
    return dataclasses.replace(config, lr=float(lr))


def neighbour_mean(emb: Any, edges: Iterable[Sequence[Any]]) -> dict[Hashable, np.ndarray]:
    """Vectors for nodes not in ``emb``: the weighted mean of their known neighbours' vectors.

    ``edges`` are ``(u, v)`` or ``(u, v, weight)``; an edge between a new and a known node adds
    the known node's vector, times the weight, to the new node's sum. New nodes without a known
    neighbour get no vector.
    """
    known = emb.key_to_index
    sums: dict[Hashable, np.ndarray] = {}
    weights: dict[Hashable, float] = {}
    for edge in edges:
        if len(edge) not in (2, 3):
            raise ValueError(f"an edge is (u, v) or (u, v, weight), got {edge!r}")
        u, v = edge[0], edge[1]
        w = float(edge[2]) if len(edge) == 3 else 1.0
        if not np.isfinite(w) or w < 0:
            raise ValueError(f"edge weights must be finite and >= 0, got {w}")
        for a, b in ((u, v), (v, u)):
            if a not in known and b in known:
                row = emb.vectors[known[b]].astype(np.float64) * w
                if a in sums:
                    sums[a] += row
                    weights[a] += w
                else:
                    sums[a] = row
                    weights[a] = w
    return {k: (s / weights[k]).astype(np.float32) for k, s in sums.items() if weights[k] > 0}


def _count_new(model: Any, generator: ContextGenerator, subsample: float) -> Vocab | None:
    """Every token of the new data with its count (None if the data has no token)."""
    try:
        return generator.build_vocab(min_count=1, max_vocab_size=None, subsample=subsample)
    except ValueError as exc:
        if "empty" in str(exc) or "no tokens" in str(exc):
            raise ValueError(f"partial_fit: the new data has no tokens ({exc})") from exc
        raise


def continue_fit(model: Any, data: Any, *, epochs: int | None = None, lr: float | None = None,
                 callbacks: Iterable[Any] | None = None, resume: bool = False,
                 generator: ContextGenerator | None = None) -> Any:
    """``model.partial_fit(data)`` (or ``model.resume(data)``); returns ``model``.

    ``generator`` replaces ``model.make_generator(data)`` (e.g. walks from a few nodes).
    """
    from embedkit.engine.train import resolve_threads
    from embedkit.validation import check_int

    model._check_fitted()
    cbs = check_callbacks(callbacks)
    config = model._engine_config()
    old = model.embeddings_
    if old.context_vectors is None or not hasattr(model, "seed_"):
        raise ValueError(
            f"this {type(model).__name__} holds input vectors only (loaded from a vector file?); "
            "continue a model saved with embedkit.models.saving.save_model (model.save for "
            "the word and graph estimators) and loaded with load_model / Model.load")
    if old.vectors.shape[1] != config.dim:
        raise ValueError(f"the fitted vectors have dim {old.vectors.shape[1]}, the model's "
                         f"dim is {config.dim}")
    if generator is None:
        generator = model.make_generator(data)
    try:
        sampler = model._resolve_sampler()
        bind = getattr(sampler, "for_generator", None)
        if callable(bind):
            sampler = bind(generator)
        seed = int(model.seed_)
        history = list(model.epoch_stats_)
        schedule = getattr(model, "schedule_", None) or {}
        counted = _count_new(model, generator, model.vocab_.subsample)
        if resume:
            if schedule.get("done", 0) >= schedule.get("epochs", 0):
                raise ValueError("resume: the model's last training round is complete; use "
                                 "partial_fit to train on more data")
            vocab = model.vocab_
            config = dataclasses.replace(config, epochs=int(schedule["epochs"]),
                                         lr=float(schedule["lr"]))
            first, base = int(schedule["done"]), int(schedule["base"])
        else:
            n_epochs = config.epochs if epochs is None else check_int("epochs", epochs, 1)
            config = with_lr(dataclasses.replace(config, epochs=n_epochs), lr)
            vocab = model.vocab_.grow(counted, min_count=int(model.min_count))
            first, base = 0, max([st.epoch + 1 for st in history] or [0])
            logger.info("partial_fit: %d new %ss, %d epochs", len(vocab) - len(model.vocab_),
                        model._unit, n_epochs)
        start = grow_weights(old.vectors, old.context_vectors, len(vocab), config.dim, seed)
        lock = getattr(model, "lock_", None)
        if lock is not None:  # frozen warm-start rows stay frozen; new rows are free
            lock = np.concatenate((lock, np.zeros(len(vocab) - lock.size, dtype=bool)))
            model.lock_ = lock
        run_schedule(model, generator, vocab, sampler, config, seed=seed,
                     threads=resolve_threads(model.threads), start=start, callbacks=cbs,
                     first_epoch=first, epoch_base=base, lock=lock, history=history)
        model._record_generator(generator)
    finally:
        close = getattr(generator, "close", None)
        if callable(close):
            close()
    return model
