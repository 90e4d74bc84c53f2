"""``Node2Vec`` and ``DeepWalk``: node embeddings from random walks on the shared SGNS engine."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from embedkit.models.base import SGNSModel
from embedkit.rng import check_random_state
from embedkit.samplers.base import NegativeSampler
from embedkit.validation import check_float, check_int

__all__ = ["Node2Vec", "DeepWalk"]


class Node2Vec(SGNSModel):
    """node2vec node embeddings: biased second-order random walks + skip-gram.

    Walks (Grover & Leskovec 2016) are generated in parallel by Numba kernels and streamed,
    batch by batch, as integer id sequences into the SGNS engine; they are never stored as a
    whole or turned into strings. From node ``v``, reached from ``t``, the walk moves to
    neighbour ``x`` with probability proportional to ``w_vx * a(t, x)``, where ``a = 1/p`` if
    ``x == t``, ``1`` if ``t -> x`` is an edge, ``1/q`` otherwise. ``p = q = 1`` gives
    DeepWalk's first-order walks (see :class:`DeepWalk`); the fast first-order path is then used.

    Parameters
    ----------
    dim : int, default 128
        Vector size.
    walk_length : int, default 80
        Nodes per walk (a walk ending at a node without out-edges is shorter).
    walks_per_node : int, default 10
        Walks started from each node per epoch.
    p : float, default 1.0
        Return parameter: ``1/p`` weights going straight back to the previous node.
    q : float, default 1.0
        In-out parameter: ``1/q`` weights moving away from the previous node
        (``q > 1``: BFS-like, local; ``q < 1``: DFS-like, exploratory).
    window : int, default 10
        Maximum distance between centre and context node within a walk.
    negative : int, default 5
        Negatives per positive.
    epochs : int, default 1
        Walk sets trained on. Every epoch generates a fresh walk set (new random streams),
        so ``epochs=2`` sees as many walks as ``walks_per_node`` doubled, in half the memory.
    lr, min_lr : float, default 0.025, 1e-4
        Linear learning-rate decay over all epochs.
    min_count : int, default 1
        Nodes visited fewer times than this in the counting pass get no vector.
    max_vocab_size : int or None
        Keep only this many most visited nodes.
    subsample : float, default 1e-3
        Frequent-node subsampling threshold, as in word2vec (and gensim's default, which
        PecanPy uses); 0 switches it off. On very small graphs every node is "frequent",
        so consider ``subsample=0``.
    sg : bool, default True
        Skip-gram (True) or CBOW.
    sampler : str or NegativeSampler, default "unigram"
        Negative sampler (see :data:`embedkit.samplers.SAMPLERS`).
    ns_exponent : float, default 0.75
        Power of the unigram noise distribution over node visit counts.
    shared_negatives : bool, default False
        False: k negatives per (centre, context) pair, as word2vec.c, gensim and PecanPy.
        True: one set of k negatives per centre window, reused by all its contexts (faster;
        no measurable macro-F1 difference on debian-deps, Drosophila or a planted partition
        over 3 seeds, but 0.027 lower on a held-out lexical graph; see the README's "Which
        negatives?").
    shrink_window : bool, default False
        Draw each centre's window size from ``1..window`` (word2vec's and gensim's shrinking
        window, which weights a context at distance d by ``(window - d + 1) / window``), or,
        by default, use the full window. On walks the full window is better: node
        classification macro-F1 over 5 seeds, full against shrinking, planted partition 0.663
        against 0.567, debian-deps 0.487 against 0.476, Drosophila 0.499 against 0.491, and
        above PecanPy + gensim (shrinking) on all three; it trains ~1.6x the pairs. Pass
        ``True`` to reproduce gensim-based pipelines pair for pair.
    cbow_mean, compute_loss : bool
        Engine options; see :class:`embedkit.Word2Vec`.
    threads : int or None
        Worker threads (None: all cores).
    parallel : {"hogwild", "blocks", "auto"}, default "hogwild"
        How threads share the model; see :class:`embedkit.Word2Vec`. ``"blocks"`` is faster
        on small graphs and bit-reproducible, but macro-F1 on a planted-partition graph was
        0.669 ± 0.017 against Hogwild's 0.685 ± 0.012 (10 seeds), so graphs default to Hogwild.
    random_state : int, numpy.random.Generator or None
        Seed. Walks depend only on the seed (never on thread count); with ``threads=1`` (or
        ``parallel="blocks"``) the vectors are bit-identical run to run.
    progress : bool, default True
        Show a progress bar.
    directed : bool or None
        ``None``: networkx graphs keep their kind; other inputs are undirected.
    weighted : bool or None
        ``None``: use weights if the input has them; ``False``: walk uniformly.
    batch_walks : int or None
        Walks generated per batch handed to the engine (default: ~2**20 steps).

    Attributes
    ----------
    embeddings_ : Embeddings
        Vectors keyed by the original node labels.
    graph_ : Graph
        The graph in CSR form.
    isolated_nodes_ : list
        Labels of nodes without edges: they are not walked and get no vector (a warning is
        raised when there are any).
    vocab_ : Vocab
        Node visit counts of the counting pass (one epoch of walks).
    loss_history_, epoch_stats_
        Per-epoch training statistics.

    Notes
    -----
    The vocabulary counts come from one counting pass over the first epoch's walks (generated
    and counted in Numba without storing them), i.e. the counts a walk-then-gensim pipeline
    sees. With an integer ``random_state`` they are exactly the visits of the walks trained in
    epoch 1; otherwise an independent walk set of the same distribution is counted.

    Examples
    --------
    >>> import networkx as nx
    >>> from embedkit import Node2Vec
    >>> G = nx.karate_club_graph()
    >>> model = Node2Vec(dim=16, walk_length=20, walks_per_node=5, p=0.5, q=2.0,
    ...                  random_state=0, progress=False).fit(G)
    >>> model.embeddings_[0].shape
    (16,)
    """

    _unit = "node"

    def __init__(
        self,
        dim: int = 128,
        walk_length: int = 80,
        walks_per_node: int = 10,
        p: float = 1.0,
        q: float = 1.0,
        window: int = 10,
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
        shrink_window: bool = False,
        shared_negatives: bool = False,
        cbow_mean: bool = True,
        compute_loss: bool = True,
        threads: int | None = None,
        parallel: str = "hogwild",
        random_state: int | np.random.Generator | None = None,
        progress: bool = True,
        directed: bool | None = None,
        weighted: bool | None = None,
        batch_walks: int | None = None,
        objective: str = "ns",
    ) -> None:
        super().__init__(
            dim=dim, window=window, negative=negative, epochs=epochs, lr=lr, min_lr=min_lr,
            min_count=min_count, max_vocab_size=max_vocab_size, subsample=subsample, sg=sg,
            sampler=sampler, ns_exponent=ns_exponent, shrink_window=shrink_window,
            shared_negatives=shared_negatives, cbow_mean=cbow_mean, compute_loss=compute_loss,
            threads=threads, parallel=parallel, random_state=random_state, progress=progress,
            objective=objective,
        )
        self.walk_length = walk_length
        self.walks_per_node = walks_per_node
        self.p = p
        self.q = q
        self.directed = directed
        self.weighted = weighted
        self.batch_walks = batch_walks

    def _walk_params(self) -> dict[str, Any]:
        return {"p": self.p, "q": self.q}

    def _count_seed(self) -> int:
        """Seed of the counting pass: the integer seed itself (so the counts are the visits of
        epoch 1's walks), one draw from a Generator (reproducible for the same Generator
        state), fresh OS entropy for ``None``."""
        rs = self.random_state
        if isinstance(rs, (numbers.Integral, np.random.Generator)) and not isinstance(rs, bool):
            return check_random_state(rs)
        return check_random_state(None)

    def _make_walks(self, graph: Any):
        from embedkit.contexts.walks import RandomWalks

        wp = self._walk_params()
        return RandomWalks(
            graph,
            walk_length=check_int("walk_length", self.walk_length, 1),
            walks_per_node=check_int("walks_per_node", self.walks_per_node, 1),
            p=check_float("p", wp["p"], 0.0, low_open=True),
            q=check_float("q", wp["q"], 0.0, low_open=True),
            directed=self.directed, weighted=self.weighted, batch_walks=self.batch_walks,
            count_seed=self._count_seed(), progress=bool(self.progress),
        )

    def fit(self, graph: Any, y: Any = None, *, client=None, blocks: int | None = None,
            **distributed_options):
        """Learn node vectors from ``graph``.

        Parameters
        ----------
        graph : networkx graph, scipy.sparse matrix, pandas DataFrame, path or Graph
            Anything :func:`embedkit.contexts.graph.as_graph` accepts (an edge-list path is
            read with :func:`~embedkit.contexts.edgelist.read_edgelist`).
        y : ignored
        client : dask.distributed.Client, optional
            Train on a Dask cluster by block rotation (see :mod:`embedkit.distributed`).
        blocks : int, optional
            Vocabulary blocks for distributed training (default: the number of workers).
        **distributed_options
            Further options of :func:`embedkit.distributed.fit_distributed` (``shards``,
            ``sub_epochs``, ``cache_bytes``, ``callback``); only with ``client``.

        Returns
        -------
        self
        """
        self._engine_config()  # validate engine parameters before any walk work
        return self._fit_data(graph, client=client, blocks=blocks, **distributed_options)

    def _make_generator(self, graph: Any):
        return self._make_walks(graph)

    def _record_generator(self, walks) -> None:
        self.graph_ = walks.graph
        self.isolated_nodes_ = [walks.graph.labels[i] for i in walks.isolated]

    def partial_fit(self, new_edges: Any, y: Any = None, *, hops: int = 1,
                    epochs: int | None = None, lr: float | None = None, callbacks=None):
        """Add edges (and new nodes) to the fitted graph and train near them; returns ``self``.

        The edges are merged into :attr:`graph_` (old node ids unchanged). One round of walks
        (``walks_per_node`` per start node) starts only from the new nodes and the endpoints
        of new edges between old nodes, and from their ``hops``-step neighbourhood (0: only
        those), not from the whole graph; new
        nodes get new rows (initialised as fresh rows) and the learning rate restarts at
        ``lr``. Other options as :meth:`SGNSModel.partial_fit`. A model loaded from a file
        holds no graph: it walks the whole graph ``new_edges`` describes instead.

        Parameters
        ----------
        new_edges
            Edges in any form :func:`embedkit.contexts.graph.as_graph` accepts, e.g. a list of
            ``(u, v)`` or ``(u, v, weight)``.
        y : ignored
        hops : int, default 1
        epochs, lr, callbacks
            As :meth:`SGNSModel.partial_fit`.

        Returns
        -------
        self
        """
        from embedkit.contexts.graph_merge import merge_edges, neighbourhood
        from embedkit.models.continuing import continue_fit

        self._check_fitted()
        if not hasattr(self, "graph_"):  # a loaded model: walk the whole given graph
            walks = self._make_walks(new_edges)
        else:
            merged, new, touched = merge_edges(self.graph_, new_edges)
            walks = self._make_walks(merged)
            near = neighbourhood(merged, np.concatenate((new, touched)), hops)
            walks.start_nodes = np.intersect1d(walks.start_nodes, near)
        return continue_fit(self, None, epochs=epochs, lr=lr, callbacks=callbacks,
                            generator=walks)

    def embed_new_nodes(self, edges: Any) -> dict:
        """Vectors for unseen nodes without training: weighted means of known neighbours.

        Parameters
        ----------
        edges : iterable of (u, v) or (u, v, weight)
            Edges of the new nodes; an edge to a known node adds that node's vector (times the
            weight) to the new node's mean. The model is not changed.

        Returns
        -------
        dict
            ``{new node: float32 vector}`` for every new node with a known neighbour.

        Examples
        --------
        >>> import networkx as nx
        >>> m = DeepWalk(dim=4, walk_length=5, walks_per_node=2, random_state=0,
        ...              progress=False).fit(nx.path_graph(4))
        >>> list(m.embed_new_nodes([("new", 0), ("new", 1)]))
        ['new']
        """
        from embedkit.models.continuing import neighbour_mean

        self._check_fitted()
        return neighbour_mean(self.embeddings_, list(edges))


class DeepWalk(Node2Vec):
    """DeepWalk node embeddings: uniform (or weight-proportional) first-order random walks.

    Perozzi et al. 2014, with negative sampling instead of hierarchical softmax. It is
    :class:`Node2Vec` with ``p = q = 1``, which uses the fast first-order walk kernel
    (an O(1) alias draw per step on weighted graphs). Parameters are those of
    :class:`Node2Vec` without ``p`` and ``q``.

    Examples
    --------
    >>> import networkx as nx
    >>> from embedkit import DeepWalk
    >>> model = DeepWalk(dim=8, walk_length=10, walks_per_node=2, random_state=0,
    ...                  progress=False).fit(nx.path_graph(6))
    >>> sorted(model.embeddings_.index_to_key)
    [0, 1, 2, 3, 4, 5]
    """

    def __init__(
        self,
        dim: int = 128,
        walk_length: int = 80,
        walks_per_node: int = 10,
        window: int = 10,
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
        shrink_window: bool = False,
        shared_negatives: bool = False,
        cbow_mean: bool = True,
        compute_loss: bool = True,
        threads: int | None = None,
        parallel: str = "hogwild",
        random_state: int | np.random.Generator | None = None,
        progress: bool = True,
        directed: bool | None = None,
        weighted: bool | None = None,
        batch_walks: int | None = None,
        objective: str = "ns",
    ) -> None:
        super().__init__(
            dim=dim, walk_length=walk_length, walks_per_node=walks_per_node, p=1.0, q=1.0,
            window=window, negative=negative, epochs=epochs, lr=lr, min_lr=min_lr,
            min_count=min_count, max_vocab_size=max_vocab_size, subsample=subsample, sg=sg,
            sampler=sampler, ns_exponent=ns_exponent, shrink_window=shrink_window,
            shared_negatives=shared_negatives, cbow_mean=cbow_mean, compute_loss=compute_loss,
            threads=threads, parallel=parallel, random_state=random_state, progress=progress,
            directed=directed,
            weighted=weighted, batch_walks=batch_walks, objective=objective,
        )
        del self.p, self.q  # not parameters of DeepWalk (get_params lists __init__ args)

    def _walk_params(self) -> dict[str, Any]:
        return {"p": 1.0, "q": 1.0}
