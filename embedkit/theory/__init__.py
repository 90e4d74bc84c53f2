"""Theory toolkit: why SGNS works, measured with embedkit itself.

* :func:`cooccurrence_matrix`: expected training-pair counts with the engine's exact window and
  subsampling semantics, from any context generator;
* :func:`pmi_matrix`, :func:`ppmi_matrix`, :func:`sppmi_matrix`: (shifted, positive) PMI with
  context-distribution smoothing;
* :func:`svd_embeddings`: truncated SVD of (S)PPMI as :class:`~embedkit.Embeddings`;
* :func:`implicit_matrix_report`, :func:`implicit_spectrum`: how well ``W·Cᵀ`` matches
  ``PMI - log k`` (Levy & Goldberg 2014);
* :class:`ZipfCorpus`, :func:`time_per_update`: synthetic corpora and the O(|V|) vs O(k) timing.
"""

from embedkit.theory.cooccurrence import cooccurrence_matrix, window_weights
from embedkit.theory.implicit import (
    ImplicitReport,
    compare_spectra,
    implicit_matrix_report,
    implicit_pairs,
    implicit_spectrum,
)
from embedkit.theory.pmi import context_distribution, pmi_matrix, ppmi_matrix, sppmi_matrix
from embedkit.theory.svd import svd_embeddings
from embedkit.theory.synthetic import ZipfCorpus, time_per_update

__all__ = [
    "ImplicitReport",
    "ZipfCorpus",
    "compare_spectra",
    "context_distribution",
    "cooccurrence_matrix",
    "implicit_matrix_report",
    "implicit_pairs",
    "implicit_spectrum",
    "pmi_matrix",
    "ppmi_matrix",
    "sppmi_matrix",
    "svd_embeddings",
    "time_per_update",
    "window_weights",
]
