"""Neighbour search on clustered vectors: exact (single and batched) vs pynndescent vs gensim.

Generates ``--n`` vectors of dimension ``--dim`` around ``--clusters`` Gaussian centres, with
within-cluster noise whose scale decays over the dimensions (as the spectrum of trained
embeddings does), and ``--queries`` held-out points from the same mixture. Reports queries/s of

* embedkit exact search, one query at a time and all queries as one batch;
* gensim 4 ``KeyedVectors.similar_by_vector`` (brute force), one query at a time;
* embedkit ``build_index(method="pynndescent")`` (single queries and one batch) for each
  ``--epsilons`` value, with recall@10 against the exact top 10 and the index build time.

Run:  nice -n 10 python benchmarks/neighbour_search.py --n 1000000 --dim 100
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from embedkit import Embeddings
from embedkit.index import recall_at_k


def clustered(n: int, dim: int, clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points and their cluster ids (float32), centres ~ N(0, 1), noise decaying by dim."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    scale = (0.8 / np.sqrt(np.arange(1, dim + 1))).astype(np.float32)
    labels = rng.integers(0, clusters, n)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        lab = labels[start : start + 100_000]
        noise = rng.standard_normal((len(lab), dim), dtype=np.float32) * scale[rng.permutation(dim)]
        out[start : start + 100_000] = centres[lab] + noise
    return out, labels


def per_query_rate(fn, queries: np.ndarray, budget_s: float) -> tuple[float, int]:
    """Queries/s over as many single queries as fit in ``budget_s`` seconds."""
    done, t0 = 0, time.perf_counter()
    for q in queries:
        fn(q)
        done += 1
        if time.perf_counter() - t0 > budget_s:
            break
    return done / (time.perf_counter() - t0), done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--clusters", type=int, default=2000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--n-neighbors", type=int, default=30)
    ap.add_argument("--epsilons", type=float, nargs="+", default=[0.1, 0.2, 0.3])
    ap.add_argument("--budget", type=float, default=20.0, help="seconds per single-query run")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-gensim", action="store_true")
    args = ap.parse_args()

    data, _ = clustered(args.n + args.queries, args.dim, args.clusters, args.seed)
    vectors, queries = data[: args.n], data[args.n :]
    keys = [f"k{i}" for i in range(args.n)]
    emb = Embeddings(vectors, keys)
    print(f"{args.n:,} x {args.dim} clustered vectors ({args.clusters} clusters), "
          f"{args.queries} held-out queries, k={args.k}")

    emb.build_index("exact")
    t0 = time.perf_counter()
    exact_idx, _ = emb.search(queries, topn=args.k)
    batch_exact_s = time.perf_counter() - t0
    exact_rate, n_exact = per_query_rate(
        lambda q: emb.similar_by_vector(q, topn=args.k), queries, args.budget)
    rows = [("embedkit exact, single", exact_rate, 1.0, "")]
    rows.append(("embedkit exact, one batch", args.queries / batch_exact_s, 1.0, ""))

    if not args.no_gensim:
        from gensim.models import KeyedVectors

        kv = KeyedVectors(args.dim)
        kv.add_vectors(keys, vectors)
        kv.fill_norms()
        g_rate, _ = per_query_rate(
            lambda q: kv.similar_by_vector(q, topn=args.k), queries, args.budget)
        got = [[kv.key_to_index[k] for k, _ in kv.similar_by_vector(q, topn=args.k)]
               for q in queries[:50]]
        rows.append(("gensim 4 similar_by_vector", g_rate,
                     recall_at_k(np.array(got), exact_idx[:50]), ""))
        del kv

    for eps in args.epsilons:
        t0 = time.perf_counter()
        if eps == args.epsilons[0]:
            emb.build_index("pynndescent", n_neighbors=args.n_neighbors, epsilon=eps,
                            random_state=args.seed)
            build_s = time.perf_counter() - t0
            print(f"pynndescent index built in {build_s:.1f}s (n_neighbors={args.n_neighbors}, "
                  "including Numba compilation)", flush=True)
        else:
            emb.nn_index.epsilon = eps
        t0 = time.perf_counter()
        approx_idx, _ = emb.search(queries, topn=args.k)
        batch_s = time.perf_counter() - t0
        rate, _ = per_query_rate(lambda q: emb.similar_by_vector(q, topn=args.k), queries,
                                 args.budget)
        rec = recall_at_k(approx_idx, exact_idx)
        rows.append((f"pynndescent eps={eps}, single", rate, rec, f"{rate / exact_rate:.0f}x"))
        rows.append((f"pynndescent eps={eps}, one batch", args.queries / batch_s, rec,
                     f"{args.queries / batch_s / exact_rate:.0f}x"))

    print(f"\n| method | queries/s | recall@{args.k} | vs exact single |")
    print("|---|---:|---:|---:|")
    for name, rate, rec, ratio in rows:
        print(f"| {name} | {rate:,.0f} | {rec:.3f} | {ratio} |")
    print(f"(single-query rates over up to {args.budget:.0f}s of queries each; exact single "
          f"measured over {n_exact} queries; one run: quote the ratios)")


if __name__ == "__main__":
    main()
