"""SPPMI-SVD against SGNS on word similarity and analogies (Levy, Goldberg & Dagan 2015).

Both start from the same data: SGNS (dim 100, window 5, k = 5, α = 0.75, t = 1e-3) trained by the
engine, and truncated SVDs of SPPMI_k built from the engine's exact expected pair counts (same
window, dynamic window and subsampling), with context smoothing α = 0.75 and eigenvalue weighting
p ∈ {0, 0.5}. Prints a table and saves it as a bar chart.

    python examples/svd_vs_sgns.py [--smoke] [--out FOLDER]
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from _common import expected_counts, load_sentences, parse_args, plt, save, train_word2vec

from embedkit.datasets import dataset_path
from embedkit.theory import sppmi_matrix, svd_embeddings
from embedkit.theory.svd import truncated_svd

TASKS = {"wordsim353": "wordsim353", "simlex999": "simlex999",
         "ws353_sim": "ws353_similarity", "ws353_rel": "ws353_relatedness"}


def _scores(emb) -> dict:
    row = {name: emb.evaluate_word_pairs(dataset_path(ds)).spearman for name, ds in TASKS.items()}
    for method in ("3cosadd", "3cosmul"):
        row[f"analogy_{method}"] = emb.evaluate_analogies(
            dataset_path("analogies"), restrict_vocab=30_000, method=method).accuracy
    return row


def main(argv=None) -> pd.DataFrame:
    args = parse_args(__doc__.splitlines()[0], argv)
    sents = load_sentences(2000 if args.smoke else None)
    dim, epochs, min_count = (16, 1, 3) if args.smoke else (100, 5, 5)
    t0 = time.perf_counter()
    sgns = train_word2vec(sents, args, dim=dim, window=5, negative=5, epochs=epochs,
                          min_count=min_count, subsample=1e-3, ns_exponent=0.75)
    rows = [{"model": f"SGNS k=5 (dim {dim})", "seconds": time.perf_counter() - t0,
             **_scores(sgns.embeddings_)}]
    t0 = time.perf_counter()
    counts = expected_counts(sgns, sents)  # same window, dynamic window, subsampling
    count_seconds = time.perf_counter() - t0
    print(f"expected counts: {counts.nnz} pairs, {count_seconds:.1f}s")
    for k in (1, 5):
        t0 = time.perf_counter()
        m = sppmi_matrix(counts, k, alpha=0.75)
        factors = truncated_svd(m, dim, seed=args.seed)
        svd_seconds = time.perf_counter() - t0
        for p in (0.0, 0.5):
            emb = svd_embeddings(m, sgns.vocab_, dim, eig_weight=p, svd=factors)
            rows.append({"model": f"SVD SPPMI k={k} p={p}",
                         "seconds": count_seconds + svd_seconds, **_scores(emb)})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format="%.3f"))
    metrics = [c for c in table.columns if c not in ("model", "seconds")]
    fig, ax = plt.subplots(figsize=(9, 4))
    x = np.arange(len(metrics))
    width = 0.8 / len(table)
    for i, r in table.iterrows():
        ax.bar(x + (i - len(table) / 2 + 0.5) * width, r[metrics].astype(float), width,
               label=r["model"])
    ax.set_xticks(x, metrics, rotation=20)
    ax.set_ylabel("Spearman ρ / accuracy")
    ax.set_title("SPPMI-SVD vs SGNS")
    ax.legend(fontsize=7)
    save(fig, args.out, "svd_vs_sgns.png")
    return table


if __name__ == "__main__":
    main()
