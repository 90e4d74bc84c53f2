"""Distributed SGNS training on Dask by block rotation (optional extra ``distributed``).

Install with ``pip install 'embedkit[distributed]'`` (pulls in ``dask[distributed]``).

Usage: bring a ``dask.distributed.Client`` and call :func:`fit_distributed`::

    from dask.distributed import Client, LocalCluster
    from embedkit import Word2Vec
    from embedkit.distributed import fit_distributed

    client = Client(LocalCluster(n_workers=4, threads_per_worker=1))   # or Client("tcp://host:8786")
    model = fit_distributed(Word2Vec(random_state=0), "corpus.txt", client=client, blocks=4)

See :mod:`embedkit.distributed.train` for the algorithm and its guarantees, and
:mod:`embedkit.engine.block_plan` for how blocks and the negative-sampling correction are chosen.
"""

from embedkit.engine.block_plan import BlockPlan, plan_blocks
from embedkit.distributed.sharding import TextFiles, plan_shards
from embedkit.distributed.train import RoundStats, fit_distributed, make_generator

__all__ = [
    "fit_distributed",
    "fit_averaging",
    "RoundStats",
    "BlockPlan",
    "plan_blocks",
    "plan_shards",
    "TextFiles",
    "make_generator",
]


def __getattr__(name: str):
    if name == "fit_averaging":
        from embedkit.distributed.averaging import fit_averaging

        return fit_averaging
    raise AttributeError(name)
