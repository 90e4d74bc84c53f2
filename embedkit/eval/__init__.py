"""Intrinsic evaluation of embeddings (word similarity and analogies)."""

from embedkit.eval.words import (
    AnalogyResult,
    SimilarityResult,
    SupportsWordVectors,
    analogy_scores,
    evaluate_analogies,
    evaluate_word_pairs,
    read_analogy_questions,
    read_word_pairs,
)

__all__ = [
    "AnalogyResult",
    "SimilarityResult",
    "SupportsWordVectors",
    "analogy_scores",
    "evaluate_analogies",
    "evaluate_word_pairs",
    "read_analogy_questions",
    "read_word_pairs",
]
