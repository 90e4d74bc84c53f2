"""Save a fitted estimator so that it can be loaded and trained further.

The file is one ``.npz`` (``numpy.savez``, loaded with ``allow_pickle=False``) holding

* ``W``, ``C``: input and output vectors (float32);
* ``counts``: the vocabulary's counts (int64); ``lock``: frozen rows (bool), if any;
* ``meta``: UTF-8 JSON bytes with the format version, the class name, the JSON-representable
  parameters, the keys (str or int), the subsampling threshold, the seed, the training
  schedule in progress and the per-epoch stats.

It is written to a temporary file and moved into place (:func:`embedkit._io.atomic_write`), so
a reader (or a crash during a checkpoint) never sees a half-written model. Loading never
unpickles: parameters that JSON cannot hold (a sampler object, a tokenizer function) are not
saved and take their defaults, with a warning at save time; an ``init`` given as vectors in
memory is saved as None (its rows are in the matrices, the frozen ones in ``lock``).
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

import numpy as np

from embedkit._io import atomic_write
from embedkit.engine.train import EpochStats
from embedkit.vocab import Vocab

__all__ = ["FORMAT", "load_model", "save_model"]

#: Format tag stored in every file.
FORMAT = "embedkit-model/1"


def _json_param(value: Any) -> tuple[bool, Any]:
    if isinstance(value, np.integer):
        value = int(value)
    elif isinstance(value, np.floating):
        value = float(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return True, value
    if isinstance(value, (list, tuple)):
        items = [_json_param(v) for v in value]
        if all(ok for ok, _ in items):
            return True, [v for _, v in items]
    return False, None


def _keys_json(keys: list) -> tuple[str, list]:
    if all(isinstance(k, str) for k in keys):
        return "str", keys
    if all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in keys):
        return "int", [int(k) for k in keys]
    raise TypeError("save() supports str or int keys only")


def save_model(model: Any, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` (an ``.npz``), atomically."""
    model._check_fitted()
    params, dropped = {}, []
    for name, value in model.get_params().items():
        ok, v = _json_param(value)
        if name == "random_state":
            v, ok = None, True  # the seed actually used is saved as seed_
        elif name == "init" and not ok:
            v, ok = None, True  # its rows are in the saved matrices (frozen ones in lock)
        if ok:
            params[name] = v
        else:
            dropped.append(name)
    if dropped:
        warnings.warn(f"save(): parameters {dropped} are not JSON values and are not saved "
                      "(they load as their defaults)", UserWarning, stacklevel=3)
    emb, vocab = model.embeddings_, model.vocab_
    key_type, keys = _keys_json(list(vocab.index_to_key))
    meta = {
        "format": FORMAT, "class": type(model).__name__, "params": params,
        "key_type": key_type, "keys": keys, "subsample": vocab.subsample,
        "n_raw_tokens": vocab.n_raw_tokens, "ordered": vocab.ordered,
        "seed": int(model.seed_), "schedule": getattr(model, "schedule_", None),
        "history": [{"epoch": st.epoch, "loss": st.loss, "raw_words": st.raw_words,
                     "trained_words": st.trained_words, "pairs": st.pairs,
                     "seconds": st.seconds, "mean_neg_sigmoid": st.mean_neg_sigmoid}
                    for st in model.epoch_stats_],
    }
    arrays = {"W": np.ascontiguousarray(emb.vectors, dtype=np.float32),
              "C": np.ascontiguousarray(emb.context_vectors, dtype=np.float32),
              "counts": np.asarray(vocab.counts, dtype=np.int64),
              "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)}
    lock = getattr(model, "lock_", None)
    if lock is not None:
        arrays["lock"] = np.asarray(lock, dtype=bool)
    extra = getattr(model, "_extra_arrays", None)  # e.g. FastText's n-gram rows
    if callable(extra):
        arrays.update(extra())
    path = os.fspath(path)
    if not path.endswith(".npz"):
        raise ValueError(f"a model file must end in .npz, got {path!r}")
    with atomic_write(path, "wb", encoding=None) as fh:
        np.savez(fh, **arrays)


def _read(path: str) -> tuple:
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as z:
            if "meta" not in z.files:
                raise ValueError(f"{path}: not an embedkit model file (no meta)")
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                fmt = meta.get("format") if isinstance(meta, dict) else None
                raise ValueError(f"{path}: unknown model format {fmt!r}")
            missing = {"W", "C", "counts"} - set(z.files)
            if missing:
                raise ValueError(f"{path}: model file lacks {sorted(missing)}")
            W, C, counts = z["W"], z["C"], z["counts"]
            lock = z["lock"] if "lock" in z.files else None
            extra = {k: z[k] for k in z.files if k not in ("W", "C", "counts", "meta", "lock")}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, FileNotFoundError) or path in str(exc):
            raise
        raise ValueError(f"{path}: not a readable embedkit model file ({exc})") from exc
    need = {"class", "params", "keys", "subsample", "n_raw_tokens", "ordered", "seed",
            "history"}
    if not need <= set(meta):
        raise ValueError(f"{path}: model metadata lacks {sorted(need - set(meta))}")
    return meta, W, C, counts, lock, extra


def load_model(cls: type, path: str | os.PathLike) -> Any:
    """The model saved at ``path``, of class ``cls`` (or a subclass named in the file).

    A file that is not an embedkit model (truncated, corrupt, another format) is a
    ``ValueError`` naming it; one holding another estimator is a ``TypeError``.
    """
    path = os.fspath(path)
    meta, W, C, counts, lock, extra = _read(path)
    if meta["class"] != cls.__name__:
        raise TypeError(f"{path} holds a {meta['class']}, not a {cls.__name__}")
    model = cls(**meta["params"])
    keys = meta["keys"]
    if len(keys) != W.shape[0] or W.shape != C.shape or counts.shape != (len(keys),):
        raise ValueError(f"{path}: keys, counts and vectors disagree in size")
    vocab = Vocab(keys, counts, subsample=meta["subsample"], n_raw_tokens=meta["n_raw_tokens"],
                  ordered=meta["ordered"])
    history = [EpochStats(**st) for st in meta["history"]]
    restore = getattr(model, "_restore_rows", None)  # e.g. FastText: words + n-gram rows
    if callable(restore):
        W = restore(vocab, W, extra)
    model._set_fitted(vocab, np.ascontiguousarray(W), np.ascontiguousarray(C), history,
                      seed=int(meta["seed"]), vocab_seconds=0.0)
    model.schedule_ = meta.get("schedule")
    model.lock_ = lock
    return model
