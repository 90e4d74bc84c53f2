"""Context generators: raw data -> vocabulary + stream of id sequences.

A new generator is one module implementing :class:`ContextGenerator` plus one export here.
"""

from embedkit.contexts.base import ContextGenerator, SeqBatch, make_batch
from embedkit.contexts.fasta import SequenceRecord, read_sequences
from embedkit.contexts.graph import Graph, as_graph, read_edgelist
from embedkit.contexts.kmers import KmerCorpus
from embedkit.contexts.text import TextCorpus, default_tokenizer
from embedkit.contexts.walks import RandomWalks

__all__ = [
    "ContextGenerator",
    "Graph",
    "KmerCorpus",
    "RandomWalks",
    "SeqBatch",
    "SequenceRecord",
    "TextCorpus",
    "as_graph",
    "default_tokenizer",
    "make_batch",
    "read_edgelist",
    "read_sequences",
]
