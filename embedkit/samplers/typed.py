"""Negatives of the positive's own type: the metapath2vec++ sampler for typed graphs.

metapath2vec++ (Dong et al. 2017) draws the negatives of a pair ``(v, c)`` from the nodes of
``c``'s type only, ``P_t(u) ∝ count(u) ** power`` over the nodes ``u`` of type ``t``. In the
engine the positive output-side target of a window is its centre (each (input, output) pair of
a symmetric window is trained in both roles), and a sampler's candidate lists are indexed by that
target (:class:`~embedkit.samplers.base.SamplerTables`), so ``cand_mix = 1`` with the target's
type as its candidate list is exactly "negatives of the positive's type".

Limits of the current table layout (an engine change would lift them): candidate rows are one
CSR row per vocabulary id, drawn uniformly. Rows cannot be shared between the ids of one type,
so every id carries a copy of its type's list (memory ``~ resolution * sum_t |t|**2`` ids), and
weights within a type are expressed by repeating ids in proportion to their weight (each id at
least once, so the distribution is quantised to steps of ``1 / (resolution * |t|)``;
``power = 0`` is exact with ``resolution = 1``). A per-target row index plus per-row alias tables
in :class:`SamplerTables` would make it exact in O(V + sum_t |t|) memory.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np

from embedkit.samplers.base import ModelState, SamplerTables, make_tables
from embedkit.validation import check_float, check_int
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
    resolution : int, default 8
        Candidate-list entries per node of a type (see the module docstring); ignored for
        ``power = 0``, which is exact.
    max_entries : int, default 2**27
        Refuse to build candidate lists with more entries than this (about 4 bytes each).

    Examples
    --------
    >>> from embedkit.vocab import Vocab
    >>> s = TypedUnigram({"a1": "A", "a2": "A", "p1": "P"}, power=0.0)
    >>> t = s.tables(Vocab(["a1", "p1", "a2"], [3, 2, 1]))
    >>> t.cand_mix, t.cand_ids[t.cand_indptr[0]:t.cand_indptr[1]].tolist()
    (1.0, [0, 2])
    """

    refresh_every = None

    def __init__(self, node_types: Mapping[Hashable, Hashable] | None = None, *,
                 power: float = 0.75, resolution: int = 8, max_entries: int = 2**27) -> None:
        self.node_types = node_types
        self.power = power
        self.resolution = resolution
        self.max_entries = max_entries

    def for_generator(self, generator: Any) -> TypedUnigram:
        """This sampler with the node types of ``generator`` (if it has none of its own)."""
        if self.node_types is not None or not callable(getattr(generator, "node_types", None)):
            return self
        return TypedUnigram(generator.node_types(), power=self.power,
                            resolution=self.resolution, max_entries=self.max_entries)

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
        resolution = check_int("resolution", self.resolution, 1)
        codes = self.type_codes(vocab)
        weights = np.power(vocab.counts.astype(np.float64), power)
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0, True])
        lists: dict[int, np.ndarray] = {}
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            members = order[a:b]
            if power == 0.0:
                reps = np.ones(members.size, dtype=np.int64)
            else:
                p = weights[members] / weights[members].sum()
                reps = np.maximum(1, np.rint(p * resolution * members.size)).astype(np.int64)
            lists[int(codes[members[0]])] = np.repeat(members, reps).astype(np.int32)
        sizes = np.array([lists[int(c)].size for c in codes], dtype=np.int64)
        total = int(sizes.sum())
        if total > check_int("max_entries", self.max_entries, 1):
            raise ValueError(
                f"per-type candidate lists would hold {total} entries (> max_entries="
                f"{self.max_entries}): the sampler tables keep one list per node, so memory "
                "grows with the square of a type's size; lower resolution or use power=0"
            )
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        ids = np.empty(total, dtype=np.int32)
        for c, members in lists.items():
            for i in np.flatnonzero(codes == c):
                ids[indptr[i]:indptr[i + 1]] = members
        return make_tables(weights, cand_indptr=indptr, cand_ids=ids, cand_mix=1.0)

    def __repr__(self) -> str:
        n = "None" if self.node_types is None else f"<{len(self.node_types)} nodes>"
        return f"TypedUnigram(node_types={n}, power={self.power})"
