"""Synthetic Zipf corpora and the time-per-update measurement of softmax, NCE and NS.

:class:`ZipfCorpus` is a ContextGenerator whose sentences are drawn, token by token, from a Zipf
law ``P(rank r) ∝ r^-s``; with ``n_topics > 0`` each sentence first picks a topic and its words
follow the Zipf law over a topic-specific permutation of the vocabulary, which gives the corpus
a known, non-trivial PMI structure. Every batch is generated from its own stream
``derive_seed(seed, batch)``, so the corpus is identical on every pass (like a file).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from embedkit.contexts.base import SeqBatch
from embedkit.rng import derive_seed
from embedkit.vocab import Vocab

__all__ = ["ZipfCorpus", "time_per_update"]


class ZipfCorpus:
    """A synthetic corpus of integer tokens ``0..n_vocab-1`` (a ContextGenerator).

    Parameters
    ----------
    n_vocab : int
        Distinct tokens.
    n_tokens : int
        Tokens in the corpus.
    exponent : float, default 1.0
        Zipf exponent ``s``.
    sentence_length : int, default 20
    n_topics : int, default 0
        0: tokens are i.i.d.; otherwise each sentence draws one of ``n_topics`` topics.
    seed : int, default 0
    batch_tokens : int, default 50_000

    Examples
    --------
    >>> corpus = ZipfCorpus(50, 1000, seed=1)
    >>> vocab = corpus.build_vocab(min_count=1, max_vocab_size=None, subsample=0.0)
    >>> sum(b.n_raw for b in corpus.batches(vocab, epoch=0, seed=0))
    1000
    """

    def __init__(self, n_vocab: int, n_tokens: int, *, exponent: float = 1.0,
                 sentence_length: int = 20, n_topics: int = 0, seed: int = 0,
                 batch_tokens: int = 50_000) -> None:
        for name, v, low in (("n_vocab", n_vocab, 1), ("n_tokens", n_tokens, 1),
                             ("sentence_length", sentence_length, 1), ("n_topics", n_topics, 0),
                             ("batch_tokens", batch_tokens, 1)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < low:
                raise ValueError(f"{name} must be an int >= {low}, got {v!r}")
        if not np.isfinite(exponent) or exponent < 0:
            raise ValueError(f"exponent must be finite and >= 0, got {exponent}")
        self.n_vocab, self.n_tokens, self.exponent = int(n_vocab), int(n_tokens), float(exponent)
        self.sentence_length, self.n_topics = int(sentence_length), int(n_topics)
        self.seed, self.batch_tokens = int(seed), int(batch_tokens)
        p = np.arange(1, n_vocab + 1, dtype=np.float64) ** -self.exponent
        self.probabilities = p / p.sum()
        rng = np.random.default_rng(derive_seed(self.seed, 0x70))
        self._perms = [np.arange(n_vocab)] + [rng.permutation(n_vocab)
                                              for _ in range(max(self.n_topics - 1, 0))]

    def __repr__(self) -> str:
        return (f"ZipfCorpus(n_vocab={self.n_vocab}, n_tokens={self.n_tokens}, "
                f"exponent={self.exponent}, n_topics={self.n_topics})")

    def _token_batches(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        done, b = 0, 0
        cdf = np.cumsum(self.probabilities)
        while done < self.n_tokens:
            m = min(self.batch_tokens, self.n_tokens - done)
            rng = np.random.default_rng(derive_seed(self.seed, 0x71, b))
            ranks = np.minimum(np.searchsorted(cdf, rng.random(m)), self.n_vocab - 1)
            starts = np.arange(0, m, self.sentence_length, dtype=np.int64)
            offsets = np.append(starts, m).astype(np.int64)
            if self.n_topics > 0:
                topic = rng.integers(0, self.n_topics, starts.size)
                lens = np.diff(offsets)
                perm_of = np.repeat(topic, lens)
                table = np.stack(self._perms)
                ranks = table[perm_of, ranks]
            yield ranks.astype(np.int64), offsets
            done += m
            b += 1

    def build_vocab(self, *, min_count: int = 1, max_vocab_size: int | None = None,
                    subsample: float = 0.0) -> Vocab:
        """Count the tokens (one pass) and build the vocabulary."""
        counts = np.zeros(self.n_vocab, dtype=np.int64)
        for toks, _ in self._token_batches():
            counts += np.bincount(toks, minlength=self.n_vocab)
        return Vocab.from_arrays(list(range(self.n_vocab)), counts, min_count=min_count,
                                 max_vocab_size=max_vocab_size, subsample=subsample)

    def full_vocab(self, subsample: float = 0.0) -> Vocab:
        """All ``n_vocab`` tokens with their expected counts (at least 1), id = rank."""
        counts = np.maximum(1, np.round(self.probabilities * self.n_tokens)).astype(np.int64)
        counts = np.maximum.accumulate(counts[::-1])[::-1]  # keep non-increasing
        return Vocab(list(range(self.n_vocab)), counts, subsample=subsample)

    def tokens_per_epoch(self, vocab: Vocab) -> int:
        return self.n_tokens

    def batches(self, vocab: Vocab, *, epoch: int = 0, seed: int = 0) -> Iterator[SeqBatch]:
        """The same token stream every epoch, encoded with ``vocab`` (unknown tokens -> -1)."""
        lookup = np.full(self.n_vocab, -1, dtype=np.int32)
        for key, i in vocab.key_to_index.items():
            if isinstance(key, (int, np.integer)) and 0 <= key < self.n_vocab:
                lookup[key] = i
        for toks, offsets in self._token_batches():
            yield SeqBatch(lookup[toks], offsets, int(toks.size))


def time_per_update(
    vocab_sizes: Sequence[int],
    objectives: Sequence[str] = ("ns", "nce", "softmax"),
    *,
    n_tokens: int = 20_000,
    dim: int = 50,
    window: int = 2,
    negative: int = 5,
    softmax_budget: float = 4e7,
    repeats: int = 3,
    seed: int = 0,
) -> pd.DataFrame:
    """Seconds per (context, centre) update against vocabulary size, one thread.

    For each ``|V|`` a Zipf corpus is trained for one epoch with each objective
    (``EngineConfig(objective=...)``, no subsampling, fixed window). The softmax run uses
    ``min(n_tokens, softmax_budget / |V|)`` tokens so its cost stays bounded; times are per
    update, so runs of different lengths compare. The median of ``repeats`` runs is reported.

    Returns
    -------
    pandas.DataFrame
        Columns ``objective``, ``vocab_size``, ``tokens``, ``pairs``, ``seconds``,
        ``us_per_update``.

    Examples
    --------
    >>> df = time_per_update([50], ("ns",), n_tokens=2000, repeats=1)
    >>> list(df.columns)
    ['objective', 'vocab_size', 'tokens', 'pairs', 'seconds', 'us_per_update']
    """
    from embedkit.engine import EngineConfig, train
    from embedkit.samplers import Unigram

    rows = []
    warmed: set[str] = set()
    for v in vocab_sizes:
        for obj in objectives:
            tokens = n_tokens
            if obj == "softmax":
                tokens = int(max(200, min(n_tokens, softmax_budget / v)))
            corpus = ZipfCorpus(int(v), tokens, seed=seed)
            vocab = corpus.full_vocab()
            cfg = EngineConfig(dim=dim, window=window, negative=negative, shrink_window=False,
                               epochs=1, objective=obj, compute_loss=False)
            if obj not in warmed:  # compile outside the timing
                small = ZipfCorpus(20, 200, seed=seed)
                train(small, small.full_vocab(), Unigram(), cfg, seed=seed, threads=1,
                      progress=False)
                warmed.add(obj)
            times, pairs = [], 0
            for _ in range(max(1, repeats)):
                t0 = time.perf_counter()
                _, _, hist = train(corpus, vocab, Unigram(), cfg, seed=seed, threads=1,
                                   progress=False)
                times.append(time.perf_counter() - t0)
                pairs = hist[0].pairs
            sec = float(np.median(times))
            rows.append({"objective": obj, "vocab_size": int(v), "tokens": tokens,
                         "pairs": int(pairs), "seconds": sec,
                         "us_per_update": 1e6 * sec / max(pairs, 1)})
    return pd.DataFrame(rows)
