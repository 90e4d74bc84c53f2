"""Negative samplers: plug-ins that compile to :class:`SamplerTables` for the engine.

Add a sampler by writing one module with a class that satisfies
:class:`~embedkit.samplers.base.NegativeSampler` and one line in :data:`SAMPLERS`.
"""

from __future__ import annotations

from collections.abc import Callable

from embedkit.samplers.base import (
    ModelState,
    NegativeSampler,
    SamplerTables,
    alias_probabilities,
    build_alias_table,
    make_tables,
)
from embedkit.samplers.hard import HardNegative
from embedkit.samplers.spelling import SpellingAware
from embedkit.samplers.typed import TypedUnigram
from embedkit.samplers.unigram import Uniform, Unigram

#: Registry: name -> factory taking keyword options.
SAMPLERS: dict[str, Callable[..., NegativeSampler]] = {
    "unigram": Unigram,
    "uniform": Uniform,
    "hard": HardNegative,
    "spelling": SpellingAware,
    "typed": TypedUnigram,  # negatives of the positive's node type (metapath2vec++)
}


def get_sampler(sampler: str | NegativeSampler, **options) -> NegativeSampler:
    """Resolve ``sampler`` (a registry name or a sampler object) to a sampler object.

    Examples
    --------
    >>> get_sampler("unigram", power=0.5)
    Unigram(power=0.5)
    """
    if isinstance(sampler, str):
        try:
            factory = SAMPLERS[sampler]
        except KeyError:
            raise ValueError(
                f"unknown sampler {sampler!r}; choose one of {sorted(SAMPLERS)} "
                "or pass a sampler object"
            ) from None
        return factory(**options)
    if not callable(getattr(sampler, "tables", None)):
        raise TypeError(
            "sampler must be a registry name or an object with a tables(vocab, model) method, "
            f"got {type(sampler).__name__}"
        )
    return sampler


__all__ = [
    "SAMPLERS",
    "get_sampler",
    "ModelState",
    "NegativeSampler",
    "SamplerTables",
    "HardNegative",
    "SpellingAware",
    "TypedUnigram",
    "Uniform",
    "Unigram",
    "alias_probabilities",
    "build_alias_table",
    "make_tables",
]
