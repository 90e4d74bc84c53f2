"""SGNS implicitly factorises the shifted PMI matrix: v_w·u_c ≈ PMI(w, c) - log k.

Trains skip-gram with k = 1, 5, 15 negatives drawn from the unigram distribution (α = 1, no
subsampling, as in Levy & Goldberg 2014) on the bundled corpus, counts the engine's exact expected
pair counts, and scatters v·u against PMI - log k over frequent observed pairs.

    python examples/pmi_vs_sgns.py [--smoke] [--out FOLDER]
"""

from __future__ import annotations

import numpy as np
from _common import expected_counts, load_sentences, parse_args, plt, save, train_word2vec

from embedkit.theory import implicit_matrix_report, implicit_pairs


def main(argv=None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv)
    sents = load_sentences(1500 if args.smoke else None)
    vocab_size, dim, epochs, min_pair = (200, 20, 2, 5) if args.smoke else (2000, 100, 5, 50)
    ks = (1, 5, 15)
    fig, axes = plt.subplots(1, len(ks), figsize=(4.2 * len(ks), 4), sharey=True)
    results = {}
    counts = None
    print(f"{'k':>3} {'pairs':>7} {'pearson':>8} {'spearman':>8} {'offset':>7} "
          f"{'log k':>6} {'mean err':>9} {'mean err (skip-corrected)':>26}")
    for ax, k in zip(axes, ks, strict=True):
        model = train_word2vec(sents, args, dim=dim, window=5, negative=k, epochs=epochs,
                               min_count=1, max_vocab_size=vocab_size, subsample=0.0,
                               ns_exponent=1.0)
        if counts is None:
            counts = expected_counts(model, sents)
        ctx = model.vocab_.counts  # the noise distribution the sampler draws from (α = 1)
        rep = implicit_matrix_report(model, counts, k=k, alpha=1.0, context_counts=ctx,
                                     min_count=min_pair)
        exact = implicit_matrix_report(model, counts, k=k, alpha=1.0, context_counts=ctx,
                                       min_count=min_pair, skip_equal_negatives=True)
        df = implicit_pairs(model, counts, k=k, alpha=1.0, context_counts=ctx,
                            min_count=min_pair)
        results[k] = rep
        print(f"{k:>3} {rep.n_pairs:>7} {rep.pearson:>8.3f} {rep.spearman:>8.3f} "
              f"{rep.offset:>7.3f} {np.log(k):>6.3f} {rep.mean_error:>9.3f} "
              f"{exact.mean_error:>26.3f}")
        ax.scatter(df["target"], df["dot"], s=2, alpha=0.3)
        lo, hi = np.percentile(df["target"], [0.5, 99.5])
        ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="v·u = PMI − log k")
        ax.set_title(f"k = {k}: Pearson {rep.pearson:.2f}, Spearman {rep.spearman:.2f}")
        ax.set_xlabel("PMI(w, c) − log k")
        ax.legend(loc="upper left", fontsize=8)
    axes[0].set_ylabel("v_w · u_c (SGNS)")
    print("shift between k=5 and k=15: measured "
          f"{results[15].offset - results[5].offset:.3f}, theory log 3 = {np.log(3):.3f}")
    print("frequency bins for k=5:")
    print(results[5].by_frequency.to_string(index=False, float_format="%.3f"))
    save(fig, args.out, "pmi_vs_sgns.png")
    return results


if __name__ == "__main__":
    main()
