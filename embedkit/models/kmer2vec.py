"""``Kmer2Vec``: skip-gram negative-sampling embeddings of DNA k-mers (dna2vec-style)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from embedkit.models.base import SGNSModel
from embedkit.samplers.base import NegativeSampler

__all__ = ["Kmer2Vec", "POOLING"]

#: Pooling choices of :meth:`Kmer2Vec.embed_sequences`.
POOLING = ("mean", "sum", "tfidf")
_SETTINGS = ("k", "stride", "canonical", "k_range", "reverse_complement")
_W2V_SUFFIXES = (".txt", ".vec", ".bin")


class Kmer2Vec(SGNSModel):
    """k-mer embeddings by skip-gram with negative sampling over DNA sequences.

    Sequences are read as bytes, k-mers are 2-bit encoded integers and the runs of valid
    k-mers stream straight into the shared Numba engine (no Python strings per k-mer). See
    :mod:`embedkit.contexts.kmers` for exactly how k-mers and contexts are formed.

    Parameters
    ----------
    k : int, default 6
        k-mer length, 1..31.
    stride : int, default 1
        Bases between consecutive k-mer starts; the ``window`` counts k-mers, so contexts lie
        up to ``window * stride`` bases away.
    canonical : bool, default False
        Merge each k-mer with its reverse complement (one token, the smaller string).
    k_range : (int, int) or None, default None
        Variable k as in dna2vec: a length drawn uniformly from ``k_low..k_high`` at every
        position, all lengths sharing one vocabulary. Overrides ``k``.
    reverse_complement : bool, default False
        Strand augmentation: also train on the reverse-complement strand of every record.
    dim : int, default 100
        Vector size.
    window : int, default 5
        Maximum distance between centre and context, in k-mers.
    negative : int, default 5
        Negatives per positive.
    epochs : int, default 1
        Passes over the sequences.
    lr, min_lr : float, default 0.025, 1e-4
        Linear learning-rate decay from ``lr`` to ``min_lr`` by bases processed.
    min_count : int, default 1
        k-mers rarer than this are dropped.
    max_vocab_size : int or None
        Keep only this many most frequent k-mers.
    subsample : float, default 1e-3
        Frequent-token subsampling threshold (0 switches it off).
    sg : bool, default True
        Skip-gram (True) or CBOW (False).
    sampler : str or NegativeSampler, default "unigram"
        Negative sampler.
    ns_exponent : float, default 0.75
        Power of the unigram sampler.
    shrink_window : bool, default True
        Draw a reduced window per centre (word2vec's dynamic window).
    shared_negatives : bool, default False
        False: k negatives per (centre, context) pair, as word2vec.c and gensim. True: one set
        of k negatives per centre window, reused by all its contexts (about 2-3x faster, but
        agreement with alignment drops from 0.489 to 0.472 on E. coli; see the README's
        "Which negatives?").
    cbow_mean : bool, default True
        CBOW only: average the context vectors.
    compute_loss : bool, default True
        Track the exact SGNS loss.
    threads : int or None
        Worker threads (None: all cores).
    parallel : {"auto", "hogwild", "blocks"}, default "auto"
        How threads share the model. ``"hogwild"``: every thread updates the shared vectors
        without locks (word2vec.c, gensim). ``"blocks"``: the vocabulary is cut into blocks
        and every batch is trained in rounds in which the threads own disjoint rows
        (:mod:`embedkit.engine.blocks`): runs are bit-identical for the same ``random_state``
        and thread count, and small vocabularies (k-mers, small graphs) no longer make threads
        fight over cache lines, at the cost of visiting every window once per block. Skip-gram
        with a ``unigram``/``uniform`` sampler only. ``"auto"``: blocks when they can run,
        negatives are drawn per pair (``shared_negatives=False``) and the vocabulary has at
        most 65,536 rows (where Hogwild threads slow each other down), Hogwild otherwise. On
        E. coli 6-mers (2 threads) that is 3.1-3.8 s against Hogwild's 4.1-13.8 s, with
        alignment agreement 0.491 ± 0.001 against 0.489 ± 0.001 (3 seeds).
    random_state : int, numpy.random.Generator or None
        Seed; with ``threads=1`` or block training (``parallel="blocks"``, or ``"auto"`` with
        per-pair negatives on at most 65,536 k-mers, e.g. k <= 8) runs are bit-identical.
    progress : bool, default True
        Progress bar in bases/s.
    objective : {"ns", "nce", "softmax"}, default "ns"
        Training objective of the engine: negative sampling, NCE, or the full softmax
        (skip-gram only; the softmax is affordable for small vocabularies such as k <= 5).
    max_sequence_length : int, default 10000
        Cut k-mer runs into engine sequences of at most this many k-mers (lets one genome train
        on all cores; windows do not cross the cuts).
    batch_bases : int, default 1000000
        Bases per batch handed to the engine (bounds memory for long records).

    Attributes
    ----------
    embeddings_ : Embeddings
        Vectors keyed by k-mer string (``"ACGTAC"``).
    vocab_ : Vocab
    loss_history_ : list of float
    epoch_stats_ : list of EpochStats
        ``raw_words`` counts bases.
    n_bases_, n_skipped_bases_, n_records_ : int
        Input statistics: bases read, non-ACGT symbols skipped, records (a distributed fit
        counts them per shard and sums them: the same values as one machine).

    Examples
    --------
    >>> from embedkit.models.kmer2vec import Kmer2Vec
    >>> rng = np.random.default_rng(0)
    >>> seqs = ["".join(rng.choice(list("ACGT"), 300)) for _ in range(5)]
    >>> model = Kmer2Vec(k=3, dim=8, random_state=0, progress=False).fit(seqs)
    >>> model.embeddings_["ACG"].shape, model.embed_sequences(seqs[:2]).shape
    ((8,), (2, 8))
    """

    _unit = "base"

    def __init__(
        self,
        k: int = 6,
        stride: int = 1,
        canonical: bool = False,
        k_range: tuple[int, int] | None = None,
        reverse_complement: bool = False,
        dim: int = 100,
        window: int = 5,
        negative: int = 5,
        epochs: int = 1,
        lr: float = 0.025,
        min_lr: float = 1e-4,
        min_count: int = 1,
        max_vocab_size: int | None = None,
        subsample: float = 1e-3,
        sg: bool = True,
        sampler: str | NegativeSampler = "unigram",
        ns_exponent: float = 0.75,
        shrink_window: bool = True,
        shared_negatives: bool = False,
        cbow_mean: bool = True,
        compute_loss: bool = True,
        threads: int | None = None,
        parallel: str = "auto",
        random_state: int | np.random.Generator | None = None,
        progress: bool = True,
        objective: str = "ns",
        max_sequence_length: int = 10_000,
        batch_bases: int = 1_000_000,
    ) -> None:
        super().__init__(
            dim=dim, window=window, negative=negative, epochs=epochs, lr=lr, min_lr=min_lr,
            min_count=min_count, max_vocab_size=max_vocab_size, subsample=subsample, sg=sg,
            sampler=sampler, ns_exponent=ns_exponent, shrink_window=shrink_window,
            shared_negatives=shared_negatives, cbow_mean=cbow_mean, compute_loss=compute_loss,
            threads=threads, parallel=parallel, random_state=random_state, progress=progress,
            objective=objective,
        )
        self.k = k
        self.stride = stride
        self.canonical = canonical
        self.k_range = k_range
        self.reverse_complement = reverse_complement
        self.max_sequence_length = max_sequence_length
        self.batch_bases = batch_bases

    def _corpus(self, source):
        from embedkit.contexts.kmers import KmerCorpus

        return KmerCorpus(
            source, k=self.k, stride=self.stride, canonical=self.canonical,
            k_range=self.k_range, reverse_complement=self.reverse_complement,
            max_sequence_length=self.max_sequence_length, batch_bases=self.batch_bases,
        )

    def fit(self, sequences, y=None, *, client=None, blocks: int | None = None,
            **distributed_options) -> Kmer2Vec:
        """Learn k-mer vectors.

        Parameters
        ----------
        sequences : str, os.PathLike, pandas.Series or re-iterable of str
            A FASTA/FASTQ file (plain or gzip; streamed record by record) or DNA strings.
        y : ignored
        client : dask.distributed.Client, optional
            Train on a Dask cluster by block rotation (see :mod:`embedkit.distributed`).
        blocks : int, optional
            Vocabulary blocks for distributed training (default: the number of workers).
        **distributed_options
            Further options of :func:`embedkit.distributed.fit_distributed` (``shards``,
            ``sub_epochs``, ``cache_bytes``, ``callback``); only with ``client``.

        Returns
        -------
        self
        """
        return self._fit_data(sequences, client=client, blocks=blocks, **distributed_options)

    def _make_generator(self, sequences):
        return self._corpus(sequences)

    def _record_generator(self, corpus) -> None:
        self.n_bases_ = corpus.n_bases
        self.n_skipped_bases_ = corpus.n_skipped_bases
        self.n_records_ = corpus.n_records

    # -- pooling ----------------------------------------------------------------------------

    def count_matrix(self, sequences, *, segments: int = 1):
        """Per-sequence counts of the model's k-mers (scipy CSR, columns = vocabulary ids).

        Every k-mer at every valid position is counted (every length for a variable ``k``),
        strand augmentation is not applied. With ``segments > 1`` each sequence gives
        ``segments`` rows, one per region (see
        :meth:`embedkit.contexts.kmers.KmerCorpus.count_matrix`).
        """
        self._check_fitted()
        corpus = self._corpus(["A"])  # settings only; the source is given below
        corpus.reverse_complement = False
        return corpus.count_matrix(sequences, vocab=self.vocab_, segments=segments)

    def embed_sequences(self, sequences, pool: str = "mean", *, segments: int = 1,
                        idf: np.ndarray | None = None) -> np.ndarray:
        """Whole-sequence vectors (reads, genes) by pooling their k-mer vectors.

        Each sequence's k-mers are counted as in :meth:`count_matrix` (k-mers outside the
        vocabulary are ignored) and their vectors combined:

        * ``"mean"``: the count-weighted mean of the k-mer vectors;
        * ``"sum"``: their sum;
        * ``"tfidf"``: the mean weighted by ``tf * idf``, where ``tf`` is the k-mer's count in
          the sequence and ``idf = ln((1 + n) / (1 + df)) + 1`` (scikit-learn's smoothed IDF)
          with ``df`` the number of the ``n`` given sequences containing the k-mer. IDF is
          therefore learned from the collection passed in (no labels are used); pass ``idf``
          to reuse weights from another collection (see :meth:`idf_weights`).

        ``segments > 1`` pools each of that many equal regions of a sequence separately and
        concatenates the results (region ``j`` holds the k-mers starting in its stretch), which
        keeps coarse position information: useful when signals sit at fixed places, as in
        aligned windows around splice sites. IDF documents are then the regions.

        A sequence (or region) without any vocabulary k-mer gets a zero vector.

        Parameters
        ----------
        sequences : str, os.PathLike, pandas.Series or iterable of str
        pool : {"mean", "sum", "tfidf"}
        segments : int, default 1
            Regions pooled separately.
        idf : ndarray of shape (len(vocab_),), optional
            IDF weights for ``"tfidf"``.

        Returns
        -------
        ndarray of float32, shape (n_sequences, segments * dim)
        """
        if pool not in POOLING:
            raise ValueError(f"pool must be one of {POOLING}, got {pool!r}")
        X = self.count_matrix(sequences, segments=segments).astype(np.float64)
        W = self.embeddings_.vectors
        if pool == "tfidf":
            weights = self.idf_weights(X) if idf is None else np.asarray(idf, dtype=np.float64)
            if weights.shape != (W.shape[0],):
                raise ValueError(f"idf must have shape ({W.shape[0]},), got {weights.shape}")
            X = X.multiply(weights[None, :]).tocsr()
        out = np.asarray(X @ W.astype(np.float64))
        if pool != "sum":
            totals = np.asarray(X.sum(axis=1)).ravel()
            out /= np.where(totals > 0, totals, 1.0)[:, None]
        return out.reshape(-1, segments * W.shape[1]).astype(np.float32)

    def idf_weights(self, sequences_or_counts) -> np.ndarray:
        """Smoothed IDF ``ln((1 + n) / (1 + df)) + 1`` of every vocabulary k-mer.

        Parameters
        ----------
        sequences_or_counts : sequence source or scipy sparse matrix
            Sequences, or a count matrix from :meth:`count_matrix`.
        """
        import scipy.sparse as sp

        X = sequences_or_counts
        if not sp.issparse(X):
            X = self.count_matrix(X)
        n = X.shape[0]
        df = np.asarray((X > 0).sum(axis=0)).ravel()
        return np.log((1.0 + n) / (1.0 + df)) + 1.0

    # -- persistence ------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Save the vectors to ``path`` and the k-mer settings to ``path + ".json"``.

        The vectors go in embedkit's npz format, or the word2vec text (``.txt``/``.vec``) or
        binary (``.bin``) format by suffix. :meth:`load` reads either back. Each file is
        replaced atomically, the vectors first; the settings file records the SHA-256 of the
        vectors file it belongs to, so a pair torn by an interrupted save (or a settings file
        left from an earlier save) is refused by :meth:`load` instead of silently misread.
        """
        from embedkit._io import atomic_write

        self._check_fitted()
        suffix = Path(path).suffix
        if suffix in _W2V_SUFFIXES:
            self.embeddings_.save_word2vec_format(path, binary=suffix == ".bin")
        else:
            self.embeddings_.save(path)
        settings = {name: getattr(self, name) for name in _SETTINGS}
        if settings["k_range"] is not None:
            settings["k_range"] = [int(v) for v in settings["k_range"]]
        with atomic_write(str(path) + ".json") as fh:
            json.dump({"model": "Kmer2Vec", **settings, "vectors_sha256": _file_digest(path)},
                      fh)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Kmer2Vec:
        """Load a model written by :meth:`save`, ready for :meth:`embed_sequences`.

        Without the ``.json`` settings file (e.g. vectors saved by ``Embeddings.save``) the
        settings are inferred from the keys: ``k`` (or ``k_range``) from their lengths and
        ``canonical`` from whether every key is its own canonical form (stride 1). A settings
        file that is corrupt, belongs to another vectors file or contradicts the keys is a
        ``ValueError`` naming it.
        """
        from embedkit.contexts.kmers import canonical_kmer
        from embedkit.embeddings import Embeddings
        from embedkit.vocab import Vocab

        if Path(path).suffix in _W2V_SUFFIXES:
            emb = Embeddings.load_word2vec_format(path)
        else:
            emb = Embeddings.load(path)
        keys = list(emb.index_to_key)
        if not keys or not all(isinstance(key, str) and key.isalpha() for key in keys):
            raise ValueError(f"{path}: the keys are not k-mer strings")
        lengths = {len(key) for key in keys}
        lo, hi = min(lengths), max(lengths)
        meta_path = Path(str(path) + ".json")
        if meta_path.is_file():
            settings = _read_settings(meta_path, path, lo, hi)
        else:
            settings = {"k": lo, "k_range": None if lo == hi else (lo, hi),
                        "canonical": all(canonical_kmer(key) == key for key in keys)}
        model = cls(**settings)
        counts = emb.counts
        if counts is None or np.any(counts[1:] > counts[:-1]):
            counts = np.ones(len(emb), dtype=np.int64)
        model.embeddings_ = emb
        model.vocab_ = Vocab(emb.index_to_key, counts, subsample=0.0)
        return model


def _file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes (hex), read in 1 MiB blocks."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_settings(meta_path: Path, path: str | os.PathLike, lo: int, hi: int) -> dict:
    """The k-mer settings of ``meta_path``, checked against the vectors file ``path`` whose
    keys are ``lo`` to ``hi`` letters long."""
    try:
        with open(meta_path, encoding="utf-8") as fh:
            meta = json.load(fh)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{meta_path}: corrupt k-mer settings file ({exc}); delete it to infer "
                         "the settings from the keys, or save the model again") from exc
    if not isinstance(meta, dict) or meta.get("model") != "Kmer2Vec":
        raise ValueError(f"{meta_path}: not a Kmer2Vec settings file")
    digest = meta.get("vectors_sha256")
    if digest is not None and digest != _file_digest(path):
        raise ValueError(f"{meta_path} belongs to another version of {path} (a stale settings "
                         "file, or a save that was interrupted); save the model again, or delete "
                         "the settings file to infer them from the keys")
    settings = {name: meta[name] for name in _SETTINGS if name in meta}
    k_range = settings.get("k_range")
    if k_range is not None:
        if not (isinstance(k_range, list) and len(k_range) == 2
                and all(isinstance(v, int) for v in k_range)):
            raise ValueError(f"{meta_path}: k_range must be two integers, got {k_range!r}")
        settings["k_range"] = tuple(k_range)
        ok = k_range[0] <= lo and hi <= k_range[1]
    else:
        ok = lo == hi == settings.get("k")
    if not ok:
        raise ValueError(f"{meta_path} does not match {path}: its keys are {lo}"
                         f"{'' if lo == hi else f'-{hi}'} letters long, the settings say "
                         f"k={settings.get('k')!r}, k_range={k_range!r}")
    return settings
