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
    EngineConfig,
    EpochStats,
    aligned_zeros,
    init_input_rows,
    padded_dim,
    resolve_threads,
)
from embedkit.models.continuing import check_callbacks, run_schedule, warm_rows, with_lr
from embedkit.models.word2vec import Word2Vec
from embedkit.rng import check_random_state
from embedkit.samplers.base import NegativeSampler
from embedkit.subwords.fasttext_bin import read_fasttext_bin
from embedkit.subwords.hashing import subword_table
from embedkit.subwords.vectors import (
    SubwordEmbeddings,
    init_word_rows,
    word_rows,
    word_vectors,
)
from embedkit.validation import check_int
from embedkit.vocab import Vocab

__all__ = ["FastText", "DEFAULT_BUCKETS"]

logger = logging.getLogger(__name__)

#: Default n-gram buckets. fastText uses 2,000,000 (800 MB of float32 input rows at dim 100,
#: ~900 MB with embedkit's cache-line padding); 500,000 keeps the model at ~225 MB. More words
#: then share a bucket: on a few-million-token corpus that costs little, on huge corpora with
#: millions of distinct n-grams pass ``buckets=2_000_000`` (required to use fastText's buckets).
DEFAULT_BUCKETS = 500_000

#: Input rows (words and n-grams) start at ``U(-1/dim, 1/dim)``, as in fastText and gensim
#: (word2vec.c and our other estimators: ``U(-0.5/dim, 0.5/dim)``). A word's vector is the mean
#: of ~10 such rows, so the narrower start left it small; on the 7M-token corpus the wider one
#: gave SimLex-999 0.150 against 0.142 and analogies 0.499 against 0.496 (3 seeds each).
INIT_HALF_WIDTH = 1.0


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
    shared_negatives : bool, default False
        ``False`` (skip-gram): ``negative`` negatives per (centre, context) pair, and the
        centre's input vector moves after each pair, exactly as fastText and gensim.
        ``True``: one set of negatives per two contexts of a centre's window, each counted for
        both pairs (the same expected gradient, about half the output-row work): ~20% faster,
        but 0.011-0.013 lower on the analogies than gensim on the 7M-token corpus (lower on
        9 of 9 seeds, see the README's fastText section), so not the default.
    minn, maxn : int, default 3, 6
        N-gram lengths in characters; ``maxn=0`` switches subwords off (plain word vectors).
    buckets : int, default 500000
        Hash buckets of the n-grams (see :data:`DEFAULT_BUCKETS`; fastText uses 2,000,000).
    init : Embeddings or path, optional
        Warm start: each vocabulary word found in these vectors (``.npz``, word2vec text or
        binary, e.g. a fastText ``.vec``) starts with exactly that *word vector*: its own row
        is set so that the mean of its row and its (freshly initialised) n-gram rows equals
        the given vector. Output rows come from ``init`` when it has them. N-gram rows start
        as in a fresh fit.
    freeze_init : bool, default False
        Not supported (a word's vector also moves with the n-gram rows it shares); ``True``
        raises ``ValueError``.

    Notes
    -----
    Hogwild threads only (``parallel="hogwild"``), negative sampling only, no Dask training.
    CBOW always averages the contexts (``cbow_mean`` is ignored).

    As in fastText, the input gradient is added in full to each of a word's rows (fastText
    divides it by the row count only for supervised models). ``loss_history_`` is the online
    loss (each pair scored before its update): it can rise in the last epoch, when the decaying
    learning rate stops the model from tracking the text it reads, while the loss of the model
    itself on the corpus keeps falling (see the README's fastText section).

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
        shared_negatives: bool = False,
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
        init=None,
        freeze_init: bool = False,
    ) -> None:
        super().__init__(
            dim=dim, window=window, negative=negative, epochs=epochs, lr=lr, min_lr=min_lr,
            min_count=min_count, max_vocab_size=max_vocab_size, subsample=subsample, sg=sg,
            shared_negatives=shared_negatives, sampler=sampler, ns_exponent=ns_exponent,
            shrink_window=shrink_window,
            compute_loss=compute_loss, threads=threads, random_state=random_state,
            progress=progress, tokenizer=tokenizer, max_sentence_length=max_sentence_length,
            batch_words=batch_words, init=init, freeze_init=freeze_init,
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

    def fit(self, corpus, y=None, *, callbacks=None) -> FastText:  # type: ignore[override]
        """Learn word and n-gram vectors from ``corpus`` (as :meth:`Word2Vec.fit`, no Dask).

        Parameters
        ----------
        corpus : str, os.PathLike or iterable
            As :meth:`Word2Vec.fit`.
        y : ignored
        callbacks : list, optional
            Training callbacks (see :mod:`embedkit.callbacks`).

        Returns
        -------
        self
        """
        self._check_subwords()
        return self._fit_data(corpus, callbacks=callbacks)

    def fit_generator(self, generator: ContextGenerator, *, client=None, trainer=None,
                      callbacks=None, **distributed_options) -> FastText:
        """Train on ``generator`` (one process; see :meth:`SGNSModel.fit_generator`).

        ``callbacks`` are as for :meth:`Word2Vec.fit` (``embeddings_`` is a fitted
        :class:`~embedkit.subwords.SubwordEmbeddings` after every epoch).
        """
        if client is not None or trainer is not None or any(
                v is not None for v in distributed_options.values()):
            raise ValueError("FastText does not support distributed training")
        minn, maxn, buckets = self._check_subwords()
        config = self._engine_config()
        sampler = self._resolve_sampler()
        seed = check_random_state(self.random_state)
        t0 = time.perf_counter()
        vocab = self._build_vocab(generator)
        self.vocab_seconds_ = time.perf_counter() - t0
        words = [str(w) for w in vocab.index_to_key]
        n = len(words)
        W = init_input_rows(config.dim, seed, 0, n + buckets, padded=True,
                            half_width=INIT_HALF_WIDTH)
        C = aligned_zeros(n, padded_dim(config.dim))
        self._warm_start_words(vocab, (W, C), (minn, maxn, buckets))
        self._train_rows(generator, vocab, sampler, config, seed, (W, C), (minn, maxn, buckets),
                         callbacks=callbacks)
        return self

    def _warm_start_words(self, vocab: Vocab, start: tuple[np.ndarray, np.ndarray],
                          subwords: tuple[int, int, int]) -> None:
        """``init``: set the own rows of the words it has so their vectors equal its vectors."""
        self.lock_ = None
        if self.freeze_init:
            raise ValueError("freeze_init=True is not supported by FastText: a word's vector "
                             "is the mean of its own row and n-gram rows shared with other "
                             "words, which keep training")
        if self.init is None:
            return
        W, C = start
        dim = int(self.dim)
        ids, vecs, ctx, _ = warm_rows(vocab, self.init, dim)
        if not (np.isfinite(vecs).all() and (ctx is None or np.isfinite(ctx).all())):
            raise ValueError("init has non-finite (NaN or infinite) vectors")
        indptr, rows = subword_table([str(w) for w in vocab.index_to_key], *subwords)
        W[ids, :dim] = init_word_rows(W[:, :dim], indptr, rows, ids, vecs)
        if ctx is not None:
            C[ids, :dim] = ctx
        logger.info("warm start: %d of %d words from init", ids.size, len(vocab))

    def _train_rows(self, generator: ContextGenerator, vocab: Vocab, sampler: NegativeSampler,
                    config: EngineConfig, seed: int, start: tuple[np.ndarray, np.ndarray],
                    subwords: tuple[int, int, int], *, callbacks=None, epoch_base: int = 0,
                    history: list[EpochStats] | None = None) -> None:
        """Train padded ``start = (W, C)`` (words then buckets) on the subword table of
        ``vocab`` and set the fitted attributes after every epoch (:func:`run_schedule`)."""
        minn, maxn, buckets = subwords
        words = [str(w) for w in vocab.index_to_key]
        indptr, rows = subword_table(words, minn, maxn, buckets)
        self._subwords = (minn, maxn, buckets, indptr, rows)
        config = dataclasses.replace(config, objective=subword_objective(indptr, rows))
        logger.info("fastText: %d words, %d n-gram buckets, %d rows in the table", len(words),
                    buckets, rows.size)
        run_schedule(self, generator, vocab, sampler, config, seed=seed,
                     threads=resolve_threads(self.threads), start=start,
                     callbacks=check_callbacks(callbacks), epoch_base=epoch_base,
                     history=history or [])
        self.n_ngram_rows_ = int(rows.size - len(words))
        self._record_generator(generator)

    def _set_fitted(self, vocab: Vocab, W: np.ndarray, C: np.ndarray,
                    history: list[EpochStats], *, seed: int, vocab_seconds: float) -> FastText:
        """As :meth:`SGNSModel._set_fitted`, with ``W`` = word rows then n-gram bucket rows."""
        super()._set_fitted(vocab, W[:len(vocab)], C, history, seed=seed,
                            vocab_seconds=vocab_seconds)
        minn, maxn, buckets, indptr, rows = self._subwords
        n = len(vocab)
        self.embeddings_ = SubwordEmbeddings(
            word_vectors(W, indptr, rows), [str(w) for w in vocab.index_to_key],
            ngram_vectors=W[n:n + buckets], minn=minn, maxn=maxn, context_vectors=C,
            counts=vocab.counts)
        return self

    def partial_fit(self, data, y=None, *, epochs: int | None = None, lr: float | None = None,
                    callbacks=None) -> FastText:
        """Continue training on new ``data``: word and n-gram rows go on from where they are.

        As :meth:`Word2Vec.partial_fit`: the vocabulary grows (new words that occur at least
        ``min_count`` times in ``data`` get new word rows; they share the trained n-gram rows
        from the start), and the learning rate runs from ``lr`` (default: the model's) to
        ``min_lr`` over ``epochs`` (default: the model's). Works on a model loaded from a
        fastText ``.bin`` (:meth:`from_fasttext_bin`) too.

        Returns
        -------
        self

        Examples
        --------
        >>> from embedkit import FastText
        >>> m = FastText(dim=8, min_count=1, epochs=1, buckets=1000, random_state=0,
        ...              progress=False).fit([["the", "cat", "sat"]] * 20)
        >>> len(m.partial_fit([["the", "dog", "sat"]] * 20).embeddings_)
        4
        """
        self._check_fitted()
        emb = self.embeddings_
        if emb.context_vectors is None or getattr(self, "_subwords", None) is None:
            raise ValueError("this FastText has no output vectors to continue from (a fastText "
                             ".bin trained with hierarchical softmax or softmax?)")
        config = self._engine_config()
        if emb.dim != config.dim:
            raise ValueError(f"the fitted vectors have dim {emb.dim}, the model's dim is "
                             f"{config.dim}")
        n_epochs = config.epochs if epochs is None else check_int("epochs", epochs, 1)
        config = with_lr(dataclasses.replace(config, epochs=n_epochs), lr)
        minn, maxn, buckets, indptr, rows = self._subwords
        generator = self.make_generator(data)
        try:
            new = generator.build_vocab(min_count=1, max_vocab_size=None,
                                        subsample=self.vocab_.subsample)
            vocab = self.vocab_.grow(new, min_count=int(self.min_count))
            n_old, n, seed = len(self.vocab_), len(vocab), int(self.seed_)
            width = padded_dim(config.dim)
            W = aligned_zeros(n + buckets, width)
            W[:n_old, :config.dim] = word_rows(emb.vectors, emb.ngram_vectors, indptr, rows)
            if n > n_old:
                W[n_old:n] = init_input_rows(config.dim, seed, n_old, n, padded=True,
                                             half_width=INIT_HALF_WIDTH)
            W[n:, :config.dim] = emb.ngram_vectors
            C = aligned_zeros(n, width)
            C[:n_old, :config.dim] = emb.context_vectors
            history = list(self.epoch_stats_)
            logger.info("partial_fit: %d new words, %d epochs", n - n_old, n_epochs)
            self._train_rows(generator, vocab, self._resolve_sampler(), config, seed, (W, C),
                             (minn, maxn, buckets), callbacks=callbacks,
                             epoch_base=max([st.epoch + 1 for st in history] or [0]),
                             history=history)
        finally:
            close = getattr(generator, "close", None)
            if callable(close):
                close()
        return self

    def _extra_arrays(self) -> dict[str, np.ndarray]:
        """What :meth:`save` adds to the word and output vectors: the n-gram rows."""
        return {"ngram_vectors": np.ascontiguousarray(self.embeddings_.ngram_vectors)}

    def _restore_rows(self, vocab: Vocab, vectors: np.ndarray, extra: dict) -> np.ndarray:
        """:meth:`load`: the input rows (words, then n-grams) from the saved arrays."""
        minn, maxn, buckets = self._check_subwords()
        ngv = extra.get("ngram_vectors")
        if ngv is None or ngv.shape != (buckets, vectors.shape[1]):
            raise ValueError(f"a FastText model file needs ngram_vectors of shape "
                             f"({buckets}, {vectors.shape[1]})")
        indptr, rows = subword_table([str(w) for w in vocab.index_to_key], minn, maxn, buckets)
        self._subwords = (minn, maxn, buckets, indptr, rows)
        return np.vstack([word_rows(vectors, ngv, indptr, rows), ngv])

    @classmethod
    def from_fasttext_bin(cls, path, **params) -> FastText:
        """A fitted ``FastText`` from a fastText ``.bin`` (fastText's or gensim's), ready to
        query and to continue with :meth:`partial_fit`.

        The file's settings (dim, window, negative, epochs, min_count, minn, maxn, buckets,
        skip-gram or CBOW, subsampling threshold) become the parameters; ``params`` override
        the others (e.g. ``tokenizer="split"``, ``random_state``, ``lr``).
        """
        raw = read_fasttext_bin(path)
        a = raw["args"]
        settings = dict(dim=a["dim"], window=a["ws"], negative=a["neg"], epochs=a["epoch"],
                        min_count=a["min_count"], minn=max(a["minn"], 1),
                        maxn=a["maxn"] if a["bucket"] > 0 else 0, buckets=a["bucket"],
                        sg=a["model"] != 1, subsample=float(a["t"]))
        model = cls(**{**settings, **params})
        minn, maxn, buckets = model._check_subwords()
        if (model.dim, minn, maxn, buckets) != (a["dim"], settings["minn"], settings["maxn"],
                                                a["bucket"]):
            raise ValueError("dim, minn, maxn and buckets come from the .bin file")
        words = raw["words"]
        n = len(words)
        vocab = Vocab(words, raw["counts"], subsample=float(model.subsample))
        model._subwords = (minn, maxn, buckets, *subword_table(words, minn, maxn, buckets))
        out = raw["output"]
        C = out if out.shape == (n, a["dim"]) else None
        model._set_fitted(vocab, raw["input"], C, [],
                          seed=check_random_state(model.random_state), vocab_seconds=0.0)
        model.schedule_ = None
        return model

    def _check_parallel(self) -> str:
        if self.parallel not in ("auto", "hogwild"):
            raise ValueError("FastText trains with parallel='hogwild' (or 'auto') only")
        return "hogwild"
