"""How the spectrum of SGNS's implicit matrix W·Cᵀ changes with k and with the smoothing α.

Raising k shifts the factorised matrix PMI - log k down; the negatives' smoothing exponent α
changes the context distribution P_α(c) ∝ #c^α it is measured against (Levy, Goldberg & Dagan
2015). Trains SGNS for k ∈ {1, 5, 15} × α ∈ {0.75, 1.0} and plots the singular values of W·Cᵀ
next to those of the matching SPPMI matrix. SGNS also pushes the unobserved cells down (their PMI is
-inf), so W·Cᵀ carries a large, nearly constant negative component: its top singular value grows
like |V| times the typical shift (about log k plus a constant), while the rest of the spectrum
changes much less. SPPMI clips that part away.

    python examples/spectrum_vs_k_alpha.py [--smoke] [--out FOLDER]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _common import expected_counts, load_sentences, parse_args, plt, save, train_word2vec

from embedkit.theory import implicit_matrix_report, implicit_spectrum, sppmi_matrix
from embedkit.theory.svd import truncated_svd


def main(argv=None) -> pd.DataFrame:
    args = parse_args(__doc__.splitlines()[0], argv)
    sents = load_sentences(1500 if args.smoke else 30_000)
    vocab_size, dim, epochs, min_pair = (200, 16, 2, 5) if args.smoke else (2000, 50, 4, 50)
    ks, alphas = (1, 5, 15), (0.75, 1.0)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    rows, counts = [], None
    for alpha in alphas:
        for k in ks:
            model = train_word2vec(sents, args, dim=dim, window=5, negative=k, epochs=epochs,
                                   min_count=1, max_vocab_size=vocab_size, subsample=0.0,
                                   ns_exponent=alpha)
            if counts is None:
                counts = expected_counts(model, sents)
            s = implicit_spectrum(model)
            _, s_ref, _ = truncated_svd(
                sppmi_matrix(counts, k, alpha=alpha, context_counts=model.vocab_.counts), dim,
                seed=args.seed)
            energy = np.cumsum(s ** 2) / np.sum(s ** 2)
            n = len(model.vocab_)
            # which matrix did it factorise? compare with PMI_a' - log k for both a'
            fit = {a2: implicit_matrix_report(model, counts, k=k, alpha=a2,
                                              context_counts=model.vocab_.counts,
                                              min_count=min_pair) for a2 in alphas}
            rows.append({"alpha": alpha, "k": k, "sigma_1": s[0], "sigma_1_per_V": s[0] / n,
                         "log_k": np.log(k), "sigma_2": s[1], "sigma_10": s[min(9, dim - 1)],
                         "sum_sigma": s.sum(), "rank_90pct_energy": int(np.searchsorted(energy,
                                                                                       0.9) + 1),
                         "sppmi_sigma_1": s_ref[0], "sppmi_sum_sigma": s_ref.sum(),
                         **{f"mean_err_vs_pmi_a{a2:g}": fit[a2].mean_error for a2 in alphas},
                         **{f"pearson_vs_pmi_a{a2:g}": fit[a2].pearson for a2 in alphas}})
            ax = axes[0] if alpha == 0.75 else axes[1]
            line, = ax.plot(np.arange(1, dim + 1), s, label=f"SGNS k={k}")
            ax.plot(np.arange(1, dim + 1), s_ref, ls=":", color=line.get_color(),
                    label=f"SPPMI k={k}")
    for ax, alpha in zip(axes, alphas, strict=True):
        ax.set_yscale("log")
        ax.set_xlabel("rank")
        ax.set_title(f"singular values of W·Cᵀ, α = {alpha}")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("singular value")
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 250):
        print(table.to_string(index=False, float_format="%.3f"))
    save(fig, args.out, "spectrum_vs_k_alpha.png")
    return table


if __name__ == "__main__":
    main()
