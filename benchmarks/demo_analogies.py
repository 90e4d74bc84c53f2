"""Which analogies does the bundled corpus teach reliably? (picks the ones ``embedkit demo`` shows)

Trains the demo's model (``embedkit demo`` settings: skip-gram, dim 100, window 5, 5 epochs,
min_count 5, 2 threads) on the bundled corpus for several seeds and answers every question of
the bundled Google analogy set with 3CosAdd (query words excluded, whole vocabulary). Prints,
per section, how many questions are answered and the questions every seed gets right, so the
demo shows measured successes rather than hoped-for ones.

    python benchmarks/demo_analogies.py --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from embedkit import Word2Vec, datasets


def questions(vocab: dict) -> list[tuple[str, tuple[str, str, str, str]]]:
    out, section = [], ""
    with open(datasets.analogies_path(), encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(":"):
                section = line[1:].strip()
                continue
            q = tuple(line.lower().split())
            if len(q) == 4 and all(w in vocab for w in q):
                out.append((section, q))
    return out


def correct(emb, qs) -> np.ndarray:
    X = emb.normed_vectors
    k2i = emb.key_to_index
    ids = np.array([[k2i[w] for w in q] for _, q in qs])
    ok = np.zeros(len(qs), dtype=bool)
    for s in range(0, len(qs), 512):
        a, b, c, d = (ids[s:s + 512, j] for j in range(4))
        target = X[b] - X[a] + X[c]
        scores = target @ X.T
        rows = np.arange(len(a))
        for col in (a, b, c):
            scores[rows, col] = -np.inf
        ok[s:s + 512] = scores.argmax(axis=1) == d
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    hits, qs = None, None
    for seed in args.seeds:
        model = Word2Vec(dim=100, window=5, negative=5, epochs=args.epochs, min_count=5,
                         tokenizer="split", threads=2, random_state=seed, progress=False)
        emb = model.fit(datasets.text_corpus_path()).embeddings_
        if qs is None:
            qs = questions(emb.key_to_index)
        ok = correct(emb, qs)
        hits = ok.astype(int) if hits is None else hits + ok
        print(f"seed {seed}: {ok.mean():.3f} of {len(qs)} answered questions right", flush=True)
    n = len(args.seeds)
    by_section = defaultdict(list)
    for (section, q), h in zip(qs, hits, strict=True):
        by_section[section].append((h, q))
    for section, items in by_section.items():
        always = [q for h, q in items if h == n]
        print(f"{section}: {len(items)} answered, {len(always)} right for all {n} seeds, "
              f"mean {np.mean([h for h, _ in items]) / n:.3f}")
        for q in always[:12]:
            print(f"    {q[0]} : {q[1]} :: {q[2]} : {q[3]}")


if __name__ == "__main__":
    main()
