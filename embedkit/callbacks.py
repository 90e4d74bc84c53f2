"""Ready-made training callbacks for ``fit(..., callbacks=[...])`` and ``partial_fit``.

A callback is any object with some of ``on_train_begin(model)``, ``on_epoch_end(model, stats)``
and ``on_train_end(model)``. ``stats`` is the epoch's :class:`~embedkit.engine.train.EpochStats`
(exact float64 loss per positive pair, words, pairs, seconds); during ``on_epoch_end`` the model
is a valid fitted model holding the vectors after that epoch. ``on_epoch_end`` returning
``True`` stops training after that epoch.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any

__all__ = ["Checkpoint", "EarlyStopping", "EvaluateWordPairs"]

logger = logging.getLogger("embedkit")


class EarlyStopping:
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Parameters
    ----------
    monitor : str, default "loss"
        An :class:`EpochStats` attribute (lower is better) or, with ``mode="max"``, e.g. the
        latest score of an :class:`EvaluateWordPairs` given as ``source``.
    patience : int, default 1
        Stop after this many epochs in a row without improvement (0 counts as 1).
    min_delta : float, default 0.0
        The smallest change that counts as an improvement.
    mode : {"min", "max"}, default "min"
    source : object, optional
        Read ``source.scores[-1]`` instead of ``stats.<monitor>``.

    Attributes
    ----------
    best : float
    stopped_epoch : int or None
        Epoch number (``stats.epoch``) after which training stopped.

    Examples
    --------
    >>> from embedkit import Word2Vec
    >>> stop = EarlyStopping(patience=1, min_delta=10.0)
    >>> sents = [["a", "b", "c"]] * 50
    >>> m = Word2Vec(dim=4, min_count=1, epochs=5, subsample=0, progress=False, random_state=0)
    >>> len(m.fit(sents, callbacks=[stop]).loss_history_)
    2
    """

    def __init__(self, monitor: str = "loss", patience: int = 1, min_delta: float = 0.0,
                 mode: str = "min", source: Any = None) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be an int >= 0, got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta!r}")
        self.monitor, self.patience, self.min_delta = monitor, patience, float(min_delta)
        self.mode, self.source = mode, source
        self.best = math.inf if mode == "min" else -math.inf
        self.wait = 0
        self.stopped_epoch: int | None = None

    def on_train_begin(self, model: Any) -> None:
        if self.source is None and self.monitor == "loss" and not getattr(
                model, "compute_loss", True):
            raise ValueError("EarlyStopping(monitor='loss') needs compute_loss=True")
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.stopped_epoch = None

    def on_epoch_end(self, model: Any, stats: Any) -> bool:
        value = (self.source.scores[-1] if self.source is not None
                 else getattr(stats, self.monitor))
        sign = 1.0 if self.mode == "min" else -1.0
        if math.isfinite(value) and sign * (self.best - value) > self.min_delta:
            self.best, self.wait = float(value), 0
            return False
        self.wait += 1
        if self.wait >= max(self.patience, 1):
            self.stopped_epoch = stats.epoch
            logger.info("early stopping after epoch %d (%s best %.4f)", stats.epoch + 1,
                        self.monitor, self.best)
            return True
        return False


class Checkpoint:
    """Save the model (``model.save_model``, atomic) every ``every`` epochs and at the end.

    A checkpoint written in the middle of a round resumes it:
    ``Model.load_model(path).resume(data)``
    gives, with one thread and a seed, the same vectors as the uninterrupted run.

    Parameters
    ----------
    path : str or os.PathLike
        An ``.npz`` file; ``{epoch}`` in it is replaced by the epoch number (1-based).
    every : int, default 1
    """

    def __init__(self, path: str | os.PathLike, every: int = 1) -> None:
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be an int >= 1, got {every!r}")
        self.path, self.every = os.fspath(path), every
        self.saved: list[str] = []

    def _save(self, model: Any, epoch: int) -> None:
        path = self.path.replace("{epoch}", str(epoch))
        model.save_model(path)
        self.saved.append(path)

    def on_epoch_end(self, model: Any, stats: Any) -> None:
        if (stats.epoch + 1) % self.every == 0:
            self._save(model, stats.epoch + 1)

    def on_train_end(self, model: Any) -> None:
        last = model.epoch_stats_[-1].epoch + 1 if model.epoch_stats_ else 0
        if not self.saved or not self.saved[-1] == self.path.replace("{epoch}", str(last)):
            self._save(model, last)


class EvaluateWordPairs:
    """Record a word-pair Spearman correlation after every epoch in :attr:`scores`.

    Parameters
    ----------
    pairs : str, os.PathLike or iterable of (word1, word2, score)
        What :func:`embedkit.eval.evaluate_word_pairs` takes (a file or the pairs).
    **options
        Passed on to it.
    """

    def __init__(self, pairs: Any, **options: Any) -> None:
        self.pairs, self.options = pairs, options
        self.scores: list[float] = []

    def on_epoch_end(self, model: Any, stats: Any) -> None:
        from embedkit.eval import evaluate_word_pairs

        result = evaluate_word_pairs(model.embeddings_, self.pairs, **self.options)
        score = getattr(result, "spearman", result)
        if isinstance(score, tuple):
            score = score[0]
        self.scores.append(float(score))
        stats.extra["word_pairs_spearman"] = self.scores[-1]
