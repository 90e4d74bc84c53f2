"""``Metapath2Vec``: node embeddings of typed graphs from metapath-guided walks."""

from __future__ import annotations

import numbers
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from embedkit.models.sgns import SGNS
from embedkit.rng import check_random_state
from embedkit.samplers.base import NegativeSampler

__all__ = ["Metapath2Vec"]


class Metapath2Vec(SGNS):
    """metapath2vec / metapath2vec++ node embeddings of heterogeneous graphs.

    Dong, Chawla & Swami (2017). Walks follow one or more metapaths, sequences of node types
    such as ``["author", "paper", "venue", "paper", "author"]``
    (:class:`~embedkit.contexts.metapath.MetapathWalks`), and are trained by skip-gram with
    negative sampling on the shared engine. ``sampler="typed"`` draws each negative from the
    nodes of the positive's type (:class:`~embedkit.samplers.TypedUnigram`): metapath2vec++.

    Parameters
    ----------
    metapaths : list of list of type names
        Each starts and ends with the same type; walks repeat it. Walks start from every node
        of a metapath's first type, ``walks_per_node`` per metapath and epoch.
    dim : int, default 128
    walk_length : int, default 100
        Nodes per walk.
    walks_per_node : int, default 10
    window : int, default 7
        The paper's neighbourhood size.
    node_type : str, mapping, pandas Series or path, default "type"
        A networkx node attribute name, ``{node: type}``, or a ``node type`` text file.
    directed, weighted : bool or None
        As :class:`~embedkit.Node2Vec` (``weighted`` walks pick neighbours of the next type in
        proportion to the edge weights).
    batch_walks : int or None
        Walks per batch handed to the engine.
    sampler : str or NegativeSampler, default "unigram"
        ``"unigram"``: metapath2vec; ``"typed"``: metapath2vec++ (negatives of the positive's
        type; not available on Dask).
    negative, epochs, lr, min_lr, min_count, max_vocab_size, subsample, sg, ns_exponent,
    shrink_window, shared_negatives, cbow_mean, compute_loss, threads, parallel, random_state,
    progress, objective
        As :class:`~embedkit.Node2Vec`.

    Attributes
    ----------
    embeddings_ : Embeddings
        Vectors keyed by node label.
    graph_ : Graph
    node_types_ : dict
        Node label -> type.
    unreachable_nodes_ : list
        Labels of start-type nodes without a neighbour of the next type (not walked from).
    vocab_, loss_history_, epoch_stats_
        As :class:`~embedkit.Node2Vec`.

    Examples
    --------
    >>> import networkx as nx
    >>> from embedkit import Metapath2Vec
    >>> G = nx.Graph([("a1", "p1"), ("a2", "p1"), ("p1", "v1"), ("a2", "p2"), ("p2", "v1")])
    >>> nx.set_node_attributes(G, {n: {"a": "author", "p": "paper", "v": "venue"}[n[0]]
    ...                            for n in G}, "type")
    >>> model = Metapath2Vec([["author", "paper", "venue", "paper", "author"]], dim=8,
    ...                      walk_length=9, walks_per_node=2, random_state=0,
    ...                      progress=False).fit(G)
    >>> model.embeddings_["a1"].shape
    (8,)
    """

    def __init__(
        self,
        metapaths: Sequence[Sequence[Hashable]] = (),
        dim: int = 128,
        walk_length: int = 100,
        walks_per_node: int = 10,
        window: int = 7,
        negative: int = 5,
        epochs: int = 1,
        lr: float = 0.025,
        min_lr: float = 1e-4,
        min_count: int = 1,
        max_vocab_size: int | None = None,
        subsample: float = 1e-3,
        sg: bool = True,
        sampler: str | NegativeSampler = "unigram",
        ns_exponent: float = 0.75,
        shrink_window: bool = True,
        shared_negatives: bool = False,
        cbow_mean: bool = True,
        compute_loss: bool = True,
        threads: int | None = None,
        parallel: str = "hogwild",
        random_state: int | np.random.Generator | None = None,
        progress: bool = True,
        node_type: Any = "type",
        directed: bool | None = None,
        weighted: bool | None = None,
        batch_walks: int | None = None,
        objective: str = "ns",
    ) -> None:
        super().__init__(
            None, dim=dim, window=window, negative=negative, epochs=epochs, lr=lr,
            min_lr=min_lr, min_count=min_count, max_vocab_size=max_vocab_size,
            subsample=subsample, sg=sg, sampler=sampler, ns_exponent=ns_exponent,
            shrink_window=shrink_window, shared_negatives=shared_negatives,
            cbow_mean=cbow_mean, compute_loss=compute_loss, threads=threads, parallel=parallel,
            random_state=random_state, progress=progress, objective=objective, unit="node",
        )
        del self.generator, self.unit  # not parameters of Metapath2Vec
        self.metapaths = metapaths
        self.walk_length = walk_length
        self.walks_per_node = walks_per_node
        self.node_type = node_type
        self.directed = directed
        self.weighted = weighted
        self.batch_walks = batch_walks

    _unit = "node"  # type: ignore[assignment]

    def partial_fit(self, data: Any, y: Any = None, **options: Any):
        """Not supported: typed negative tables and metapath walks are not grown; refit."""
        raise NotImplementedError("Metapath2Vec cannot continue training yet (its typed "
                                  "negative tables are built per fit); call fit() on the "
                                  "whole graph")

    def fit(self, graph: Any, y: Any = None, *, client=None, blocks: int | None = None,
            **distributed_options) -> Metapath2Vec:
        """Learn node vectors from a typed graph.

        Parameters
        ----------
        graph : networkx graph, or any input of :func:`embedkit.contexts.graph.as_graph`
            Nodes need a type (see ``node_type``).
        y : ignored
        client : dask.distributed.Client, optional
            Train on a Dask cluster (walks are sharded by start node, like node2vec walks).
        blocks : int, optional
            Vocabulary blocks for distributed training.
        **distributed_options
            Further options of :func:`embedkit.distributed.fit_distributed`.

        Returns
        -------
        self
        """
        return self._fit_data(graph, client=client, blocks=blocks, **distributed_options)

    def _count_seed(self) -> int:
        rs = self.random_state
        if isinstance(rs, numbers.Integral) and not isinstance(rs, bool):
            return check_random_state(rs)
        return check_random_state(None)

    def _make_generator(self, graph: Any):
        from embedkit.contexts.metapath import MetapathWalks

        return MetapathWalks(
            graph, self.metapaths, node_type=self.node_type, walk_length=self.walk_length,
            walks_per_node=self.walks_per_node, directed=self.directed, weighted=self.weighted,
            batch_walks=self.batch_walks, count_seed=self._count_seed(),
            progress=bool(self.progress),
        )

    def _record_generator(self, walks) -> None:
        self.graph_ = walks.graph
        self.node_types_ = walks.node_types()
        self.unreachable_nodes_ = [walks.graph.labels[i] for i in walks.unreachable]
