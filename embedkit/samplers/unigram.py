"""Frequency-based negative samplers: unigram^power and uniform."""

from __future__ import annotations

import numpy as np

from embedkit.samplers.base import ModelState, SamplerTables, make_tables
from embedkit.vocab import Vocab

__all__ = ["Unigram", "Uniform"]


class Unigram:
    """Negatives drawn from ``P(w) ∝ count(w) ** power`` (word2vec uses power = 0.75).

    Any real ``power`` is accepted: 0 is uniform, 1 the raw unigram distribution, and negative
    powers favour rare tokens. Draws are O(1) from a Vose alias table.

    Parameters
    ----------
    power : float, default 0.75

    Examples
    --------
    >>> from embedkit.vocab import Vocab
    >>> t = Unigram(0.75).tables(Vocab(["a", "b"], [16, 1]))
    >>> t.alias_prob.shape
    (2,)
    """

    refresh_every = None

    def __init__(self, power: float = 0.75) -> None:
        self.power = power

    def weights(self, vocab: Vocab) -> np.ndarray:
        """Unnormalised sampling weight of each id."""
        power = float(self.power)
        if not np.isfinite(power):
            raise ValueError(f"power must be a finite real number, got {self.power}")
        return np.power(vocab.counts.astype(np.float64), power)

    def tables(self, vocab: Vocab, model: ModelState | None = None) -> SamplerTables:
        return make_tables(self.weights(vocab))

    def __repr__(self) -> str:
        return f"Unigram(power={self.power})"


class Uniform(Unigram):
    """Negatives drawn uniformly from the vocabulary (``Unigram(power=0)``)."""

    def __init__(self) -> None:
        super().__init__(power=0.0)

    def __repr__(self) -> str:
        return "Uniform()"
