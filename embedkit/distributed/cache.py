"""A bounded per-worker cache of encoded batches and prepared epochs (LRU by bytes).

Every worker streams the whole epoch (any sentence may hold pairs of any cell). To avoid
re-reading and re-tokenizing text for every cell, each worker keeps the encoded batches of
recently streamed shards (:func:`cached_batches`, ``cache_bytes`` per worker): a worker then
tokenizes each text shard once per run, and generates each walk shard once per epoch, as long
as the encoded shard fits. The same cache (:func:`cache_get`, :func:`cache_put`) holds each
epoch's prepared cells (:mod:`embedkit.distributed.tasks`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator

from embedkit.contexts.base import SeqBatch
from embedkit.vocab import Vocab

__all__ = ["cache_get", "cache_put", "cache_drop", "cached_batches", "clear_cache"]

_CACHE: OrderedDict[tuple, list] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _nbytes(items: list) -> int:
    """Bytes held by cached items: :class:`SeqBatch` or anything with an ``nbytes``."""
    return sum(b.ids.nbytes + b.offsets.nbytes if isinstance(b, SeqBatch) else b.nbytes
               for b in items)


def cache_get(key: tuple) -> list | None:
    """The cached list under ``key`` (marked recently used), or None."""
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
    return hit


def cache_put(key: tuple, items: list, budget: int) -> None:
    """Keep ``items`` under ``key``, evicting the least recently used entries over ``budget``."""
    with _CACHE_LOCK:
        _CACHE[key] = items
        total = sum(_nbytes(v) for v in _CACHE.values())
        while total > budget and len(_CACHE) > 1:
            _, old = _CACHE.popitem(last=False)
            total -= _nbytes(old)


def cache_drop(key: tuple) -> None:
    """Forget the entry under ``key`` (if any)."""
    with _CACHE_LOCK:
        _CACHE.pop(key, None)


def cached_batches(key: tuple, shard, vocab: Vocab, *, epoch: int, seed: int,
                   budget: int) -> Iterator[SeqBatch]:
    """Stream ``shard``'s batches, from this process's bounded cache when possible.

    ``key`` must identify the run and shard; epoch-dependent shards add the epoch. A stream is
    kept only if it fits ``budget`` bytes; older entries are evicted first.
    """
    full = key if shard.epoch_invariant else (*key, epoch)
    hit = cache_get(full)
    if hit is not None:
        yield from hit
        return
    kept: list[SeqBatch] | None = [] if budget > 0 else None
    size = 0
    for batch in shard.batches(vocab, epoch=epoch, seed=seed):
        if kept is not None:
            size += batch.ids.nbytes + batch.offsets.nbytes
            if size > budget:
                kept = None
            else:
                kept.append(batch)
        yield batch
    if kept is not None:
        cache_put(full, kept, budget)


def clear_cache(run: str | None = None) -> None:
    """Drop cached streams (of one run, or all)."""
    with _CACHE_LOCK:
        for k in [k for k in _CACHE if run is None or k[0] == run]:
            del _CACHE[k]
