"""Context generators: raw data -> vocabulary + stream of id sequences.

A new generator is one module implementing :class:`ContextGenerator` plus one export here; it
trains with :class:`embedkit.SGNS` (no new estimator needed), and on Dask shard by shard when it
is :class:`~embedkit.contexts.base.Shardable` (walk generators get both from
:class:`~embedkit.contexts.walk_base.WalkGenerator`).
"""

from embedkit.contexts.base import ContextGenerator, SeqBatch, Shardable, make_batch
from embedkit.contexts.edgelist import read_edgelist
from embedkit.contexts.fasta import SequenceRecord, read_sequences
from embedkit.contexts.graph import Graph, as_graph
from embedkit.contexts.kmers import KmerCorpus
from embedkit.contexts.metapath import MetapathWalks, read_node_types
from embedkit.contexts.text import TextCorpus, default_tokenizer
from embedkit.contexts.walks import RandomWalks

__all__ = [
    "ContextGenerator",
    "Graph",
    "KmerCorpus",
    "MetapathWalks",
    "RandomWalks",
    "SeqBatch",
    "SequenceRecord",
    "Shardable",
    "TextCorpus",
    "as_graph",
    "default_tokenizer",
    "make_batch",
    "read_edgelist",
    "read_node_types",
    "read_sequences",
]
