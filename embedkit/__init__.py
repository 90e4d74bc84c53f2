"""embedkit: skip-gram negative-sampling embeddings for words, graph nodes and DNA k-mers.

One fast Numba SGNS engine; context generators (text windows, random walks, k-mers) feed it and
pluggable negative samplers choose what gets pushed away.
"""

from embedkit.contexts import (
    ContextGenerator,
    KmerCorpus,
    MetapathWalks,
    RandomWalks,
    SeqBatch,
    TextCorpus,
)
from embedkit.embeddings import Embeddings
from embedkit.models.fasttext import FastText
from embedkit.models.kmer2vec import Kmer2Vec
from embedkit.models.metapath2vec import Metapath2Vec
from embedkit.models.node2vec import DeepWalk, Node2Vec
from embedkit.models.sgns import SGNS
from embedkit.models.word2vec import Word2Vec
from embedkit.samplers import HardNegative, SpellingAware, TypedUnigram, Uniform, Unigram
from embedkit.vocab import Vocab

__version__ = "0.1.0"

__all__ = [
    "ContextGenerator",
    "DeepWalk",
    "Embeddings",
    "FastText",
    "HardNegative",
    "Kmer2Vec",
    "KmerCorpus",
    "Metapath2Vec",
    "MetapathWalks",
    "Node2Vec",
    "RandomWalks",
    "SGNS",
    "SeqBatch",
    "SpellingAware",
    "TextCorpus",
    "TypedUnigram",
    "Uniform",
    "Unigram",
    "Vocab",
    "Word2Vec",
    "__version__",
]
