"""Context generators: raw data -> vocabulary + stream of id sequences.

A new generator is one module implementing :class:`ContextGenerator` plus one export here.
"""

from embedkit.contexts.base import ContextGenerator, SeqBatch, make_batch
from embedkit.contexts.text import TextCorpus, default_tokenizer

__all__ = ["ContextGenerator", "SeqBatch", "TextCorpus", "default_tokenizer", "make_batch"]
