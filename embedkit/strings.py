"""String distances used by the spelling-aware sampler and the k-mer evaluations.

Two distances with different meanings, named for what they compute:

* :func:`levenshtein_distance`: insertions, deletions and substitutions cost 1;
* :func:`osa_distance` (optimal string alignment): the same plus swaps of two adjacent
  characters, cost 1 (``"form"`` -> ``"from"`` is 1, not 2).

Both are plain-Python references, O(len(a) * len(b)); the samplers use Numba versions of the
same recurrences for bulk work.
"""

from __future__ import annotations

__all__ = ["levenshtein_distance", "osa_distance"]


def levenshtein_distance(a: str, b: str) -> int:
    """Levenshtein distance (unit costs; no transpositions).

    Examples
    --------
    >>> levenshtein_distance("ACGT", "AGT"), levenshtein_distance("form", "from")
    (1, 2)
    """
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    adjacent characters each cost 1.

    Examples
    --------
    >>> osa_distance("form", "from"), osa_distance("kitten", "sitting")
    (1, 3)
    """
    la, lb = len(a), len(b)
    d = [[0] * (lb + 1) for _ in range(la + 1)]
    for i in range(la + 1):
        d[i][0] = i
    for j in range(lb + 1):
        d[0][j] = j
    for i in range(1, la + 1):
        for j in range(1, lb + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[la][lb]
