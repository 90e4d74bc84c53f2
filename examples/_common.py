"""Shared helpers of the example scripts: arguments, the bundled corpus, figures."""

from __future__ import annotations

import argparse
import gzip
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # scripts only save figures
import matplotlib.pyplot as plt  # noqa: E402

from embedkit.datasets import dataset_path  # noqa: E402


def parse_args(description: str, argv=None, **defaults) -> argparse.Namespace:
    """``--smoke`` (seconds, for CI), ``--out`` (folder for the PNG), ``--threads``."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--smoke", action="store_true", help="tiny settings that run in seconds")
    p.add_argument("--out", default=os.environ.get("EMBEDKIT_EXAMPLES_OUT", "."),
                   help="folder for the figure (default: current folder)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def load_sentences(max_lines: int | None = None) -> list[list[str]]:
    """The bundled corpus (State of the Union addresses, normalised), one token list per line."""
    out = []
    with gzip.open(dataset_path("text_corpus"), "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if max_lines is not None and i >= max_lines:
                break
            toks = line.split()
            if toks:
                out.append(toks)
    return out


def save(fig, out: str, name: str) -> Path:
    path = Path(out) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"saved {path}")
    return path


def train_word2vec(sentences, args, **params):
    """Word2Vec on token lists with the example's seed and threads (no progress bar)."""
    from embedkit import Word2Vec

    params.setdefault("random_state", args.seed)
    params.setdefault("threads", args.threads)
    params.setdefault("progress", False)
    return Word2Vec(**params).fit(sentences)


def expected_counts(model, sentences, **options):
    """The engine's expected pair counts for a fitted model's vocabulary and window."""
    from embedkit.contexts.text import TextCorpus
    from embedkit.theory import cooccurrence_matrix

    options.setdefault("window", model.window)
    options.setdefault("shrink_window", model.shrink_window)
    return cooccurrence_matrix(TextCorpus(sentences), model.vocab_, **options)
