"""Plain-Python reference implementations of the k-mer rules in embedkit.contexts.kmers.

Deliberately slow and literal: strings, slices and Counters, written from the documented rules
(grid positions ``0, s, 2s, ...`` per record; a position is valid when the ``K = k_high``
bases from it are all A/C/G/T; runs break at invalid positions and at non-ACGT symbols in the
gaps between k-mers; ``canonical`` = min of a k-mer and its reverse complement).
"""

from __future__ import annotations

from collections import Counter

ACGT = "ACGT"
_COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}


def encode(kmer: str) -> int:
    code = 0
    for ch in kmer.upper():
        code = code * 4 + ACGT.index(ch)
    return code


def decode(code: int, k: int) -> str:
    out = []
    for _ in range(k):
        out.append(ACGT[code % 4])
        code //= 4
    return "".join(reversed(out))


def revcomp(kmer: str) -> str:
    return "".join(_COMP[c] for c in reversed(kmer.upper()))


def canonical(kmer: str) -> str:
    up = kmer.upper()
    return min(up, revcomp(up))


def clean(seq: str) -> str:
    """Upper case, U read as T."""
    return seq.upper().replace("U", "T")


def valid_positions(seq: str, K: int, stride: int) -> list[int]:
    seq = clean(seq)
    return [p for p in range(0, len(seq) - K + 1, stride) if all(c in ACGT for c in seq[p:p + K])]


def counts(seqs: list[str], k_low: int, k_high: int | None = None, *, stride: int = 1,
           canon: bool = False, rc: bool = False) -> Counter:
    """Exact k-mer counts: every length k_low..k_high at every valid position."""
    k_high = k_low if k_high is None else k_high
    total: Counter = Counter()
    strands = []
    for s in seqs:
        strands.append(clean(s))
        if rc:
            strands.append("".join(_COMP.get(c, "N") for c in reversed(clean(s))))
    for s in strands:
        for p in valid_positions(s, k_high, stride):
            for k in range(k_low, k_high + 1):
                x = s[p:p + k]
                total[canonical(x) if canon else x] += 1
    return total


def runs(seq: str, k: int, *, stride: int = 1, canon: bool = False,
         max_len: int | None = None, segment: int | None = None) -> list[list[str]]:
    """Fixed-k runs of one record: consecutive valid grid k-mers with no break between them,
    cut every ``max_len`` k-mers and at multiples of ``segment`` bases."""
    seq = clean(seq)
    out: list[list[str]] = []
    cur: list[str] = []
    prev = None
    for p in valid_positions(seq, k, stride):
        gap_clean = prev is not None and p - prev == stride and all(
            c in ACGT for c in seq[prev:p + k])
        same_segment = segment is None or prev is None or p // segment == prev // segment
        if cur and (not gap_clean or not same_segment or (max_len and len(cur) >= max_len)):
            out.append(cur)
            cur = []
        x = seq[p:p + k]
        cur.append(canonical(x) if canon else x)
        prev = p
    if cur:
        out.append(cur)
    return out


def skipped(seqs: list[str]) -> int:
    return sum(sum(c not in ACGT for c in clean(s)) for s in seqs)
