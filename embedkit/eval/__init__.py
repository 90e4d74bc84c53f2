"""Evaluation of embeddings: words (similarity, analogies), graphs (node classification, link
prediction) and k-mers (sequence classification, agreement with alignment).

Graph and k-mer evaluation use scikit-learn (the ``eval`` extra), imported when first needed.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from embedkit.eval.graphs import (
        EDGE_OPERATORS,
        link_prediction,
        node_classification,
        read_node_labels,
        split_edges,
    )
    from embedkit.eval.kmers import (
        AgreementResult,
        RCConsistencyResult,
        alignment_score,
        edit_distance,
        evaluate_sequence_classification,
        kmer_similarity_agreement,
        levenshtein_distance,
        reverse_complement_consistency,
    )
    from embedkit.eval.unseen import (
        HeldOutPairsResult,
        UnseenInflectionResult,
        drop_words,
        evaluate_heldout_pairs,
        evaluate_unseen_inflections,
        inflection_holdout,
    )
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

#: Where each public name lives; the submodule (and pandas, scipy, scikit-learn with it) is
#: imported on first use, so ``import embedkit`` stays light (PEP 562 module ``__getattr__``).
_SOURCES = {
    "EDGE_OPERATORS": "graphs",
    "link_prediction": "graphs",
    "node_classification": "graphs",
    "read_node_labels": "graphs",
    "split_edges": "graphs",
    "AgreementResult": "kmers",
    "RCConsistencyResult": "kmers",
    "alignment_score": "kmers",
    "edit_distance": "kmers",
    "evaluate_sequence_classification": "kmers",
    "kmer_similarity_agreement": "kmers",
    "levenshtein_distance": "kmers",
    "reverse_complement_consistency": "kmers",
    "AnalogyResult": "words",
    "SimilarityResult": "words",
    "SupportsWordVectors": "words",
    "analogy_scores": "words",
    "evaluate_analogies": "words",
    "evaluate_word_pairs": "words",
    "read_analogy_questions": "words",
    "read_word_pairs": "words",
    "HeldOutPairsResult": "unseen",
    "UnseenInflectionResult": "unseen",
    "drop_words": "unseen",
    "evaluate_heldout_pairs": "unseen",
    "evaluate_unseen_inflections": "unseen",
    "inflection_holdout": "unseen",
}


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'embedkit.eval' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"embedkit.eval.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SOURCES))


__all__ = [
    "EDGE_OPERATORS",
    "AgreementResult",
    "AnalogyResult",
    "HeldOutPairsResult",
    "RCConsistencyResult",
    "SimilarityResult",
    "SupportsWordVectors",
    "UnseenInflectionResult",
    "alignment_score",
    "analogy_scores",
    "drop_words",
    "edit_distance",
    "evaluate_analogies",
    "evaluate_heldout_pairs",
    "evaluate_sequence_classification",
    "evaluate_unseen_inflections",
    "evaluate_word_pairs",
    "inflection_holdout",
    "kmer_similarity_agreement",
    "levenshtein_distance",
    "link_prediction",
    "node_classification",
    "read_analogy_questions",
    "read_node_labels",
    "read_word_pairs",
    "reverse_complement_consistency",
    "split_edges",
]
