"""Evaluation of embeddings: words (similarity, analogies), graphs (node classification, link
prediction) and k-mers (sequence classification, agreement with alignment).

Graph and k-mer evaluation use scikit-learn (the ``eval`` extra), imported when first needed.
"""

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
    "EDGE_OPERATORS",
    "AgreementResult",
    "AnalogyResult",
    "RCConsistencyResult",
    "SimilarityResult",
    "SupportsWordVectors",
    "alignment_score",
    "analogy_scores",
    "edit_distance",
    "evaluate_analogies",
    "evaluate_sequence_classification",
    "evaluate_word_pairs",
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
