"""Context generators: raw data -> vocabulary + stream of id sequences."""

from embedkit.contexts.base import ContextGenerator, SeqBatch, make_batch

__all__ = ["ContextGenerator", "SeqBatch", "make_batch"]
