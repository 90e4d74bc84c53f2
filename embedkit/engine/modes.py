"""Markers that select, at compile time, what a kernel does: its window update and its negatives.

A training kernel takes a :class:`Mode` as its first argument. Each marker is its own type, so
Numba compiles one specialisation per mode and every specialisation contains only the code its
mode runs: a skip-gram fit never compiles CBOW, per-pair or softmax code, and a plain unigram
sampler never compiles the candidate-list and pool code. (Numba types a NamedTuple by its class,
which pickles by reference, so these specialisations are cached on disk like any other.)
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["SgShared6", "SgShared", "SgPairs", "Cbow", "Softmax", "Nce", "PlainNegatives",
           "TableNegatives", "Mode",
           "SubwordsSg", "SubwordsSgShared", "SubwordsCbow"]
__all__ += ["Locked"]
__all__ += ["SgPairs6"]


class SgShared6(NamedTuple):
    """Skip-gram, shared negatives, k = 5: the 16-lane vectorised window (the default)."""

    code: int = 1


class SgShared(NamedTuple):
    """Skip-gram, one set of k negatives shared by a window's contexts (any k)."""

    code: int = 2


class SgPairs(NamedTuple):
    """Skip-gram, k negatives drawn per (context, centre) pair, as word2vec.c."""

    code: int = 3


class SgPairs6(NamedTuple):
    """Skip-gram, per-pair negatives, k = 5, plain negatives: the fused path (graphs, k-mers)."""

    code: int = 8


class Cbow(NamedTuple):
    """CBOW: the mean (or sum) of the context vectors predicts the centre."""

    code: int = 4


class Softmax(NamedTuple):
    """Full-softmax skip-gram (exact normalisation over the vocabulary)."""

    code: int = 5


class Nce(NamedTuple):
    """Noise-contrastive estimation skip-gram (the sampler's base table is the noise)."""

    code: int = 6


class Locked(NamedTuple):
    """Skip-gram, shared negatives, with frozen input rows (:mod:`embedkit.engine.locked`)."""

    code: int = 7


class SubwordsSg(NamedTuple):
    """Skip-gram on subword rows: a centre's input is the mean of its rows (fastText).

    Token ``t``'s input rows are ``rows[indptr[t]:indptr[t + 1]]`` of W (a CSR table built once
    from the vocabulary, :func:`embedkit.subwords.subword_table`); the marker carries it to the
    window function (:mod:`embedkit.engine.subword_windows`).
    """

    indptr: object  # int64 (n_vocab + 1,)
    rows: object  # int32 (nnz,)
    table_window = True  # the window function takes the marker (class attribute, not a field)


class SubwordsSgShared(NamedTuple):
    """:class:`SubwordsSg` with one set of k negatives per window (``shared_negatives``)."""

    indptr: object  # int64 (n_vocab + 1,)
    rows: object  # int32 (nnz,)
    table_window = True


class SubwordsCbow(NamedTuple):
    """CBOW on subword rows: the mean of the contexts' (row-mean) inputs predicts the centre."""

    indptr: object  # int64 (n_vocab + 1,)
    rows: object  # int32 (nnz,)
    table_window = True


class PlainNegatives(NamedTuple):
    """Negatives straight from the alias table, drawn one window ahead and prefetched."""

    code: int = 1


class TableNegatives(NamedTuple):
    """Negatives with candidate lists, scored pools or exclusions (hard, spelling samplers)."""

    code: int = 2


class Mode(NamedTuple):
    """A window marker and a negatives marker (instances of the classes above)."""

    window: NamedTuple
    negatives: NamedTuple
