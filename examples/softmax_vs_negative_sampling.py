"""Cost per update: full softmax is O(|V|), negative sampling and NCE are O(k).

Times one epoch of skip-gram on synthetic Zipf corpora of growing vocabulary with each objective
of the engine (``EngineConfig(objective="softmax" | "nce" | "ns")``, one thread, dim 50, k = 5),
and plots microseconds per (context, centre) update against |V| on log-log axes with the fitted
slopes (1 = linear in |V|, 0 = independent of |V|).

    python examples/softmax_vs_negative_sampling.py [--smoke] [--out FOLDER]
"""

from __future__ import annotations

import numpy as np
from _common import parse_args, plt, save

from embedkit.theory import time_per_update


def main(argv=None):
    args = parse_args(__doc__.splitlines()[0], argv)
    if args.smoke:
        sizes, tokens, repeats, budget = (100, 400), 3000, 1, 2e6
    else:
        sizes, tokens, repeats, budget = (250, 500, 1000, 2000, 4000, 8000, 16000), 100_000, 3, 4e7
    df = time_per_update(sizes, ("ns", "nce", "softmax"), n_tokens=tokens, dim=50,
                         negative=5, softmax_budget=budget, repeats=repeats, seed=args.seed)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    slopes = {}
    for obj, g in df.groupby("objective"):
        slope = np.polyfit(np.log(g["vocab_size"]), np.log(g["us_per_update"]), 1)[0]
        slopes[obj] = slope
        ax.loglog(g["vocab_size"], g["us_per_update"], "o-", label=f"{obj} (slope {slope:.2f})")
    ax.set_xlabel("|V|")
    ax.set_ylabel("µs per update (1 thread)")
    ax.set_title("skip-gram cost per update")
    ax.legend()
    table = df.pivot(index="vocab_size", columns="objective", values="us_per_update")
    print(table.to_string(float_format="%.3f"))
    print("log-log slopes:", {k: round(float(v), 2) for k, v in slopes.items()})
    big = table.index.max()
    print(f"softmax / ns at |V|={big}: {table.loc[big, 'softmax'] / table.loc[big, 'ns']:.1f}x")
    save(fig, args.out, "softmax_vs_negative_sampling.png")
    return df


if __name__ == "__main__":
    main()
