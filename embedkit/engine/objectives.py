"""Registry of training objectives: name -> batch kernel.

Every kernel has the signature of :func:`embedkit.engine.kernels.train_chunks` (weights, batch,
chunk bounds and positions, keep probabilities, :class:`KernelParams`, :class:`SamplerTables`,
per-chunk RNG states, per-chunk statistics) and therefore shares the whole data path: context
generators, subsampling, windows, chunked random streams and the training loop.
Adding an objective is one module plus one line here.
"""

from __future__ import annotations

from collections.abc import Callable

from embedkit.engine.kernels import train_chunks
from embedkit.engine.softmax import train_chunks_nce, train_chunks_softmax

#: name -> kernel. "ns" is skip-gram/CBOW with negative sampling.
OBJECTIVES: dict[str, Callable] = {
    "ns": train_chunks,
    "softmax": train_chunks_softmax,  # full softmax over |V| (small vocabularies)
    "nce": train_chunks_nce,  # noise-contrastive estimation with the sampler as noise
}


def get_objective(name: str) -> Callable:
    """The batch kernel of objective ``name``."""
    try:
        return OBJECTIVES[name]
    except KeyError:
        raise ValueError(
            f"unknown objective {name!r}; choose one of {sorted(OBJECTIVES)}"
        ) from None
