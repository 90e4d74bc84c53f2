"""Only what runs compiles: a fit's kernels contain the code of its mode and nothing else.

Checked in a subprocess with an empty Numba cache, so every function the fit needs is compiled
there and shows up in its dispatcher's signatures (a cached caller would load without them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_CHILD = r"""
import json
import embedkit
from embedkit.engine import negatives, pairs, sgns, softmax, stream
sents = [["a", "b", "c", "d", "e", "f"] * 3 for _ in range(20)]
embedkit.Word2Vec(dim=8, min_count=1, epochs=1, threads=1, progress=False,
                  **KW).fit(sents)
fns = {"sg6": sgns.sg6_window, "sg_shared": sgns.sg_shared_window,
       "sg_pairs": sgns.sg_pairs_window, "sg_pairs6": pairs.sg_pairs6_window,
       "cbow": sgns.cbow_window,
       "softmax": softmax.softmax_window, "nce": softmax.nce_window,
       "plain": negatives.draw_plain, "general": negatives.draw_general}
print(json.dumps({k: len(f.signatures) for k, f in fns.items()}
                 | {"entries": [str(s[0]) for s in stream.run_chunks.signatures]}))
"""


def _compiled(tmp_path, **kw) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", _CHILD.replace("KW", repr(kw))], env=env,
                         capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_default_skipgram_compiles_only_its_window_and_plain_negatives(tmp_path):
    got = _compiled(tmp_path)
    assert got["sg6"] == 1 and got["plain"] == 1
    for other in ("sg_shared", "sg_pairs", "sg_pairs6", "cbow", "softmax", "nce", "general"):
        assert got[other] == 0, other
    assert len(got["entries"]) == 1 and "SgShared6" in got["entries"][0]


@pytest.mark.slow
def test_per_pair_k5_compiles_only_the_fused_pair_window(tmp_path):
    """Per-pair negatives with k = 5 (the graph and k-mer default) compile the fused window."""
    got = _compiled(tmp_path, shared_negatives=False)
    assert got["sg_pairs6"] == 1 and got["plain"] == 1
    for other in ("sg6", "sg_shared", "sg_pairs", "cbow", "softmax", "nce", "general"):
        assert got[other] == 0, other
    assert len(got["entries"]) == 1 and "SgPairs6" in got["entries"][0]


@pytest.mark.slow
def test_cbow_with_hard_negatives_compiles_cbow_and_general_draws_only(tmp_path):
    got = _compiled(tmp_path, sg=False, sampler="hard")
    assert got["cbow"] == 1 and got["general"] == 1
    for other in ("sg6", "sg_shared", "sg_pairs", "sg_pairs6", "softmax", "nce", "plain"):
        assert got[other] == 0, other
