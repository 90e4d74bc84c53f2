"""``--objective`` on every train command: choices come from the objective registry."""

from __future__ import annotations

import pytest

from embedkit.cli import build_parser
from embedkit.cli.text import sgns_params
from embedkit.engine.objectives import OBJECTIVES


@pytest.mark.parametrize("argv", [["train", "text", "c.txt", "-o", "v.npz"],
                                  ["train", "graph", "e.txt", "-o", "v.npz"],
                                  ["train", "kmers", "s.fa", "-o", "v.npz"]])
def test_objective_flag(argv, capsys):
    parser = build_parser()
    assert sgns_params(parser.parse_args(argv)).get("objective") == "ns"
    for name in sorted(OBJECTIVES):
        assert sgns_params(parser.parse_args([*argv, "--objective", name]))["objective"] == name
    with pytest.raises(SystemExit):
        parser.parse_args([*argv, "--objective", "hierarchical"])
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("argv,default", [(["train", "text", "c.txt", "-o", "v.npz"], True),
                                          (["train", "graph", "e.txt", "-o", "v.npz"], False),
                                          (["train", "kmers", "s.fa", "-o", "v.npz"], True)])
def test_shrink_window_flags(argv, default, capsys):
    """Graphs train on the full window by default; both flags switch every command."""
    parser = build_parser()
    assert sgns_params(parser.parse_args(argv))["shrink_window"] is default
    assert sgns_params(parser.parse_args([*argv, "--shrink-window"]))["shrink_window"] is True
    assert sgns_params(parser.parse_args([*argv, "--no-shrink-window"]))["shrink_window"] is False
    with pytest.raises(SystemExit):
        parser.parse_args([*argv, "--shrink-window", "--no-shrink-window"])
    assert "not allowed" in capsys.readouterr().err
