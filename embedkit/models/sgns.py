"""``SGNS``: the generic estimator that trains any context generator on the shared engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from embedkit.contexts.base import ContextGenerator
from embedkit.models.base import SGNSModel
from embedkit.samplers.base import NegativeSampler

__all__ = ["SGNS"]


class SGNS(SGNSModel):
    """Skip-gram (or CBOW) with negative sampling on any :class:`ContextGenerator`.

    A new context generator (your own walks, pairs made into sequences, ...) needs no estimator
    class of its own: give it to ``SGNS`` and call :meth:`fit`. :class:`~embedkit.Word2Vec`,
    :class:`~embedkit.Node2Vec`, :class:`~embedkit.Kmer2Vec` and :class:`~embedkit.Metapath2Vec`
    are the same machinery with their generator built from their own parameters.

    Parameters
    ----------
    generator : ContextGenerator, callable or None
        The generator to train on; or a factory ``data -> ContextGenerator`` called by
        ``fit(data)``; or None, in which case ``fit(generator)`` takes it.
    dim, window, negative, epochs, lr, min_lr, max_vocab_size, subsample, sg, sampler,
    ns_exponent, shrink_window, shared_negatives, cbow_mean, compute_loss, threads, parallel,
    random_state, progress, objective
        As :class:`~embedkit.Word2Vec`.
    min_count : int, default 1
        Tokens seen fewer times in the counting pass get no vector (1 keeps every token, which
        suits graphs; use 5 for word-like data).
    unit : str, default "token"
        What a token is, in progress bars and logs.

    Attributes
    ----------
    embeddings_, vocab_, loss_history_, epoch_stats_
        As :class:`~embedkit.Word2Vec`.
    generator_ : ContextGenerator
        The generator trained on.

    Examples
    --------
    >>> import networkx as nx
    >>> from embedkit import SGNS
    >>> from embedkit.contexts import RandomWalks
    >>> walks = RandomWalks(nx.karate_club_graph(), walk_length=20, walks_per_node=5)
    >>> model = SGNS(walks, dim=16, epochs=1, random_state=0, progress=False).fit()
    >>> model.embeddings_[0].shape
    (16,)
    """

    def __init__(
        self,
        generator: ContextGenerator | Callable[[Any], ContextGenerator] | None = None,
        dim: int = 100,
        window: int = 5,
        negative: int = 5,
        epochs: int = 5,
        lr: float = 0.025,
        min_lr: float = 1e-4,
        min_count: int = 1,
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
        unit: str = "token",
    ) -> None:
        super().__init__(
            dim=dim, window=window, negative=negative, epochs=epochs, lr=lr, min_lr=min_lr,
            min_count=min_count, max_vocab_size=max_vocab_size, subsample=subsample, sg=sg,
            sampler=sampler, ns_exponent=ns_exponent, shrink_window=shrink_window,
            shared_negatives=shared_negatives, cbow_mean=cbow_mean, compute_loss=compute_loss,
            threads=threads, parallel=parallel, random_state=random_state, progress=progress,
            objective=objective,
        )
        self.generator = generator
        self.unit = unit

    @property
    def _unit(self) -> str:  # type: ignore[override]
        return str(self.unit)

    def fit(self, data: Any = None, y: Any = None, *, client=None, blocks: int | None = None,
            **distributed_options) -> SGNS:
        """Train on the generator.

        Parameters
        ----------
        data : optional
            The input of a generator factory; or the generator itself when ``generator`` is
            None. Must be omitted when ``generator`` is a generator.
        y : ignored
        client : dask.distributed.Client, optional
            Train on a Dask cluster by block rotation (a
            :class:`~embedkit.contexts.base.Shardable` generator is counted and streamed
            shard by shard, any other as one shard).
        blocks : int, optional
            Vocabulary blocks for distributed training (default: the number of workers).
        **distributed_options
            Further options of :func:`embedkit.distributed.fit_distributed`.

        Returns
        -------
        self
        """
        return self._fit_data(data, client=client, blocks=blocks, **distributed_options)

    def _make_generator(self, data: Any) -> ContextGenerator:
        g = self.generator
        if g is None:
            if data is None:
                raise TypeError("SGNS needs a generator: SGNS(generator=...) or fit(generator)")
            g, data = data, None
        if isinstance(g, ContextGenerator):
            if data is not None:
                raise TypeError("fit(data) with SGNS(generator=<a generator>): the generator "
                                "already holds the data; call fit() or pass a factory")
            return g
        if callable(g):
            made = g(data)
            if not isinstance(made, ContextGenerator):
                raise TypeError(
                    "the generator factory must return a ContextGenerator (build_vocab, "
                    f"tokens_per_epoch, batches), got {type(made).__name__}"
                )
            return made
        raise TypeError(
            "generator must be a ContextGenerator (build_vocab, tokens_per_epoch, batches) or a "
            f"factory returning one, got {type(g).__name__}"
        )

    def _record_generator(self, generator: ContextGenerator) -> None:
        self.generator_ = generator
