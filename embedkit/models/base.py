"""Shared estimator machinery: parameter handling, validation and the fit path to the engine.

Every model (words, nodes, k-mers) is a context generator in front of the same engine; the
estimators differ only in how they build their generator.
"""

from __future__ import annotations

import inspect
import logging
import time
from typing import Any

import numpy as np

from embedkit.capabilities import check_objective
from embedkit.contexts.base import ContextGenerator
from embedkit.engine.train import EngineConfig, EpochStats, resolve_threads
from embedkit.rng import check_random_state
from embedkit.samplers import get_sampler
from embedkit.samplers.base import NegativeSampler
from embedkit.validation import check_float, check_int
from embedkit.vocab import Vocab

__all__ = ["BaseEstimator", "SGNSModel"]

logger = logging.getLogger("embedkit")


class BaseEstimator:
    """scikit-learn style ``get_params`` / ``set_params`` without depending on scikit-learn."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters of this estimator, as passed to ``__init__``."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any):
        """Set parameters; returns ``self``."""
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
        }
        changed = [
            f"{k}={v!r}" for k, v in self.get_params().items()
            if not (k in defaults and _same(defaults[k], v))
        ]
        return f"{type(self).__name__}({', '.join(changed)})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # noqa: BLE001 - arrays and odd objects are simply "different"
        return a is b


class SGNSModel(BaseEstimator):
    """Common parameters of every SGNS estimator (see :class:`embedkit.Word2Vec` for docs)."""

    #: Unit shown in progress bars and logs ("word", "node", "k-mer").
    _unit = "word"

    def __init__(
        self,
        dim: int = 100,
        window: int = 5,
        negative: int = 5,
        epochs: int = 5,
        lr: float = 0.025,
        min_lr: float = 1e-4,
        min_count: int = 5,
        max_vocab_size: int | None = None,
        subsample: float = 1e-3,
        sg: bool = True,
        sampler: str | NegativeSampler = "unigram",
        ns_exponent: float = 0.75,
        shrink_window: bool = True,
        shared_negatives: bool = True,
        cbow_mean: bool = True,
        compute_loss: bool = True,
        threads: int | None = None,
        parallel: str = "hogwild",
        random_state: int | np.random.Generator | None = None,
        progress: bool = True,
        objective: str = "ns",
    ) -> None:
        self.dim = dim
        self.window = window
        self.negative = negative
        self.epochs = epochs
        self.lr = lr
        self.min_lr = min_lr
        self.min_count = min_count
        self.max_vocab_size = max_vocab_size
        self.subsample = subsample
        self.sg = sg
        self.sampler = sampler
        self.ns_exponent = ns_exponent
        self.shrink_window = shrink_window
        self.shared_negatives = shared_negatives
        self.cbow_mean = cbow_mean
        self.compute_loss = compute_loss
        self.threads = threads
        self.parallel = parallel
        self.random_state = random_state
        self.progress = progress
        self.objective = objective

    # -- validation -------------------------------------------------------------------------
    def _engine_config(self) -> EngineConfig:
        lr = check_float("lr", self.lr, 0.0, low_open=True)
        min_lr = check_float("min_lr", self.min_lr, 0.0)
        if min_lr > lr:
            raise ValueError(f"min_lr ({min_lr}) must not exceed lr ({lr})")
        return EngineConfig(
            dim=check_int("dim", self.dim, 1),
            window=check_int("window", self.window, 1),
            negative=check_int("negative", self.negative, 0),
            sg=bool(self.sg),
            shrink_window=bool(self.shrink_window),
            shared_negatives=bool(self.shared_negatives),
            cbow_mean=bool(self.cbow_mean),
            lr=lr,
            min_lr=min_lr,
            epochs=check_int("epochs", self.epochs, 1),
            compute_loss=bool(self.compute_loss),
            objective=self._check_objective(),
            parallel=self._check_parallel(),
        )

    def _check_parallel(self) -> str:
        from embedkit.engine.blocks import PARALLEL_MODES

        if self.parallel not in PARALLEL_MODES:
            raise ValueError(f"parallel must be one of {PARALLEL_MODES}, got {self.parallel!r}")
        return str(self.parallel)

    def _check_objective(self) -> str:
        return check_objective(self.objective, sg=bool(self.sg))

    def _resolve_sampler(self) -> NegativeSampler:
        if isinstance(self.sampler, str) and self.sampler == "unigram":
            return get_sampler("unigram", power=check_float(
                "ns_exponent", self.ns_exponent, -np.inf, np.inf))
        return get_sampler(self.sampler)

    def _build_vocab_options(self) -> float:
        check_int("min_count", self.min_count, 0)
        if self.max_vocab_size is not None:
            check_int("max_vocab_size", self.max_vocab_size, 1)
        return check_float("subsample", self.subsample, 0.0, 1.0)

    def _build_vocab(self, generator: ContextGenerator) -> Vocab:
        subsample = self._build_vocab_options()
        return generator.build_vocab(
            min_count=self.min_count, max_vocab_size=self.max_vocab_size, subsample=subsample
        )

    # -- the shared fit path ----------------------------------------------------------------
    def _make_generator(self, data) -> ContextGenerator:
        """The context generator for ``data`` (each estimator defines it)."""
        raise NotImplementedError

    def _record_generator(self, generator: ContextGenerator) -> None:
        """Hook: copy facts about the data from the generator after fitting."""

    def make_generator(self, data) -> ContextGenerator:
        """The context generator ``fit(data)`` trains on (not yet counted or walked)."""
        return self._make_generator(data)

    def _fit_data(self, data, *, client=None, **distributed_options):
        """``fit`` for every estimator: one process, or Dask block rotation with a client."""
        self._engine_config()  # validate engine parameters before any data work
        callbacks = distributed_options.pop("callbacks", None)
        generator = self.make_generator(data)
        try:
            return self.fit_generator(generator, client=client, callbacks=callbacks,
                                      **distributed_options)
        finally:
            close = getattr(generator, "close", None)
            if callable(close):  # e.g. a TextCorpus's on-disk id stream
                close()

    def fit_generator(self, generator: ContextGenerator, *, client=None, trainer=None,
                      callbacks=None, **distributed_options):
        """Train on ``generator`` and set the fitted attributes; returns ``self``.

        Parameters
        ----------
        generator : ContextGenerator
            Any context generator (text, walks, k-mers, metapath walks, your own).
        client : dask.distributed.Client, optional
            Train on a Dask cluster (:func:`embedkit.distributed.fit_distributed`).
        trainer : callable, optional
            The distributed trainer (default ``fit_distributed``; e.g.
            :func:`embedkit.distributed.fit_averaging`).
        callbacks : list, optional
            Objects with optional ``on_train_begin(model)``, ``on_epoch_end(model, stats)``
            (returning True stops after that epoch) and ``on_train_end(model)``
            (see :mod:`embedkit.callbacks`); one process only.
        **distributed_options
            ``blocks``, ``shards``, ``sub_epochs``, ``cache_bytes``, ``callback``, ... of the
            distributed trainer (only with ``client``).
        """
        if not isinstance(generator, ContextGenerator):
            raise TypeError(
                "generator must implement the ContextGenerator protocol (build_vocab, "
                f"tokens_per_epoch, batches), got {type(generator).__name__}"
            )
        config = self._engine_config()
        sampler = self._resolve_sampler()
        bind = getattr(sampler, "for_generator", None)
        if callable(bind):  # a sampler that needs facts of the data (e.g. node types)
            sampler = bind(generator)
        seed = check_random_state(self.random_state)
        if client is None:
            unused = [k for k, v in distributed_options.items() if v is not None]
            if unused or trainer is not None:
                raise ValueError(f"{', '.join(unused) or 'trainer'}= needs a Dask client "
                                 "(client=...)")
            threads = resolve_threads(self.threads)
            t0 = time.perf_counter()
            vocab = self._build_vocab(generator)
            vocab_seconds = time.perf_counter() - t0
            logger.info("vocabulary: %d %ss from %d tokens (%.1fs)", len(vocab), self._unit,
                        vocab.n_raw_tokens, vocab_seconds)
            from embedkit.models import continuing

            start = continuing.grow_weights(None, None, len(vocab), config.dim, seed)
            lock = self._warm_start(vocab, start, config.dim)
            self.vocab_seconds_ = vocab_seconds
            continuing.run_schedule(self, generator, vocab, sampler, config, seed=seed,
                                    threads=threads, start=start, lock=lock,
                                    callbacks=continuing.check_callbacks(callbacks))
            self._record_generator(generator)
            return self
        else:
            if callbacks is not None:
                raise ValueError("callbacks= is for one-process training; distributed "
                                 "training takes callback=")
            if getattr(self, "init", None) is not None:
                raise ValueError("init= (warm start) is for one-process training")
            if trainer is None:
                from embedkit.distributed import fit_distributed as trainer
            self._build_vocab_options()
            options = {k: v for k, v in distributed_options.items() if v is not None}
            result = trainer(
                generator, sampler, config, seed=seed, client=client,
                min_count=self.min_count, max_vocab_size=self.max_vocab_size,
                subsample=self.subsample, threads=self.threads, progress=bool(self.progress),
                unit=self._unit, **options,
            )
            W, C, history, vocab = result.W, result.C, result.history, result.vocab
            vocab_seconds = result.vocab_seconds
            if result.plan is not None:
                self.blocks_ = result.plan
            if result.partitions is not None:
                self.partitions_ = result.partitions
        self._set_fitted(vocab, W, C, history, seed=seed, vocab_seconds=vocab_seconds)
        self._record_generator(generator)
        return self

    def _set_fitted(self, vocab: Vocab, W: np.ndarray, C: np.ndarray,
                    history: list[EpochStats], *, seed: int, vocab_seconds: float):
        """Set the fitted attributes (one process or distributed); returns ``self``."""
        from embedkit.embeddings import Embeddings

        self.vocab_ = vocab
        self.embeddings_ = Embeddings(W, vocab.index_to_key, context_vectors=C,
                                      counts=vocab.counts)
        self.epoch_stats_: list[EpochStats] = history
        self.loss_history_ = [st.loss for st in history]
        self.seed_ = seed
        self.training_seconds_ = sum(st.seconds for st in history)
        self.vocab_seconds_ = vocab_seconds
        return self

    def _warm_start(self, vocab: Vocab, start: tuple[np.ndarray, np.ndarray], dim: int
                    ) -> np.ndarray | None:
        """Copy ``init`` rows into the padded ``start`` weights; the lock mask or None."""
        init = getattr(self, "init", None)
        self.lock_ = None
        if init is None:
            if getattr(self, "freeze_init", False):
                raise ValueError("freeze_init=True needs init=")
            return None
        from embedkit.models.continuing import warm_rows

        ids, rows, ctx, mask = warm_rows(vocab, init, dim)
        start[0][ids, :dim] = rows
        if ctx is not None:
            start[1][ids, :dim] = ctx
        logger.info("warm start: %d of %d %ss from init", ids.size, len(vocab), self._unit)
        if getattr(self, "freeze_init", False):
            self.lock_ = mask
            return mask
        return None

    def partial_fit(self, data, y=None, *, epochs: int | None = None, lr: float | None = None,
                    callbacks=None):
        """Continue training the fitted vectors on new ``data``; returns ``self``.

        The vocabulary grows: existing ids and rows stay, counts add up, and tokens not yet
        known that occur at least ``min_count`` times **in the new data** get new rows at the
        end, initialised as a fresh fit's. Keep probabilities and negative-sampling tables come
        from the combined counts. The learning rate runs its schedule again from ``lr``
        (default: the model's) to ``min_lr`` over ``epochs`` (default: the model's) epochs of
        the new data. ``loss_history_`` and ``epoch_stats_`` are extended, and with one thread
        and a seed ``fit(A)`` then ``partial_fit(B)`` is bit-identical run to run.

        Parameters
        ----------
        data
            New data of the kind ``fit`` takes.
        y : ignored
        epochs : int, optional
        lr : float, optional
        callbacks : list, optional
            As for ``fit``.

        Returns
        -------
        self
        """
        from embedkit.models.continuing import continue_fit

        return continue_fit(self, data, epochs=epochs, lr=lr, callbacks=callbacks)

    def resume(self, data, *, callbacks=None):
        """Finish a training round a checkpoint interrupted, on the same ``data``.

        With one thread and a seed the result is bit-identical to the uninterrupted run.
        """
        from embedkit.models.continuing import continue_fit

        return continue_fit(self, data, callbacks=callbacks, resume=True)

    @property
    def epochs_done_(self) -> int:
        """Epochs trained so far, over ``fit`` and every ``partial_fit``."""
        self._check_fitted()
        return len(self.epoch_stats_)

    def save_model(self, path) -> None:
        """Save what continuing needs (see :mod:`embedkit.models.saving`), atomically.

        Every estimator has it (``Kmer2Vec.save`` writes vectors and k-mer settings instead);
        :class:`embedkit.callbacks.Checkpoint` uses it.
        """
        from embedkit.models.saving import save_model

        save_model(self, path)

    @classmethod
    def load_model(cls, path):
        """Load a model saved by :meth:`save_model` (never unpickles); ready to continue."""
        from embedkit.models.saving import load_model

        return load_model(cls, path)

    def save(self, path) -> None:
        """Save what continuing needs, atomically (:meth:`save_model`)."""
        self.save_model(path)

    @classmethod
    def load(cls, path):
        """Load a model saved by :meth:`save` (never unpickles); ready to continue."""
        return cls.load_model(path)

    @property
    def wv(self):
        """gensim-style alias of :attr:`embeddings_`."""
        self._check_fitted()
        return self.embeddings_

    def _check_fitted(self) -> None:
        if not hasattr(self, "embeddings_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit() first")
