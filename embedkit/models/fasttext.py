"""``FastText``: skip-gram or CBOW on words *and their character n-grams* (Bojanowski et al.)."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

import numpy as np

from embedkit.contexts.base import ContextGenerator
from embedkit.engine.objectives import subword_objective
from embedkit.engine.train import (
    aligned_zeros,
    init_input_rows,
    padded_dim,
    resolve_threads,
    train,
    unpad_rows,
)
from embedkit.models.word2vec import Word2Vec
from embedkit.rng import check_random_state
from embedkit.samplers.base import NegativeSampler
from embedkit.subwords.hashing import subword_table
from embedkit.subwords.vectors import SubwordEmbeddings, word_vectors
from embedkit.validation import check_int

__all__ = ["FastText", "DEFAULT_BUCKETS"]

logger = logging.getLogger(__name__)

#: Default n-gram buckets. fastText uses 2,000,000 (800 MB of float32 input rows at dim 100,
#: ~900 MB with embedkit's cache-line padding); 500,000 keeps the model at ~225 MB. More words
#: then share a bucket: on a few-million-token corpus that costs little, on huge corpora with
#: millions of distinct n-grams pass ``buckets=2_000_000`` (required to use fastText's buckets).
DEFAULT_BUCKETS = 500_000


class FastText(Word2Vec):
    """Word vectors with subword information (fastText): unseen words get vectors too.

    A word's input vector is the mean of its own row and the rows of its character n-grams
    (lengths ``minn..maxn`` of ``<word>``, hashed with fastText's hash into ``buckets`` rows);
    skip-gram (the centre's vector predicts its contexts, as fastText) or CBOW with negative
    sampling trains them, the input gradient going to every row of the word. After fitting,
    :attr:`embeddings_` is a :class:`~embedkit.subwords.SubwordEmbeddings`: ``emb["unseen"]``
    is the mean of the word's n-gram rows.

    Parameters
    ----------
    dim, window, negative, epochs, lr, min_lr, min_count, max_vocab_size, subsample, sg, \
sampler, ns_exponent, shrink_window, threads, random_state, progress, tokenizer, \
max_sentence_length, batch_words, compute_loss
        As :class:`~embedkit.Word2Vec` (``lr`` defaults to 0.05 as fastText's skip-gram).
    shared_negatives : bool, default True
        Skip-gram: one set of ``negative`` negatives per centre window, each counted for all
        of the window's (centre, context) pairs (about twice as fast); ``False`` draws them
        per pair, exactly as fastText.
    minn, maxn : int, default 3, 6
        N-gram lengths in characters; ``maxn=0`` switches subwords off (plain word vectors).
    buckets : int, default 500000
        Hash buckets of the n-grams (see :data:`DEFAULT_BUCKETS`; fastText uses 2,000,000).

    Notes
    -----
    Hogwild threads only (``parallel="hogwild"``), negative sampling only, no Dask training.
    CBOW always averages the contexts (``cbow_mean`` is ignored).

    Examples
    --------
    >>> from embedkit import FastText
    >>> sents = [["the", "cat", "sat"], ["the", "dog", "sat"]] * 50
    >>> m = FastText(dim=8, min_count=1, epochs=1, buckets=1000, random_state=0,
    ...              progress=False).fit(sents)
    >>> m.embeddings_["cats"].shape
    (8,)
    """

    def __init__(
        self,
        dim: int = 100,
        window: int = 5,
        negative: int = 5,
        epochs: int = 5,
        lr: float = 0.05,
        min_lr: float = 1e-4,
        min_count: int = 5,
        max_vocab_size: int | None = None,
        subsample: float = 1e-4,
        sg: bool = True,
        shared_negatives: bool = True,
        minn: int = 3,
        maxn: int = 6,
        buckets: int = DEFAULT_BUCKETS,
        sampler: str | NegativeSampler = "unigram",
        ns_exponent: float = 0.75,
        shrink_window: bool = True,
        compute_loss: bool = True,
        threads: int | None = None,
        random_state: int | np.random.Generator | None = None,
        progress: bool = True,
        tokenizer: None | str | Callable[[str], list[str]] = None,
        max_sentence_length: int | None = None,
        batch_words: int = 100_000,
    ) -> None:
        super().__init__(
            dim=dim, window=window, negative=negative, epochs=epochs, lr=lr, min_lr=min_lr,
            min_count=min_count, max_vocab_size=max_vocab_size, subsample=subsample, sg=sg,
            shared_negatives=shared_negatives, sampler=sampler, ns_exponent=ns_exponent,
            shrink_window=shrink_window,
            compute_loss=compute_loss, threads=threads, random_state=random_state,
            progress=progress, tokenizer=tokenizer, max_sentence_length=max_sentence_length,
            batch_words=batch_words,
        )
        self.minn = minn
        self.maxn = maxn
        self.buckets = buckets

    def _check_subwords(self) -> tuple[int, int, int]:
        minn = check_int("minn", self.minn, 1)
        maxn = check_int("maxn", self.maxn, 0)
        buckets = check_int("buckets", self.buckets, 0)
        if maxn and maxn < minn:
            raise ValueError(f"maxn ({maxn}) must be 0 (no subwords) or >= minn ({minn})")
        if maxn and buckets == 0:
            raise ValueError("buckets must be >= 1 when maxn > 0")
        if buckets >= 2**31 - 2**24:
            raise ValueError(f"buckets must be < {2**31 - 2**24}, got {buckets}")
        return minn, maxn, buckets if maxn else 0

    def fit(self, corpus, y=None) -> FastText:  # type: ignore[override]
        """Learn word and n-gram vectors from ``corpus`` (as :meth:`Word2Vec.fit`, no Dask).

        Returns
        -------
        self
        """
        self._check_subwords()
        return self._fit_data(corpus)

    def fit_generator(self, generator: ContextGenerator, *, client=None, trainer=None,
                      **distributed_options) -> FastText:
        """Train on ``generator`` (one process; see :meth:`SGNSModel.fit_generator`)."""
        if client is not None or trainer is not None or any(
                v is not None for v in distributed_options.values()):
            raise ValueError("FastText does not support distributed training")
        minn, maxn, buckets = self._check_subwords()
        config = self._engine_config()
        sampler = self._resolve_sampler()
        seed = check_random_state(self.random_state)
        threads = resolve_threads(self.threads)
        t0 = time.perf_counter()
        vocab = self._build_vocab(generator)
        vocab_seconds = time.perf_counter() - t0
        words = [str(w) for w in vocab.index_to_key]
        indptr, rows = subword_table(words, minn, maxn, buckets)
        n = len(words)
        config = dataclasses.replace(config, objective=subword_objective(indptr, rows))
        W = init_input_rows(config.dim, seed, 0, n + buckets, padded=True)
        C = aligned_zeros(n, padded_dim(config.dim))
        logger.info("fastText: %d words, %d n-gram buckets, %d rows in the table", n, buckets,
                    rows.size)
        W, C, history = train(generator, vocab, sampler, config, seed=seed, threads=threads,
                              W=W, C=C, progress=bool(self.progress), unit=self._unit)
        W, C = unpad_rows(W, config.dim), unpad_rows(C, config.dim)
        self._set_fitted(vocab, W[:n], C, history, seed=seed, vocab_seconds=vocab_seconds)
        self.embeddings_ = SubwordEmbeddings(
            word_vectors(W, indptr, rows), words, ngram_vectors=W[n:], minn=minn, maxn=maxn,
            context_vectors=C, counts=vocab.counts)
        self.n_ngram_rows_ = int(rows.size - n)
        self._record_generator(generator)
        return self

    def _check_parallel(self) -> str:
        if self.parallel != "hogwild":
            raise ValueError("FastText trains with parallel='hogwild' only")
        return "hogwild"
