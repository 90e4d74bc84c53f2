"""Deliberately broken training, for the controls of the end-to-end quality tests.

A quality test ("the model scores above T") proves something only if a model that learned
nothing real scores below ``T``. :func:`broken` trains every estimator fitted inside it in one
of four broken ways, without touching the Numba kernels or the public API; it patches the
shared fit path of :class:`embedkit.models.base.SGNSModel` (so estimators that fit copies of
themselves, like ``link_prediction`` or ``compare_samplers``, are broken too):

``"flipped"``
    The gradient's sign reversed: the learning rate is negated (``lr -> -lr``,
    ``min_lr -> -min_lr``), so every step climbs the loss instead of descending it.
``"no_negatives"``
    ``negative = 0``: only positive pairs pull, nothing pushes unrelated items apart.
``"shuffled"``
    Every batch's ids are permuted across the batch (sequence lengths kept): the
    co-occurrences are random, only the frequencies are left.
``"frozen"``
    ``lr = min_lr = 0``: nothing learns; the vectors stay at their random initialisation.

A run whose vectors overflow ends in ``FloatingPointError`` (the engine's divergence check);
:func:`score_or_fail` turns that into a failing score.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from unittest import mock

import numpy as np

from embedkit.contexts.base import SeqBatch
from embedkit.models.base import SGNSModel

__all__ = ["CONTROLS", "ENGINE", "ShuffledBatches", "broken", "check_quality", "group_separation",
           "final_losses", "mean_cosine", "neighbour_auc", "score_or_fail", "topic_corpus"]

CONTROLS = ("flipped", "no_negatives", "shuffled", "frozen")
#: Parameter values of a quality test: the real engine first, then the four controls.
ENGINE = ("engine", *CONTROLS)


class ShuffledBatches:
    """A context generator streaming ``inner``'s batches with their ids permuted.

    The vocabulary (counts) and the sequence lengths are ``inner``'s; the permutation is a
    fixed function of ``(epoch, batch)``, so a run stays reproducible.
    """

    def __init__(self, inner) -> None:
        self.inner = inner

    def __getattr__(self, name):  # build_vocab, tokens_per_epoch, graph, isolated, ...
        return getattr(self.inner, name)

    def batches(self, vocab, *, epoch: int, seed: int) -> Iterator[SeqBatch]:
        for i, batch in enumerate(self.inner.batches(vocab, epoch=epoch, seed=seed)):
            rng = np.random.default_rng([epoch, i])
            yield SeqBatch(rng.permutation(batch.ids), batch.offsets, batch.n_raw)


def _broken_config(kind: str, config):
    if kind == "flipped":
        return dataclasses.replace(config, lr=-config.lr, min_lr=-config.min_lr)
    if kind == "no_negatives":
        return dataclasses.replace(config, negative=0)
    if kind == "frozen":
        return dataclasses.replace(config, lr=0.0, min_lr=0.0)
    return config


@contextmanager
def broken(kind: str):
    """Inside this block every estimator trains broken in the way ``kind`` names."""
    if kind not in CONTROLS:
        raise ValueError(f"unknown control {kind!r}; choose one of {CONTROLS}")
    engine_config = SGNSModel._engine_config
    fit_generator = SGNSModel.fit_generator

    def patched_config(self):
        return _broken_config(kind, engine_config(self))

    def patched_fit(self, generator, *args, **kwargs):
        if kind == "shuffled":
            generator = ShuffledBatches(generator)
        return fit_generator(self, generator, *args, **kwargs)

    with mock.patch.object(SGNSModel, "_engine_config", patched_config), \
            mock.patch.object(SGNSModel, "fit_generator", patched_fit):
        yield


def score_or_fail(fit_and_score: Callable[[], float]) -> float:
    """``fit_and_score()``, or ``-inf`` when the broken run diverged (``FloatingPointError``)."""
    try:
        return float(fit_and_score())
    except FloatingPointError:
        return -math.inf


def check_quality(control: str, fit_and_score: Callable[[], object],
                  passes: Callable[[object], bool]) -> object:
    """The pattern of every quality test with controls.

    ``control == "engine"``: ``fit_and_score()`` with the real engine must satisfy ``passes``.
    Any other ``control``: the same call inside :func:`broken` must not (a run that diverges,
    ``FloatingPointError``, fails loudly and counts as not passing). Returns the scores.
    """
    with nullcontext() if control == "engine" else broken(control):
        try:
            scores = fit_and_score()
        except FloatingPointError:
            if control == "engine":
                raise
            return None
    ok = bool(passes(scores))
    if control == "engine":
        assert ok, f"the engine fails the quality threshold: {scores}"
    else:
        assert not ok, f"the {control!r} control still passes the quality threshold: {scores}"
    return scores


def group_separation(emb, groups: dict) -> float:
    """Mean cosine of two keys in the same group minus mean cosine of keys in different groups.

    About 0 for random vectors, and for collapsed ones (all vectors pointing one way, as
    training without negatives leaves them); below 0 when related keys were pushed apart.
    """
    keys = [k for k in groups if k in emb]
    X = emb[keys].astype(np.float64)
    X /= np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    S = X @ X.T
    g = np.array([groups[k] for k in keys], dtype=object)
    same = g[:, None] == g[None, :]
    off = ~np.eye(len(keys), dtype=bool)
    return float(S[same & off].mean() - S[~same].mean())


def topic_corpus(n_topics: int = 4, words_per_topic: int = 20, n_shared: int = 5,
                 shared_share: float = 0.3, n_sentences: int = 1500, length: int = 10,
                 seed: int = 0) -> tuple[list[list[str]], dict[str, int]]:
    """Sentences each drawn from one topic's words, plus words shared by every topic.

    Returns the sentences and ``word -> topic`` (topic words only). Words of a topic share
    their contexts, so a model that learned co-occurrence separates the topics (see
    :func:`group_separation`); the shared words (a share ``shared_share`` of the tokens, like
    "the" and "of") connect the topics, so a model trained without negatives collapses all
    vectors together instead of separating the topics.
    """
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, words_per_topic + 1)
    p /= p.sum()
    words = [[f"t{t}w{i}" for i in range(words_per_topic)] for t in range(n_topics)]
    shared = [f"s{i}" for i in range(n_shared)]
    sents = []
    for t in rng.integers(0, n_topics, n_sentences):
        sent = list(rng.choice(words[t], size=length, p=p))
        for i in np.flatnonzero(rng.random(length) < shared_share):
            sent[i] = shared[rng.integers(n_shared)]
        sents.append(sent)
    return sents, {w: t for t in range(n_topics) for w in words[t]}


def _normed(emb, keys) -> np.ndarray:
    X = emb[list(keys)].astype(np.float64)
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


def mean_cosine(emb) -> float:
    """Mean cosine between two different keys: near 0 for spread-out vectors, near 1 when
    they collapsed into one direction (training without negatives)."""
    X = _normed(emb, emb.index_to_key)
    n = len(X)
    s = X.sum(axis=0)
    return float((s @ s - n) / (n * (n - 1)))


def neighbour_auc(emb, edges, seed: int = 0) -> float:
    """ROC-AUC of the cosine of an edge's two ends against the cosine of random node pairs.

    0.5 for vectors that know nothing of the graph, below 0.5 when neighbours were pushed apart.
    """
    keys = [k for k in emb.index_to_key]
    pos = [(u, v) for u, v in edges if u != v and u in emb and v in emb]
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(keys), size=(len(pos), 2))
    neg = [(keys[a], keys[b]) for a, b in idx if a != b]

    def cos(pairs):
        A = _normed(emb, [u for u, _ in pairs])
        B = _normed(emb, [v for _, v in pairs])
        return (A * B).sum(axis=1)

    p, q = cos(pos), cos(neg)
    ranks = np.argsort(np.argsort(np.concatenate([p, q]), kind="stable"), kind="stable") + 1
    return float((ranks[: len(p)].sum() - len(p) * (len(p) + 1) / 2) / (len(p) * len(q)))


def final_losses(make: Callable[..., object], data, lr: float = 0.2) -> tuple[float, float]:
    """Last-epoch loss of ``make(lr=lr, min_lr=lr / 1000).fit(data)`` and of the same fit at a
    constant ``lr`` (``min_lr=lr``).

    Linear decay lets the last steps settle: with a large ``lr`` the decayed run ends at a
    clearly lower loss. An engine that ignores the schedule gives both runs the same loss.
    """
    decayed = make(lr=lr, min_lr=lr / 1000).fit(data).loss_history_[-1]
    constant = make(lr=lr, min_lr=lr).fit(data).loss_history_[-1]
    return decayed, constant
