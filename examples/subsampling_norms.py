"""Frequent-word subsampling: speed, vector norms by frequency, and quality.

Trains the same skip-gram with subsampling thresholds t = 0 (off), 1e-3 and 1e-4 on the bundled
corpus; plots each word's input-vector norm against its frequency; prints training time, kept
words, trained pairs, word-similarity and analogy scores, and median norms per frequency band.

    python examples/subsampling_norms.py [--smoke] [--out FOLDER]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _common import load_sentences, parse_args, plt, save, train_word2vec
from scipy import stats

from embedkit.datasets import dataset_path


def main(argv=None) -> pd.DataFrame:
    args = parse_args(__doc__.splitlines()[0], argv)
    sents = load_sentences(2000 if args.smoke else None)
    dim, epochs, min_count = (16, 1, 3) if args.smoke else (100, 3, 5)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    rows, bands = [], []
    for t in (0.0, 1e-3, 1e-4):
        m = train_word2vec(sents, args, dim=dim, window=5, epochs=epochs, min_count=min_count,
                           subsample=t)
        emb = m.embeddings_
        norms = np.linalg.norm(emb.vectors, axis=1)
        counts = m.vocab_.counts
        ws = emb.evaluate_word_pairs(dataset_path("wordsim353"))
        sl = emb.evaluate_word_pairs(dataset_path("simlex999"))
        an = emb.evaluate_analogies(dataset_path("analogies"), restrict_vocab=30_000)
        rows.append({
            "subsample": t, "seconds": m.training_seconds_,
            "kept_words": sum(s.trained_words for s in m.epoch_stats_),
            "pairs": sum(s.pairs for s in m.epoch_stats_),
            "wordsim353": ws.spearman, "simlex999": sl.spearman, "analogy_acc": an.accuracy,
            "norm_vs_logfreq_spearman": stats.spearmanr(norms, np.log(counts))[0],
        })
        rank = np.arange(len(counts))
        for name, sel in (("top 100", rank < 100), ("100-1000", (rank >= 100) & (rank < 1000)),
                          ("1000+", rank >= 1000)):
            bands.append({"subsample": t, "band (frequency rank)": name,
                          "median_norm": float(np.median(norms[sel])) if sel.any() else np.nan})
        ax.scatter(counts, norms, s=2, alpha=0.35, label=f"t = {t:g}")
    ax.set_xscale("log")
    ax.set_xlabel("word count")
    ax.set_ylabel("‖v_w‖")
    ax.set_title("input-vector norm against frequency")
    ax.legend(markerscale=5)
    table = pd.DataFrame(rows)
    table["subsample"] = table["subsample"].map("{:g}".format)
    print(table.to_string(index=False, float_format="%.3f"))
    bands = pd.DataFrame(bands)
    bands["subsample"] = bands["subsample"].map("{:g}".format)
    print(bands.pivot(index="band (frequency rank)", columns="subsample",
                                     values="median_norm").to_string(float_format="%.3f"))
    save(fig, args.out, "subsampling_norms.png")
    return table


if __name__ == "__main__":
    main()
