"""What each training objective supports, asked in one place by every caller outside the engine.

Estimators (:mod:`embedkit.models.base`) and distributed training
(:mod:`embedkit.distributed.train`) never test objective names themselves: they call
:func:`objective_supports` or :func:`check_objective`, which read the objective's
:class:`~embedkit.engine.objectives.Objective` record. Adding an objective is a window module,
one line in :data:`embedkit.engine.stream.WINDOWS` and its record.
"""

from __future__ import annotations

from embedkit.engine.objectives import OBJECTIVES, get_objective

__all__ = ["FEATURES", "objective_supports", "check_objective"]

#: What an objective may support: CBOW (``sg=False``), ``parallel="blocks"``, Dask block
#: rotation, and negative samplers other than the default unigram table.
FEATURES = ("cbow", "blocks", "distributed", "samplers")



def objective_supports(objective: str, feature: str) -> bool:
    """Whether ``objective`` supports ``feature`` (one of :data:`FEATURES`).

    Examples
    --------
    >>> objective_supports("ns", "cbow"), objective_supports("softmax", "distributed")
    (True, False)
    """
    if feature not in FEATURES:
        raise ValueError(f"unknown feature {feature!r}; choose one of {FEATURES}")
    record = get_objective(objective)
    return {"cbow": record.cbow, "blocks": record.blocks, "distributed": record.blocks,
            "samplers": record.samplers}[feature]


def check_objective(objective: str, *, sg: bool = True, distributed: bool = False) -> str:
    """Validate ``objective`` for a fit; returns it.

    Raises
    ------
    ValueError
        For an unknown objective, CBOW with a skip-gram-only objective, or Dask training with
        an objective that has no distributed kernel.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {sorted(OBJECTIVES)}")
    if not sg and not objective_supports(objective, "cbow"):
        raise ValueError(f"objective={objective!r} is skip-gram only; set sg=True")
    if distributed and not objective_supports(objective, "distributed"):
        supported = sorted(o for o in OBJECTIVES if objective_supports(o, "distributed"))
        raise ValueError(
            f"distributed training supports objective {', '.join(map(repr, supported))}, "
            f"not {objective!r}"
        )
    return objective
