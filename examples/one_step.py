"""One SGD step of SGNS, with the engine's own kernel code: the push and the pull.

Vocabulary {a, b, c}; the training pair (b → a): the input vector v_b of b predicts the output
vector u_a of a, against the negatives b and c. In the engine's skip-gram the input vector is the
*context* token's and the output vector the *centre* token's, so this is centre a with context b.
A two-token sequence [a, b] given to ``train_chunks`` would also train the reverse pair, so the
update is run with :func:`embedkit.engine.window.train_window`, which calls the kernel's inner
``_sg_window`` (the code ``train_chunks`` runs for every centre) on the single window; the
negatives come from a's candidate list {b, c} (``make_tables(cand_mix=1.0)``), and we use the
first random stream whose two draws are b and c.

With g_+ = lr (1 - σ(v_b·u_a)) and g_x = -lr σ(v_b·u_x) for the negatives x ∈ {b, c}:
    Δv_b = g_+ u_a + g_b u_b + g_c u_c     (pull toward u_a, pushes away from u_b, u_c)
    Δu_a = g_+ v_b,  Δu_b = g_b v_b,  Δu_c = g_c v_b

    python examples/one_step.py [--smoke] [--out FOLDER]
"""

from __future__ import annotations

import numpy as np
from _common import parse_args, plt, save

from embedkit.engine import KernelParams
from embedkit.engine.window import train_window
from embedkit.samplers import make_tables

A, B, C_ = 0, 1, 2
NAMES = "abc"


def one_step(lr: float = 0.5, seed: int = 0):
    """Run the step; return vectors before/after, the kernel's targets and the forces."""
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 0.6, (3, 2)).astype(np.float32)  # 2-D so the picture is exact
    C = rng.normal(0, 0.6, (3, 2)).astype(np.float32)
    params = KernelParams(window=1, negative=2, sg=True, shrink_window=False,
                          shared_negatives=False, cbow_mean=True, lr0=lr, min_lr=lr,
                          total_words=1.0, compute_loss=True)
    tables = make_tables(np.ones(3), cand_indptr=[0, 2, 2, 2], cand_ids=[B, C_], cand_mix=1.0)
    for state in range(1, 1000):
        W1, C1 = W.copy(), C.copy()
        out = train_window(W1, C1, np.array([A, B]), 0, 0, 2, lr=lr, params=params,
                           tables=tables, state=state)
        if sorted(out["targets"][1:].tolist()) == [B, C_]:
            break
    v, u = W.astype(float), C.astype(float)

    def sig(x):
        return 1 / (1 + np.exp(-x))

    forces = {"pull to u_a": lr * (1 - sig(v[B] @ u[A])) * u[A],
              "push from u_b": -lr * sig(v[B] @ u[B]) * u[B],
              "push from u_c": -lr * sig(v[B] @ u[C_]) * u[C_]}
    return W, C, W1, C1, out, forces


def main(argv=None) -> dict:
    args = parse_args(__doc__.splitlines()[0], argv)
    W, C, W1, C1, out, forces = one_step(seed=args.seed)
    print("kernel targets (positive, negatives):", [NAMES[t] for t in out["targets"]],
          " kernel scales lr*(label - sigma):", np.round(out["scales"].astype(float), 4).tolist())
    for name, f in forces.items():
        print(f"force on v_b, {name:>14}: {np.round(f, 4).tolist()}")
    print(f"Δv_b (kernel) = {np.round((W1[B] - W[B]).astype(float), 4).tolist()}   "
          f"sum of forces = {np.round(sum(forces.values()), 4).tolist()}")
    for t in (A, B, C_):
        print(f"Δu_{NAMES[t]} = {np.round((C1[t] - C[t]).astype(float), 4).tolist()}")
    dots = {}
    for t in (A, B, C_):
        before, after = float(W[B] @ C[t]), float(W1[B] @ C1[t])
        dots[NAMES[t]] = (before, after)
        arrow = "rises" if after > before else "falls"
        print(f"v_b·u_{NAMES[t]}: {before:+.4f} -> {after:+.4f} ({arrow})")
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    colours = {A: "tab:green", B: "tab:red", C_: "tab:purple"}
    ax.annotate("", W1[B], W[B], arrowprops={"arrowstyle": "->", "lw": 2})
    ax.plot(*W[B], "ko")
    ax.text(*W[B], "  v_b")
    ax.text(*W1[B], "  v_b'")
    origin = W[B]
    for (name, f), col in zip(forces.items(), ("tab:green", "tab:red", "tab:purple"),
                              strict=True):
        ax.arrow(*origin, *f, color=col, width=0.004, length_includes_head=True, label=name)
    for t in (A, B, C_):
        ax.plot(*C[t], "s", color=colours[t])
        ax.annotate("", C1[t], C[t], arrowprops={"arrowstyle": "->", "color": colours[t]})
        ax.text(*C[t], f"  u_{NAMES[t]}", color=colours[t])
    ax.axhline(0, lw=0.5, color="grey")
    ax.axvline(0, lw=0.5, color="grey")
    ax.set_aspect("equal")
    ax.legend(fontsize=8)
    ax.set_title("one SGNS step for (b → a), negatives b, c")
    save(fig, args.out, "one_step.png")
    return dots


if __name__ == "__main__":
    main()
