"""Subword (character n-gram) vectors, as fastText: hashing, n-gram tables and query vectors."""

from embedkit.subwords.hashing import ft_hash, ngram_rows, ngrams, subword_table
from embedkit.subwords.vectors import SubwordEmbeddings

__all__ = ["ft_hash", "ngrams", "ngram_rows", "subword_table", "SubwordEmbeddings"]
