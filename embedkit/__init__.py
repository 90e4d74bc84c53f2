"""embedkit: skip-gram negative-sampling embeddings for words, graph nodes and DNA k-mers.

One fast Numba SGNS engine; context generators (text windows, random walks, k-mers) feed it and
pluggable negative samplers choose what gets pushed away.
"""

from embedkit.contexts import ContextGenerator, SeqBatch, TextCorpus
from embedkit.embeddings import Embeddings
from embedkit.models.word2vec import Word2Vec
from embedkit.vocab import Vocab

__version__ = "0.1.0"

__all__ = [
    "ContextGenerator",
    "Embeddings",
    "SeqBatch",
    "TextCorpus",
    "Vocab",
    "Word2Vec",
    "__version__",
]
