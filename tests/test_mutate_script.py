"""tests/mutate.py itself: its patterns still match the engine, and it runs the right tests."""

from __future__ import annotations

import mutate
from controls import CONTROLS


def test_every_mutation_pattern_matches_the_source_once():
    """A refactoring that moves a mutated line must retarget :data:`mutate.MUTATIONS`."""
    assert mutate.check_patterns() == []
    names = set(mutate.grouped())
    assert names == {"gradient_sign", "negatives_zeroed", "ids_shuffled", "lr_zero",
                     "no_lr_decay", "neg_scale_one"}


def test_every_listed_test_exists_in_its_module():
    for test in [*mutate.ALL, *(t for ts in mutate.FULL.values() for t in ts)]:
        path, name = test.split("::")
        assert f"def {name}(" in (mutate.ROOT / path).read_text(), test


def test_controls_are_deselected_by_their_parameters_not_by_the_test_name():
    ids = ["tests/a.py::test_x[engine]", "tests/a.py::test_x[flipped]",
           "tests/a.py::test_v[sg=False-no_negatives]", "tests/a.py::test_v[sg=False-engine]",
           "tests/a.py::test_quality_and_a_shuffled_control", "tests/a.py::test_y[2]",
           "tests/a.py::test_z[frozen-3]"]
    assert mutate.real_engine_ids(ids) == [
        "tests/a.py::test_x[engine]", "tests/a.py::test_v[sg=False-engine]",
        "tests/a.py::test_quality_and_a_shuffled_control", "tests/a.py::test_y[2]"]
    assert all(mutate.real_engine_ids([f"t.py::test[{c}]"]) == [] for c in CONTROLS)
