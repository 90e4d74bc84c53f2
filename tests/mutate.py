"""Mutation testing: break the engine on purpose in a copy of the repository, see what fails.

Every quality test must fail when the engine is broken. This script applies each named source
mutation of :data:`MUTATIONS` to a fresh copy of the repository, runs the tests listed for it
there, and prints which tests catch which mutation, by domain (text, graphs, k-mers,
blocks). It is not collected by pytest (no ``test_`` prefix); run it from the repository root:

    nice -n 10 python tests/mutate.py                  # every mutation
    python tests/mutate.py --only gradient_sign        # some of them
    python tests/mutate.py --list                      # the table, and whether patterns match

A pattern that no longer matches the source (after a refactoring) is reported loudly and
the run exits with status 2: retarget it in :data:`MUTATIONS`. A mutation that some domain's
tests do not catch is flagged ``NOT CAUGHT`` and gives exit status 1.

Each mutation gets its own copy (``PYTHONPATH`` points at it; ``NUMBA_CACHE_DIR`` is unset so
Numba caches inside the copy). Numba's on-disk cache does not track calls across modules, so
the copy keeps the cache files only of modules that do not import a mutated module, directly
or indirectly; everything that could have inlined mutated code compiles afresh.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The quality tests of each domain, run on the real engine only (their controls are
#: deselected: a control under a mutation proves nothing).
DOMAINS: dict[str, list[str]] = {
    "text": [
        "tests/test_word2vec.py::test_variants_learn",
        "tests/test_word2vec.py::test_multithreaded_training_learns",
        "tests/test_word2vec.py::test_learning_rate_decay_lowers_the_final_loss",
        "tests/test_samplers.py::test_custom_sampler_trains_end_to_end",
    ],
    "graphs": [
        "tests/test_node2vec.py::test_karate_factions_are_separated",
        "tests/test_node2vec.py::test_link_prediction",
        "tests/test_node2vec.py::test_drosophila_cell_types_beat_baselines",
        "tests/test_node2vec.py::test_learning_rate_decay_lowers_the_final_loss",
        "tests/test_bench.py::test_graph_task",
        "tests/test_bench.py::test_graph_link_prediction_task",
    ],
    "k-mers": [
        "tests/test_kmer2vec.py::test_splice_classification_clearly_above_majority_and_random_vectors",
        "tests/test_kmer2vec.py::test_learning_rate_decay_lowers_the_final_loss",
        "tests/test_bench.py::test_kmers_task",
    ],
    "blocks": [
        "tests/test_blocks.py::test_blocks_learn_topics",
        "tests/test_blocks.py::test_blocks_learn_kmers",
        "tests/test_blocks.py::test_blocks_factorise_the_same_shifted_pmi_in_every_output_block",
        "tests/test_blocks.py::test_block_negatives_push_each_output_block_as_hogwild_does",
        "tests/test_blocks.py::test_learning_rate_decay_lowers_the_final_loss",
    ],
}
#: Slow quality tests on the bundled 1.8M-token corpus, added with ``--full``.
FULL = {
    "text": ["tests/test_word2vec.py::test_quality_on_bundled_corpus_and_a_shuffled_control"],
    "blocks": ["tests/test_blocks.py::test_blocks_learn_text_as_well_as_hogwild"],
}
ALL = [t for tests in DOMAINS.values() for t in tests]
BLOCKS = DOMAINS["blocks"]
#: A parametrised test id whose parameters name a control (``test_x[flipped]``,
#: ``test_y[no_negatives-sg=False]``). Matched on the parameters only: ``pytest -k "not
#: shuffled"`` would also deselect a real test whose *name* says "shuffled".
_CONTROL_PARAM = re.compile(
    r"\[(?:[^\]]*-)?(?:flipped|no_negatives|shuffled|frozen)(?:-[^\]]*)?\]$")

LOSS = "embedkit/engine/loss.py"
STREAM = "embedkit/engine/stream.py"
#: (mutation name, file, exact old text or ``re:`` + regex, replacement, tests to run). Rows
#: with the same name are one mutation (all their edits are applied together).
MUTATIONS: list[tuple[str, str, str, str, list[str]]] = [
    ("gradient_sign", LOSS,
     "gs[t] = lr * (one - sig) if t == 0 else lr * (-sig) * neg_scale",
     "gs[t] = -(lr * (one - sig)) if t == 0 else -(lr * (-sig) * neg_scale)", ALL),
    ("gradient_sign", LOSS,
     "lanes[LANE_GRAD, t] = lr * lanes[LANE_WEIGHT, t] * (label - sig)",
     "lanes[LANE_GRAD, t] = lr * lanes[LANE_WEIGHT, t] * (sig - label)", ALL),
    ("negatives_zeroed", LOSS,
     "gs[t] = lr * (one - sig) if t == 0 else lr * (-sig) * neg_scale",
     "gs[t] = lr * (one - sig) if t == 0 else np.float32(0.0) * sig", ALL),
    ("negatives_zeroed", LOSS,
     "lanes[LANE_WEIGHT, base + t] = neg_scale if mask[t] != 0 else np.float32(0.0)",
     "lanes[LANE_WEIGHT, base + t] = np.float32(0.0)", ALL),
    ("ids_shuffled", "embedkit/engine/train.py",
     r"re:\n(\s+)check_batch\(batch, n\)\n",
     "\n\\1check_batch(batch, n)\n\\1batch = type(batch)(np.random.default_rng(chunk_index)"
     ".permutation(batch.ids), batch.offsets, batch.n_raw)\n", ALL),
    ("lr_zero", STREAM,
     "return np.float32(params.lr0 - (params.lr0 - params.min_lr) * min(progress, 1.0))",
     "return np.float32(0.0 * progress)", ALL),
    ("no_lr_decay", STREAM,
     "return np.float32(params.lr0 - (params.lr0 - params.min_lr) * min(progress, 1.0))",
     "return np.float32(params.lr0 + 0.0 * progress)", ALL),
    ("neg_scale_one", "embedkit/engine/blocks.py",
     "neg_scale=float(self.plan.neg_scale[j]))", "neg_scale=1.0)", BLOCKS),
]


def grouped(rows=MUTATIONS) -> dict[str, list[tuple[str, str, str, list[str]]]]:
    out: dict[str, list] = defaultdict(list)
    for name, path, old, new, tests in rows:
        out[name].append((path, old, new, tests))
    return dict(out)


def apply_edit(text: str, old: str, new: str) -> tuple[str, int]:
    """``text`` with ``old`` replaced by ``new``, and the number of matches."""
    if old.startswith("re:"):
        return re.subn(old[3:], new, text)
    return text.replace(old, new), text.count(old)


def check_patterns(root: Path = ROOT) -> list[str]:
    """Messages for every pattern that does not match its file exactly once."""
    problems = []
    for name, path, old, new, _ in MUTATIONS:
        src = root / path
        if not src.is_file():
            problems.append(f"{name}: file {path} does not exist")
            continue
        _, n = apply_edit(src.read_text(), old, new)
        if n != 1:
            problems.append(f"{name}: pattern matches {n} times in {path} (expected once): "
                            f"{old[:70]!r}")
    return problems


def _module_of(path: Path, root: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")


def _imports(imported: str, module: str) -> bool:
    """Whether an import of ``imported`` may bring in ``module`` (``from embedkit.engine import
    kernels`` imports ``embedkit.engine``; the top-level package counts only as itself)."""
    return imported == module or (imported != "embedkit" and module.startswith(imported + "."))


def _importers(root: Path, changed: set[str]) -> set[str]:
    """Modules of ``embedkit`` that import any of ``changed``, directly or indirectly."""
    deps: dict[str, set[str]] = {}
    pattern = re.compile(r"^\s*(?:from\s+(embedkit[\w.]*)\s+import|import\s+(embedkit[\w.]*))",
                         re.M)
    for path in (root / "embedkit").rglob("*.py"):
        found = {a or b for a, b in pattern.findall(path.read_text())}
        deps[_module_of(path, root)] = found
    hit = set(changed)
    grew = True
    while grew:
        grew = False
        for mod, imported in deps.items():
            if mod not in hit and any(_imports(i, h) for i in imported for h in hit):
                hit.add(mod)
                grew = True
    return hit


def make_copy(dest: Path, edits: list[tuple[str, str, str, list[str]]]) -> None:
    """Copy the repository (with its Numba caches) to ``dest`` and apply ``edits``."""
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(
        ".git", ".pytest_cache", "*.egg-info", ".hypothesis"))
    changed = set()
    for path, old, new, _ in edits:
        src = dest / path
        text, n = apply_edit(src.read_text(), old, new)
        if n != 1:
            raise RuntimeError(f"pattern matches {n} times in {path}: {old[:70]!r}")
        src.write_text(text)
        changed.add(_module_of(src, dest))
    for mod in _importers(dest, changed):
        parts = mod.split(".")
        pkg_dir = dest.joinpath(*parts)
        cache_dir = (pkg_dir if pkg_dir.is_dir() else pkg_dir.parent) / "__pycache__"
        stem = "__init__" if pkg_dir.is_dir() else parts[-1]
        for f in cache_dir.glob(f"{stem}.*.nb[ic]") if cache_dir.is_dir() else []:
            f.unlink()


def real_engine_ids(node_ids: list[str]) -> list[str]:
    """``node_ids`` without the controls' parametrisations."""
    return [i for i in node_ids if not _CONTROL_PARAM.search(i)]


def _collect(copy: Path, tests: list[str], env: dict[str, str]) -> list[str]:
    """The node ids pytest collects for ``tests`` in ``copy`` (``tests`` if collection fails)."""
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "--collect-only",
                          "-p", "no:cacheprovider", *tests], cwd=copy, env=env,
                         capture_output=True, text=True, check=False).stdout
    ids = [line.strip() for line in out.splitlines() if "::" in line]
    return ids or tests


def run_tests(copy: Path, tests: list[str], timeout: float) -> dict[str, bool]:
    """Run ``tests`` (controls deselected) in ``copy``; test id -> passed."""
    report = copy / "mutation-report.xml"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["PYTHONPATH"] = str(copy)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml",
           str(report), *real_engine_ids(_collect(copy, tests, env))]
    try:
        subprocess.run(cmd, cwd=copy, env=env, timeout=timeout, capture_output=True, check=False)
    except subprocess.TimeoutExpired:
        print(f"  !!! timed out after {timeout:.0f}s: counted as caught", flush=True)
        return {t: False for t in tests}
    if not report.is_file():
        print("  !!! pytest wrote no report (collection error?): counted as caught", flush=True)
        return {t: False for t in tests}
    results: dict[str, bool] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        file = case.get("classname", "").replace(".", "/") + ".py"
        name = case.get("name", "")
        base = f"{file}::{name.split('[')[0]}"
        ok = not any(child.tag in ("failure", "error") for child in case)
        skipped = any(child.tag == "skipped" for child in case)
        if not skipped:
            results[base] = results.get(base, True) and ok
    return results


def _short(test: str) -> str:
    """``tests/test_x.py::test_y`` -> ``test_x::test_y``."""
    path, name = test.split("::")
    return f"{Path(path).stem}::{name}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", help="run only these mutations")
    ap.add_argument("--list", action="store_true", help="list the mutations and check patterns")
    ap.add_argument("--full", action="store_true",
                    help="also run the slow bundled-corpus quality tests")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per mutation")
    ap.add_argument("--keep", action="store_true", help="keep the copies (paths printed)")
    ap.add_argument("--json", help="also append each mutation's results to this file")
    args = ap.parse_args(argv)
    problems = check_patterns()
    for p in problems:
        print(f"!!! PATTERN NOT FOUND: {p}", file=sys.stderr)
    muts = grouped()
    if args.list:
        for name, edits in muts.items():
            print(f"{name}: " + "; ".join(f"{p}: {o[:60]!r}" for p, o, _, _ in edits))
        return 2 if problems else 0
    if problems:
        print("!!! retarget the patterns above in tests/mutate.py (MUTATIONS)", file=sys.stderr)
        return 2
    names = args.only or list(muts)
    unknown = set(names) - set(muts)
    if unknown:
        ap.error(f"unknown mutations {sorted(unknown)}; choose from {list(muts)}")
    domain_of = {t: d for d, tests in DOMAINS.items() for t in tests}
    if args.full:
        domain_of.update({t: d for d, tests in FULL.items() for t in tests})
    table: dict[str, dict[str, bool]] = {}
    failed = False
    with tempfile.TemporaryDirectory(prefix="embedkit-mutate-") as tmp:
        for name in names:
            edits = muts[name]
            tests = list(dict.fromkeys(t for *_, ts in edits for t in ts))
            if args.full:
                tests += [t for d in FULL.values() for t in d
                          if any(domain_of.get(x) == domain_of[t] for x in tests)]
            copy = Path(tmp) / name
            t0 = time.perf_counter()
            make_copy(copy, edits)
            table[name] = run_tests(copy, tests, args.timeout)
            caught = [t for t, ok in table[name].items() if not ok]
            print(f"{name}: {len(caught)} of {len(table[name])} tests fail "
                  f"({time.perf_counter() - t0:.0f}s): "
                  + ", ".join(_short(t) for t in caught), flush=True)
            if args.json:
                with open(args.json, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps({"mutation": name, "results": table[name]}) + "\n")
            if args.keep:
                kept = Path(tempfile.mkdtemp(prefix=f"embedkit-mutant-{name}-"))
                shutil.copytree(copy, kept, dirs_exist_ok=True)
                print(f"  kept at {kept}")
            shutil.rmtree(copy, ignore_errors=True)
    print("\n| mutation | " + " | ".join(DOMAINS) + " |")
    print("|---|" + "---|" * len(DOMAINS))
    for name, results in table.items():
        cells = []
        for domain in DOMAINS:
            ran = [t for t in results if domain_of.get(t) == domain]
            got = [_short(t) for t in ran if not results[t]]
            if not ran:
                cells.append("(not run)")
            elif got:
                cells.append(f"{len(got)}/{len(ran)}: " + ", ".join(got))
            else:
                cells.append(f"**NOT CAUGHT** (0/{len(ran)})")
                failed = True
        print(f"| {name} | " + " | ".join(cells) + " |")
    tests = sorted({t for r in table.values() for t in r}, key=lambda t: (domain_of.get(t, ""), t))
    print("\n| test | " + " | ".join(table) + " |")
    print("|---|" + "---|" * len(table))
    for t in tests:
        marks = ["caught" if not table[m].get(t, True) else
                 ("passes" if t in table[m] else "-") for m in table]
        print(f"| {_short(t)} | " + " | ".join(marks) + " |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
