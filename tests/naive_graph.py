"""Plain-Python references for the graph code: adjacency, transition probabilities, a walker.

Graphs here are ``{node: {neighbour: weight}}`` dicts of out-edges (an undirected graph lists
each edge in both directions). Everything is written straight from the definitions, without
the CSR layout, alias tables or rejection sampling of the fast code.
"""

from __future__ import annotations

import random


def adjacency(edges, *, directed: bool) -> dict:
    """``{u: {v: w}}`` from ``(u, v[, w])`` tuples (duplicates keep the largest weight)."""
    adj: dict = {}
    for e in edges:
        u, v = e[0], e[1]
        w = float(e[2]) if len(e) > 2 else 1.0
        adj.setdefault(u, {})
        adj.setdefault(v, {})
        adj[u][v] = max(w, adj[u].get(v, 0.0))
        if not directed:
            adj[v][u] = max(w, adj[v].get(u, 0.0))
    return adj


def first_order_probs(adj: dict, v) -> dict:
    """DeepWalk: P(x | v) = w_vx / sum_y w_vy."""
    total = sum(adj[v].values())
    return {x: w / total for x, w in adj[v].items()}


def node2vec_probs(adj: dict, t, v, p: float, q: float) -> dict:
    """node2vec: P(x | t, v) ∝ w_vx * a(t, x), a = 1/p (x = t), 1 (arc t -> x), 1/q (else).

    Grover & Leskovec (2016), eq. (2)-(3); ``d_tx = 1`` when ``x`` is an out-neighbour of ``t``.
    """
    un = {}
    for x, w in adj[v].items():
        if x == t:
            a = 1.0 / p
        elif x in adj[t]:
            a = 1.0
        else:
            a = 1.0 / q
        un[x] = w * a
    z = sum(un.values())
    return {x: u / z for x, u in un.items()}


def naive_walk(adj: dict, start, length: int, p: float, q: float, rng: random.Random) -> list:
    """One node2vec walk by direct sampling from :func:`node2vec_probs`."""
    walk = [start]
    while len(walk) < length:
        v = walk[-1]
        if not adj[v]:
            break
        probs = first_order_probs(adj, v) if len(walk) == 1 else \
            node2vec_probs(adj, walk[-2], v, p, q)
        xs = list(probs)
        walk.append(rng.choices(xs, weights=[probs[x] for x in xs])[0])
    return walk
