"""One model run as the calibration sees it: parameters in, target statistics out.

``Simulator`` is a small picklable callable (it travels to Dask workers): given a dict of world
parameters (dotted keys) it composes the configuration (default world and baseline policy plus
the parameters as overrides), runs the model at the calibration's population scale up to the
last year the targets need, and returns one number per target plus the run's ``seed`` (so that
any accepted particle can be re-run exactly).

Seeds: every call draws a fresh seed from the operating system unless ``seed`` is fixed (the
screening fixes it: common random numbers across design points, so elementary effects are not
swamped by run-to-run noise).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from calibration.params import Prior, to_overrides
from calibration.targets import Target, statistics

QUIET = ("output.progress=false", "output.events=false", "output.plot=false", "output.summary=false")
# Every calibration run (fit, screening, predictive) starts from the documented defaults, never from
# a previous calibration's world (the default world of the commands): parameters that are not
# fitted keep their documented values, and a fitted one is always set by the particle.
BASE_WORLD = "world=default"


def fresh_seed() -> int:
    """A run seed from the operating system's entropy (31 bits, as the schema's seed allows)."""
    return int(np.random.SeedSequence().generate_state(1)[0] & 0x7FFFFFFF)


@dataclass
class Simulator:
    """Run the model for a parameter dict and return the targets' statistics.

    Args:
        targets: Targets whose statistics to return (those whose years the run covers).
        scale: Population scale of the runs.
        end: Last simulated calendar year.
        base: Extra Hydra overrides applied before the parameters (e.g. ``policy=baseline``).
        priors: The fitted parameters (for integer rounding); ``None`` looks types up in the schema.
        seed: A fixed seed for every call, or ``None`` for a fresh seed per call.
    """

    targets: list[Target]
    scale: float
    end: int
    base: tuple[str, ...] = ()
    priors: list[Prior] | None = None
    seed: int | None = None

    def overrides(self, params: Mapping[str, float], seed: int) -> list[str]:
        """The full override list of one run."""
        return [*QUIET, BASE_WORLD, *self.base, f"scale={self.scale!r}", f"end={self.end}", f"seed={seed}",
                *to_overrides(params, self.priors)]

    def run(self, params: Mapping[str, float], seed: int | None = None) -> tuple[dict[str, float], Any]:
        """Run once; return ``(statistics, annual table)``."""
        from sim.config import load_config
        from sim.model import AkrimModel

        seed = self.seed if seed is None and self.seed is not None else seed
        seed = fresh_seed() if seed is None else int(seed)
        cfg = load_config(self.overrides(params, seed))
        res = AkrimModel(cfg).run()
        annual = res.annual
        stats = statistics(annual, self.targets, cfg, res.by_region)  # by_region: the targets of one centre region
        stats["seed"] = float(seed)
        return stats, annual

    def __call__(self, params: Mapping[str, float]) -> dict[str, float]:
        """The pyabc model interface: parameters in, statistics (and ``seed``) out."""
        return self.run(dict(params))[0]
