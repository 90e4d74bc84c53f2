"""The ``embedkit`` command line.

Each domain contributes one module with a ``register(subparsers, train_subparsers)`` function;
adding a command family is one module plus one line in :data:`COMMAND_MODULES`.
Errors are printed as one readable line with a non-zero exit status, never a traceback
(set ``EMBEDKIT_DEBUG=1`` to see the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import sys
from collections.abc import Sequence

#: Modules that register subcommands (skipped if absent).
COMMAND_MODULES = [
    "embedkit.cli.text",
    "embedkit.cli.graph",
    "embedkit.cli.kmers",
    "embedkit.cli.bench",
    "embedkit.cli.vectors",
]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (all registered command families)."""
    parser = argparse.ArgumentParser(
        prog="embedkit",
        description="Skip-gram negative-sampling embeddings for words, graph nodes and DNA "
        "k-mers.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    train = sub.add_parser("train", help="train embeddings (text, graph or kmers)")
    train_sub = train.add_subparsers(dest="kind", metavar="KIND")
    train_sub.required = True
    for name in COMMAND_MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(sub, train_sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``embedkit`` script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("numba").setLevel(logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("embedkit: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, KeyError, OSError, RuntimeError, ImportError,
            FloatingPointError) as exc:
        if os.environ.get("EMBEDKIT_DEBUG"):
            raise
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"embedkit: error: {msg}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
