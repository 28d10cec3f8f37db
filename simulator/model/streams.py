"""Model layer: named random-number streams, one per purpose.

Every random purpose ("arrivals/email", "handling/2/phone", ...) gets its own
generator, derived from the root seed with ``SeedSequence(seed,
spawn_key=(replication, stream_id))``. The stream id is a stable 64-bit hash of
the name, so the registry of names only grows: adding a new purpose, or
changing how much one purpose draws, never shifts the numbers of another. That
is what makes replication *r* of two designs use the same random numbers
(common random numbers), and what keeps the arrival stream unchanged when a
team's size changes.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["RandomStreams", "stream_id"]


def stream_id(name: str) -> int:
    """A stable 64-bit number for a stream name (the same on every machine and run)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class RandomStreams:
    """The generators of one replication.

    Parameters
    ----------
    seed
        The root seed of the experiment.
    replication
        The replication index (0, 1, ...).
    """

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self.names: list[str] = []

    def generator(self, name: str) -> np.random.Generator:
        """A fresh generator for the named purpose (the same name always gives the same numbers)."""
        self.names.append(name)
        sequence = np.random.SeedSequence(self.seed, spawn_key=(self.replication, stream_id(name)))
        return np.random.Generator(np.random.PCG64(sequence))

    def uniforms(self, name: str, size: int) -> np.ndarray:
        """``size`` uniforms on [0, 1) from the named stream."""
        return self.generator(name).random(size)
