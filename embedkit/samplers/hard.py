"""Hard-negative sampling: negatives a model finds plausible but that were not observed.

Two strategies, both compiled to :class:`~embedkit.samplers.base.SamplerTables`:

* ``"pool"`` (pool-and-pick): the kernel draws ``pool_size`` candidates from the base
  distribution and keeps the one the *current* model scores highest (``temperature=0``) or
  samples one with probability ``∝ exp(score / temperature)``. The score is the dot product of
  the anchor input vector (the summed context vectors of the window, or the context's vector in
  per-pair mode) with the candidate's output vector. Nothing but the base table is needed, so
  this adapts to the model at every step.
* ``"neighbors"`` (cached neighbours): each target's ``n_neighbors`` nearest neighbours under
  the current output vectors (or a separate *proposal model*) become its candidate list,
  recomputed every ``refresh_every`` tokens (default: each epoch) with blocked matrix products
  and a one-pass top-k selection.

Both mix with plain base samples (``mix`` is the share of hard negatives) to limit the bias of
hard negatives, and guard against false negatives: a negative that is a true context in the
current window is rejected and redrawn (``exclude_window``), and known co-occurring pairs can be
banned outright (``exclude_pairs``).

Ideas from: Zhang & Stratos, "Understanding hard negatives in noise contrastive estimation"
(2021); Chen et al., "Improving negative sampling for word representation using self-embedded
features" (WSDM 2018).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numba import njit

from embedkit.samplers.base import ModelState, SamplerTables, make_tables
from embedkit.vocab import Vocab

__all__ = ["HardNegative", "nearest_neighbors", "pairs_to_csr"]

_STRATEGIES = ("pool", "neighbors")
_SPACES = ("output", "input")


def unit_rows(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(X / norms, dtype=np.float32)


@njit(nogil=True, cache=True)
def _top_k_rows(S, out):
    """Column indices of the ``out.shape[1]`` largest entries of each row of ``S``, best first
    (ties: lower index first; -1 pads rows with fewer finite entries).

    One pass per row keeping a sorted top list: almost every entry fails the first comparison,
    so this runs near memory speed (several times faster than ``np.argpartition``).
    """
    k = out.shape[1]
    for r in range(S.shape[0]):
        vals = np.full(k, -np.inf, dtype=np.float64)
        ids = np.full(k, -1, dtype=np.int64)
        for j in range(S.shape[1]):
            v = np.float64(S[r, j])
            if v > vals[k - 1]:
                p = k - 1
                while p > 0 and vals[p - 1] < v:
                    vals[p] = vals[p - 1]
                    ids[p] = ids[p - 1]
                    p -= 1
                vals[p] = v
                ids[p] = j
        for t in range(k):
            out[r, t] = ids[t]


def _top_k(S: np.ndarray, out: np.ndarray) -> None:
    """:func:`_top_k_rows` with the rows split among ``numba.get_num_threads()`` threads.

    A plain ``nogil`` kernel on Python threads, not a Numba parallel kernel: it compiles in
    a fraction of the time, and the result does not depend on the split.
    """
    import numba

    n = S.shape[0]
    n_threads = max(1, min(numba.get_num_threads(), n // 64))
    if n_threads == 1:
        _top_k_rows(S, out)
        return
    cuts = [n * i // n_threads for i in range(n_threads + 1)]
    with ThreadPoolExecutor(n_threads, thread_name_prefix="embedkit-topk") as pool:
        for f in [pool.submit(_top_k_rows, S[a:b], out[a:b])
                  for a, b in zip(cuts[:-1], cuts[1:], strict=True)]:
            f.result()


def nearest_neighbors(
    X: np.ndarray | None,
    k: int,
    *,
    queries: np.ndarray | None = None,
    candidates: np.ndarray | None = None,
    score=None,
    skip: int = 0,
    block_size: int = 512,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest-scoring candidates of every query row, as CSR lists over all rows.

    Scores are ``X[q] @ X[c].T`` (pass unit rows for cosine), computed a block of queries at a
    time so memory stays at ``block_size * len(candidates)`` floats, and the top ``k`` of each
    row found in one pass (O(m) per row, not a sort). A row never lists itself.

    Parameters
    ----------
    X : ndarray (n, d) or None
        Row vectors; ``None`` when ``score`` is given.
    k : int
        Neighbours per query.
    queries, candidates : int arrays, optional
        Row ids to find neighbours for, and row ids allowed as neighbours (default: all).
    score : callable, optional
        ``score(query_ids, candidate_ids) -> (len(query_ids), len(candidate_ids))`` array,
        used instead of ``X`` (for a proposal model that scores candidates its own way).
    skip : int, default 0
        Drop the ``skip`` very nearest neighbours (often synonyms: likely false negatives).
    block_size : int, default 512
        Queries per matrix product.

    Returns
    -------
    indptr : int64 (n + 1,)
    ids : int32 (nnz,)
        Row ``q``'s neighbours, best first, are ``ids[indptr[q]:indptr[q + 1]]``; rows not in
        ``queries`` are empty.

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]], dtype=np.float32)
    >>> indptr, ids = nearest_neighbors(X, 1)
    >>> ids.tolist()
    [1, 0, 1]
    """
    if X is None and score is None:
        raise ValueError("nearest_neighbors needs vectors X or a score function")
    n = X.shape[0] if X is not None else None
    if n is None:
        if queries is None or candidates is None:
            raise ValueError("with a score function, pass queries and candidates explicitly")
        n = int(max(queries.max(initial=-1), candidates.max(initial=-1))) + 1
    queries = np.arange(n, dtype=np.int64) if queries is None else np.asarray(queries, np.int64)
    candidates = (np.arange(n, dtype=np.int64) if candidates is None
                  else np.asarray(candidates, np.int64))
    counts = np.zeros(n, dtype=np.int64)
    k = int(k)
    if k < 1 or candidates.size == 0 or queries.size == 0:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32)
    take = min(k + skip, candidates.size)
    if take <= skip:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32)
    pos = np.full(n, -1, dtype=np.int64)  # where each id sits among the candidates
    pos[candidates] = np.arange(candidates.size)
    Xc = None if X is None else np.ascontiguousarray(X[candidates])
    tops: list[np.ndarray] = []
    for start in range(0, queries.size, block_size):
        q = queries[start:start + block_size]
        if score is not None:
            S = np.asarray(score(q, candidates), dtype=np.float32)
            if S.shape != (q.size, candidates.size):
                raise ValueError(
                    f"the proposal's score() returned shape {S.shape}, expected "
                    f"{(q.size, candidates.size)}"
                )
            S = np.ascontiguousarray(S).copy()
        else:
            S = X[q] @ Xc.T
        self_pos = pos[q]
        has = self_pos >= 0
        S[np.nonzero(has)[0], self_pos[has]] = -np.inf
        top = np.empty((q.size, take), dtype=np.int64)
        _top_k(S, top)
        tops.append(top[:, skip:])
    top = np.concatenate(tops, axis=0)
    order = np.argsort(queries, kind="stable")  # CSR rows in id order
    top = top[order]
    valid = top >= 0  # -inf / NaN scores are never neighbours
    counts[queries[order]] = valid.sum(axis=1)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, candidates[top[valid]].astype(np.int32)


def pairs_to_csr(
    pairs: Any, vocab: Vocab, *, symmetric: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Turn known ``(key, key)`` pairs into per-id CSR lists (sorted rows) over ``vocab``.

    Pairs with a key outside ``vocab`` are ignored. ``pairs`` may also be a SciPy sparse matrix
    whose non-zeros ``(i, j)`` are vocabulary ids.

    Examples
    --------
    >>> v = Vocab(["a", "b", "c"], [3, 2, 1])
    >>> indptr, ids = pairs_to_csr([("a", "c"), ("a", "z")], v)
    >>> indptr.tolist(), ids.tolist()
    ([0, 1, 1, 2], [2, 0])
    """
    n = len(vocab)
    if hasattr(pairs, "tocoo"):  # scipy.sparse
        coo = pairs.tocoo()
        if coo.shape != (n, n):
            raise ValueError(f"exclusion matrix has shape {coo.shape}, vocabulary has {n} ids")
        a = coo.row.astype(np.int64)
        b = coo.col.astype(np.int64)
    else:
        index = vocab.key_to_index
        a_list: list[int] = []
        b_list: list[int] = []
        for item in pairs:
            try:
                x, y = item
            except (TypeError, ValueError):
                raise ValueError(
                    f"exclude_pairs must hold (key, key) pairs, got {item!r}"
                ) from None
            i = index.get(x)
            j = index.get(y)
            if i is not None and j is not None:
                a_list.append(i)
                b_list.append(j)
        a = np.asarray(a_list, dtype=np.int64)
        b = np.asarray(b_list, dtype=np.int64)
    if symmetric:
        a, b = np.concatenate([a, b]), np.concatenate([b, a])
    keep = a != b
    code = np.unique(a[keep] * n + b[keep])
    rows = code // n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, (code % n).astype(np.int32)


def _drop_pairs(indptr, ids, excl_indptr, excl_ids, n):
    """Remove candidate entries that are on the target's exclusion list."""
    if excl_ids.size == 0 or ids.size == 0:
        return indptr, ids
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    excl_rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(excl_indptr))
    keep = ~np.isin(rows * n + ids, excl_rows * n + excl_ids)
    new_indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[keep], minlength=n), out=new_indptr[1:])
    return new_indptr, ids[keep]


def is_untrained(model: ModelState | None) -> bool:
    """The engine's first call passes the fresh model: output vectors still all zero."""
    if model is None:
        return True
    C = model.context_vectors
    return not np.any(C[: min(C.shape[0], 2048)])


class Proposal:
    """Aligns a proposal model (Embeddings, ndarray or scorer object) with a vocabulary."""

    def __init__(self, proposal: Any, vocab: Vocab) -> None:
        n = len(vocab)
        self.X: np.ndarray | None = None
        self.score = None
        self.valid = np.ones(n, dtype=bool)
        if isinstance(proposal, np.ndarray):
            if proposal.ndim != 2 or proposal.shape[0] != n:
                raise ValueError(
                    f"a proposal array must have one row per vocabulary id ({n}), got shape "
                    f"{proposal.shape}"
                )
            self.X = unit_rows(proposal)
        elif hasattr(proposal, "key_to_index") and hasattr(proposal, "vectors"):
            index = proposal.key_to_index
            rows = np.array([index.get(key, -1) for key in vocab.index_to_key], dtype=np.int64)
            self.valid = rows >= 0
            if not self.valid.any():
                raise ValueError("the proposal embeddings share no key with the vocabulary")
            V = np.asarray(proposal.vectors, dtype=np.float32)
            X = np.zeros((n, V.shape[1]), dtype=np.float32)
            X[self.valid] = V[rows[self.valid]]
            self.X = unit_rows(X)
        elif callable(getattr(proposal, "score", None)):
            keys = vocab.index_to_key

            def score(q: np.ndarray, c: np.ndarray) -> np.ndarray:
                return proposal.score([keys[i] for i in q], [keys[j] for j in c])

            self.score = score
        else:
            raise TypeError(
                "proposal must be Embeddings (or any object with key_to_index and vectors), an "
                "array with one row per vocabulary id, or an object with a "
                "score(target_keys, candidate_keys) method; got " + type(proposal).__name__
            )


class HardNegative:
    """Hard negatives: pool-and-pick by the current model, or cached nearest neighbours.

    Parameters
    ----------
    strategy : {"pool", "neighbors"}, default "pool"
        ``"pool"``: score ``pool_size`` base draws with the current model inside the kernel
        and keep the best (``temperature=0``) or sample ``∝ exp(score / temperature)``.
        ``"neighbors"``: each target's nearest neighbours (cosine of output vectors, or of the
        ``proposal`` model) become its candidates, recomputed every ``refresh_every`` tokens.
    mix : float, default 0.5
        Share of negatives that are hard; the rest are plain base draws (limits the bias).
        It is the kernel's ``cand_mix`` in ``"neighbors"`` mode and its ``pool_mix`` in
        ``"pool"`` mode (each negative is pool-picked with probability ``mix``).
    pool_size : int, default 5
        Pool size ``m`` of pool-and-pick.
    temperature : float, default 1.0
        0 keeps the pool's top scorer; larger values soften towards the base distribution.
    n_neighbors : int, default 20
        Candidates per target in ``"neighbors"`` mode.
    skip_nearest : int, default 0
        Drop this many very nearest neighbours (they are often synonyms: false negatives).
    top_n : int or None, default 10000
        Only the ``top_n`` most frequent tokens get (and can be) cached neighbours; rarer
        targets draw every negative from the base distribution. Neighbour search costs
        ``O(top_n^2 * dim)`` per refresh (about 0.5 s for 10k tokens of dim 100); ``None``
        uses the whole vocabulary.
    space : {"output", "input"}, default "output"
        Vectors of the model being trained that define neighbours: output vectors ``u``
        approximate the kernel's score ``v·u_n`` best.
    proposal : Embeddings, ndarray, object or None
        A separate model proposing neighbours: pre-trained :class:`~embedkit.Embeddings`
        (aligned by key; keys it lacks get no candidates), an array with one row per vocabulary
        id, or any object with ``score(target_keys, candidate_keys) -> 2-D array``.
        ``None``: the model being trained (whose first epoch then uses plain base draws,
        because its output vectors start at zero).
    power : float, default 0.75
        Base distribution ``∝ count ** power``.
    refresh_every : int, "epoch" or None, default "auto"
        When to rebuild the tables: ``"auto"`` is never for ``"pool"`` (the kernel scores the
        pool with the live model) and ``"epoch"`` for ``"neighbors"``.
    exclude_window : bool, default True
        Reject (redraw) a negative that is a true context of the centre in the current window.
    exclude_pairs : iterable of (key, key), scipy sparse matrix or None
        Known co-occurring pairs that must never be negatives of each other.
    block_size : int, default 512
        Queries per matrix product in the neighbour search.

    Examples
    --------
    >>> from embedkit.vocab import Vocab
    >>> t = HardNegative("pool", pool_size=4).tables(Vocab(list("abc"), [5, 3, 1]))
    >>> t.pool, t.exclude_window
    (4, True)
    """

    def __init__(
        self,
        strategy: str = "pool",
        *,
        mix: float = 0.5,
        pool_size: int = 5,
        temperature: float = 1.0,
        n_neighbors: int = 20,
        skip_nearest: int = 0,
        top_n: int | None = 10_000,
        space: str = "output",
        proposal: Any = None,
        power: float = 0.75,
        refresh_every: int | str | None = "auto",
        exclude_window: bool = True,
        exclude_pairs: Iterable[tuple[Hashable, Hashable]] | Any = None,
        block_size: int = 512,
    ) -> None:
        if strategy not in _STRATEGIES:
            raise ValueError(f"strategy must be one of {_STRATEGIES}, got {strategy!r}")
        if space not in _SPACES:
            raise ValueError(f"space must be one of {_SPACES}, got {space!r}")
        if not 0.0 <= float(mix) <= 1.0:
            raise ValueError(f"mix must be in [0, 1], got {mix}")
        for name, value, low in (("pool_size", pool_size, 1), ("n_neighbors", n_neighbors, 1),
                                 ("skip_nearest", skip_nearest, 0),
                                 ("block_size", block_size, 1)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        if top_n is not None and (not isinstance(top_n, (int, np.integer)) or top_n < 2):
            raise ValueError(f"top_n must be an int >= 2 or None, got {top_n!r}")
        if not np.isfinite(temperature) or temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        if refresh_every == "auto":
            refresh_every = None if strategy == "pool" else "epoch"
        if not (refresh_every is None or refresh_every == "epoch"
                or (isinstance(refresh_every, (int, np.integer)) and refresh_every > 0)):
            raise ValueError(
                f"refresh_every must be a positive int, 'epoch', 'auto' or None, "
                f"got {refresh_every!r}"
            )
        self.strategy = strategy
        self.mix = float(mix)
        self.pool_size = int(pool_size)
        self.temperature = float(temperature)
        self.n_neighbors = int(n_neighbors)
        self.skip_nearest = int(skip_nearest)
        self.top_n = top_n
        self.space = space
        self.proposal = proposal
        self.power = float(power)
        self.refresh_every = refresh_every
        self.exclude_window = bool(exclude_window)
        self.exclude_pairs = exclude_pairs
        self.block_size = int(block_size)
        self._cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        if self.strategy == "pool":
            detail = f"pool_size={self.pool_size}, temperature={self.temperature}"
        else:
            detail = f"n_neighbors={self.n_neighbors}"
        return f"HardNegative({self.strategy!r}, mix={self.mix}, {detail})"

    # -- pieces ------------------------------------------------------------------------------
    def _exclusions(self, vocab: Vocab) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
        if self.exclude_pairs is None:
            return None, None
        if self._cache.get("excl_vocab") is not vocab:  # map keys once per vocabulary
            self._cache["excl"] = pairs_to_csr(self.exclude_pairs, vocab)
            self._cache["excl_vocab"] = vocab
        return self._cache["excl"]

    def _neighbours(self, vocab: Vocab, model: ModelState | None) -> tuple | None:
        n = len(vocab)
        limit = n if self.top_n is None else min(n, int(self.top_n))
        if self.proposal is not None:
            prop = self._cache.get("proposal")
            if prop is None or self._cache.get("proposal_vocab") is not vocab:
                prop = Proposal(self.proposal, vocab)
                self._cache["proposal"] = prop
                self._cache["proposal_vocab"] = vocab
            ids = np.nonzero(prop.valid[:limit])[0]
            indptr, nbrs = nearest_neighbors(prop.X, self.n_neighbors, queries=ids,
                                             candidates=ids, score=prop.score,
                                             skip=self.skip_nearest, block_size=self.block_size)
            full = np.full(n + 1, indptr[-1], dtype=np.int64)
            full[: indptr.size] = indptr
            return full, nbrs
        if is_untrained(model):
            return None
        M = model.context_vectors if self.space == "output" else model.vectors
        X = unit_rows(M[:limit])
        indptr, ids = nearest_neighbors(X, self.n_neighbors, skip=self.skip_nearest,
                                        block_size=self.block_size)
        full = np.full(n + 1, indptr[-1], dtype=np.int64)
        full[: limit + 1] = indptr
        return full, ids

    def tables(self, vocab: Vocab, model: ModelState | None = None) -> SamplerTables:
        """Compile the sampler for ``vocab`` and the current ``model``."""
        n = len(vocab)
        weights = np.power(vocab.counts.astype(np.float64), self.power)
        excl_indptr, excl_ids = self._exclusions(vocab)
        cand = None
        cand_mix = 0.0
        pool = 1
        pool_mix = 1.0
        if self.strategy == "pool":
            pool = self.pool_size
            pool_mix = self.mix
        else:
            cand = self._neighbours(vocab, model)
            if cand is not None and excl_ids is not None:
                cand = _drop_pairs(cand[0], cand[1], excl_indptr, excl_ids, n)
            if cand is not None and cand[1].size:
                cand_mix = self.mix
            else:
                cand = None
        return make_tables(
            weights,
            cand_indptr=None if cand is None else cand[0],
            cand_ids=None if cand is None else cand[1],
            cand_mix=cand_mix,
            pool=pool,
            temperature=self.temperature,
            exclude_window=self.exclude_window,
            excl_indptr=excl_indptr,
            excl_ids=excl_ids,
            pool_mix=pool_mix,
        )
