"""Small windows favour similarity (same function), large windows relatedness (same topic).

Trains skip-gram with window 2 and window 10 on the bundled corpus, prints the nearest neighbours
of the same words under both, and scores each model on the WordSim-353 similarity and relatedness
subsets (Agirre et al. 2009).

    python examples/window_size_neighbours.py [--smoke] [--out FOLDER]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _common import load_sentences, parse_args, plt, save, train_word2vec

from embedkit.datasets import dataset_path

QUERIES = ["war", "tax", "money", "president", "good", "said", "america", "children"]


def main(argv=None) -> pd.DataFrame:
    args = parse_args(__doc__.splitlines()[0], argv)
    sents = load_sentences(2000 if args.smoke else None)
    dim, epochs, min_count = (16, 1, 3) if args.smoke else (100, 5, 5)
    windows = (2, 10)
    models = {w: train_word2vec(sents, args, dim=dim, window=w, epochs=epochs,
                                min_count=min_count) for w in windows}
    for q in QUERIES:
        for w, m in models.items():
            if q in m.embeddings_:
                nn = ", ".join(k for k, _ in m.embeddings_.most_similar(q, topn=6))
                print(f"{q:>10} window {w:>2}: {nn}")
    rows = []
    for w, m in models.items():
        for name in ("ws353_similarity", "ws353_relatedness"):
            r = m.embeddings_.evaluate_word_pairs(dataset_path(name))
            rows.append({"window": w, "subset": name, "spearman": r.spearman,
                         "pairs_used": r.n_used})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format="%.3f"))
    piv = table.pivot(index="subset", columns="window", values="spearman")
    gap = piv.loc["ws353_relatedness"] - piv.loc["ws353_similarity"]
    print("relatedness - similarity gap: "
          + ", ".join(f"window {w}: {gap[w]:+.3f}" for w in windows))
    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.arange(len(piv.index))
    for i, w in enumerate(windows):
        ax.bar(x + (i - 0.5) * 0.38, piv[w].to_numpy(), width=0.38, label=f"window {w}")
    ax.set_xticks(x, [s.replace("ws353_", "") for s in piv.index])
    ax.set_ylabel("Spearman ρ")
    ax.set_title("WordSim-353 subsets by window size")
    ax.legend()
    save(fig, args.out, "window_size_neighbours.png")
    return table


if __name__ == "__main__":
    main()
