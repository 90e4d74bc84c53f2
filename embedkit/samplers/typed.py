"""Negatives of the positive's own type: the metapath2vec++ sampler for typed graphs.

metapath2vec++ (Dong et al. 2017) draws the negatives of a pair ``(v, c)`` from the nodes of
``c``'s type only, ``P_t(u) ∝ count(u) ** power`` over the nodes ``u`` of type ``t``. In the
engine the positive output-side target of a window is its centre (each (input, output) pair of
a symmetric window is trained in both roles), and a sampler's candidate lists are indexed by that
target (:class:`~embedkit.samplers.base.SamplerTables`), so ``cand_mix = 1`` with the target's
type as its candidate list is exactly "negatives of the positive's type".

The tables hold one candidate row per type (``cand_row`` maps every id to its type's row) with
a per-row alias table over ``count ** power``: O(V) memory and exact probabilities.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np

from embedkit.samplers.base import ModelState, SamplerTables, make_tables
from embedkit.validation import check_float
from embedkit.vocab import Vocab

__all__ = ["TypedUnigram"]


class TypedUnigram:
    """Unigram^power negatives restricted to the positive's node type (metapath2vec++).

    Parameters
    ----------
    node_types : mapping, optional
        Node label -> type. Optional when the generator knows its node types (e.g.
        :class:`~embedkit.contexts.metapath.MetapathWalks`): estimators then call
        :meth:`for_generator`.
    power : float, default 0.75
        Exponent of the visit counts within a type (0: uniform within the type).

    Examples
    --------
    >>> from embedkit.vocab import Vocab
    >>> s = TypedUnigram({"a1": "A", "a2": "A", "p1": "P"}, power=0.0)
    >>> t = s.tables(Vocab(["a1", "p1", "a2"], [3, 2, 1]))
    >>> row = t.cand_row[0]
    >>> t.cand_mix, t.cand_ids[t.cand_indptr[row]:t.cand_indptr[row + 1]].tolist()
    (1.0, [0, 2])
    """

    refresh_every = None

    def __init__(self, node_types: Mapping[Hashable, Hashable] | None = None, *,
                 power: float = 0.75) -> None:
        self.node_types = node_types
        self.power = power

    def for_generator(self, generator: Any) -> TypedUnigram:
        """This sampler with the node types of ``generator`` (if it has none of its own)."""
        if self.node_types is not None or not callable(getattr(generator, "node_types", None)):
            return self
        return TypedUnigram(generator.node_types(), power=self.power)

    def type_codes(self, vocab: Vocab) -> np.ndarray:
        """Type code of every vocabulary id (codes in first-seen order)."""
        if self.node_types is None:
            raise ValueError("TypedUnigram needs node types: pass node_types={node: type} or "
                             "train on a generator with node types (MetapathWalks)")
        codes = np.empty(len(vocab), dtype=np.int64)
        seen: dict[Hashable, int] = {}
        types = self.node_types
        for i, key in enumerate(vocab.index_to_key):
            if key not in types:
                raise ValueError(f"node {key!r} has no type in node_types")
            codes[i] = seen.setdefault(types[key], len(seen))
        return codes

    def tables(self, vocab: Vocab, model: ModelState | None = None) -> SamplerTables:
        power = check_float("power", self.power, -np.inf, np.inf)
        codes = self.type_codes(vocab)
        weights = np.power(vocab.counts.astype(np.float64), power)
        order = np.argsort(codes, kind="stable")  # the ids of each type, one row per type
        indptr = np.zeros(int(codes.max(initial=-1)) + 2, dtype=np.int64)
        np.cumsum(np.bincount(codes, minlength=indptr.size - 1), out=indptr[1:])
        return make_tables(
            weights, cand_indptr=indptr, cand_ids=order.astype(np.int32), cand_mix=1.0,
            cand_row=codes, cand_weights=None if power == 0.0 else weights[order],
        )

    def __repr__(self) -> str:
        n = "None" if self.node_types is None else f"<{len(self.node_types)} nodes>"
        return f"TypedUnigram(node_types={n}, power={self.power})"
