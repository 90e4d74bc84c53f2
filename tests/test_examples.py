"""Every example script runs in --smoke mode, saves its PNG and prints its numbers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# script -> a pattern its printed numbers must contain; where the pattern has a group ``v``,
# the number it captures must exceed the given bound (what a trained model shows even in
# --smoke mode; untrained vectors score about 0).
CASES = {
    # the k = 5 row's Pearson between v.u and PMI - log k: 0.40 measured in smoke mode
    "pmi_vs_sgns.py": (r"(?m)^\s+5\s+\d+\s+(?P<v>-?\d\.\d+)\s", 0.25),
    "spectrum_vs_k_alpha.py": r"sigma_1",
    "softmax_vs_negative_sampling.py": r"log-log slopes: \{.*'softmax': \d",
    # Spearman of vector norm against log frequency without subsampling: 0.89 measured
    "subsampling_norms.py": (r"(?m)^\s+0(?:\s+-?[\d.]+){6}\s+(?P<v>-?\d\.\d+)$", 0.6),
    "window_size_neighbours.py": r"ws353_relatedness",
    "svd_vs_sgns.py": r"SVD SPPMI k=5 p=0.5",
    "one_step.py": r"v_b·u_a: [-+]\d\.\d+ -> [-+]\d\.\d+ \(rises\)",
}


def test_every_theory_example_exists():
    for script in CASES:
        assert (EXAMPLES / script).is_file(), script


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_smoke(script, tmp_path):
    env = dict(os.environ, PYTHONIOENCODING="utf-8", MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--smoke", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    pattern, low = CASES[script] if isinstance(CASES[script], tuple) else (CASES[script], None)
    found = re.search(pattern, proc.stdout)
    assert found, proc.stdout[-3000:]
    if low is not None:
        assert float(found["v"]) > low, (found["v"], proc.stdout[-3000:])
    png = tmp_path / script.replace(".py", ".png")
    assert png.is_file() and png.stat().st_size > 5000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_one_step_example_directions(tmp_path, monkeypatch):
    """The example's own numbers: v_b.u_a rises, v_b.u_b and v_b.u_c fall."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    import one_step

    dots = one_step.main(["--smoke", "--out", str(tmp_path)])
    assert dots["a"][1] > dots["a"][0]
    assert dots["b"][1] < dots["b"][0]
    assert dots["c"][1] < dots["c"][0]
