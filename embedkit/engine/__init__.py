"""The shared SGNS engine: Numba kernels plus a thin Python training loop."""

from embedkit.engine.kernels import KernelParams, train_chunks
from embedkit.engine.train import EngineConfig, EpochStats, init_weights, resolve_threads, train

__all__ = [
    "EngineConfig",
    "EpochStats",
    "KernelParams",
    "init_weights",
    "resolve_threads",
    "train",
    "train_chunks",
]
