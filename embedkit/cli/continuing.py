"""Options of the train commands for warm starts, continued training and checkpoints."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_continue_options", "fit_or_continue"]


def add_continue_options(p: argparse.ArgumentParser, *, warm_start: bool = True) -> None:
    """``--continue``, ``--save-model``, ``--checkpoint`` (and ``--init``, ``--freeze-init``)."""
    g = p.add_argument_group("continued training")
    if warm_start:
        g.add_argument("--init", default=None, metavar="VECTORS",
                       help="start matching tokens from these vectors (.npz, .txt/.vec, .bin)")
        g.add_argument("--freeze-init", action="store_true",
                       help="keep the --init rows unchanged by training")
    g.add_argument("--continue", dest="continue_model", default=None, metavar="MODEL",
                   help="continue a model saved by --save-model on this data (partial_fit: "
                   "new tokens get rows; --epochs and --lr apply to this round)")
    g.add_argument("--save-model", default=None, metavar="MODEL.npz",
                   help="also save the whole model (vocabulary, both matrices, parameters) "
                   "so that it can be continued")
    g.add_argument("--checkpoint", default=None, metavar="MODEL.npz",
                   help="save the whole model after every epoch (atomic; '{epoch}' in the "
                   "name is replaced by the epoch number)")


def fit_or_continue(cls: type, params: dict, data: Any, args: argparse.Namespace) -> Any:
    """Fit ``cls(**params)`` on ``data``, or continue ``--continue``; save as asked."""
    from embedkit.callbacks import Checkpoint

    callbacks = [Checkpoint(args.checkpoint)] if args.checkpoint else None
    init = getattr(args, "init", None)
    freeze = getattr(args, "freeze_init", False)
    if freeze and not init:
        raise SystemExit("embedkit: --freeze-init needs --init")
    if args.continue_model:
        if init:
            raise SystemExit("embedkit: --init starts a new model; it cannot be combined with "
                             "--continue")
        model = cls.load_model(args.continue_model)
        model.set_params(threads=params["threads"], progress=params["progress"])
        model.partial_fit(data, epochs=params["epochs"], lr=params["lr"], callbacks=callbacks)
    else:
        if init:
            params = dict(params, init=init, freeze_init=freeze)
        model = cls(**params).fit(data, callbacks=callbacks)
    if args.save_model:
        model.save_model(args.save_model)
    return model
