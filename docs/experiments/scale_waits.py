"""Waits in the centres' action pool, and actions that miss the actor, by population scale (2014-19).

Usage (from the repository root): ``python docs/experiments/scale_waits.py``

Prints, per (scale, seed): priorities, actions on actors and sweeps (national units), the days from
priority to action (mean, median, 90th percentile), actions that missed the actor and cases against
central actors. It wraps ``Centre._action_on``, ``_sweep`` and ``prioritise`` to time them; nothing
else changes.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

JOBS = [(1.0, 11), (0.2, 11), (0.2, 12), (0.1, 11), (0.1, 12), (0.1, 13)]


def one(job: tuple[float, int]) -> tuple[float, int, dict[str, float]]:
    """One run to 2019 with the centres' actions timed."""
    scale, seed = job
    import sim.centres as centres
    from sim.config import load_config
    from sim.model import AkrimModel

    waits: list[float] = []
    count = {"sweeps": 0, "prio": 0}
    act, sweep, prio = centres.Centre._action_on, centres.Centre._sweep, centres.Centre.prioritise

    def timed_action(self, aid):
        waits.append(self.model.env.now - self.files[aid].t_priority)
        return act(self, aid)

    def counted_sweep(self, j):
        count["sweeps"] += 1
        return sweep(self, j)

    def counted_priority(self, aid):
        count["prio"] += 1
        return prio(self, aid)

    centres.Centre._action_on, centres.Centre._sweep, centres.Centre.prioritise = timed_action, counted_sweep, counted_priority
    cfg = load_config([f"scale={scale}", f"seed={seed}", "output.progress=false", "end=2019", "output.events=false"])
    annual = AkrimModel(cfg).run().annual
    w = np.array(waits)
    return scale, seed, {
        "prio": count["prio"] / scale, "actions": w.size / scale, "sweeps": count["sweeps"] / scale,
        "wait_mean": w.mean(), "wait_med": np.median(w), "wait_p90": np.quantile(w, 0.9),
        "gone": annual["actions_target_gone"].sum(), "cases": annual["cases_against_ta"].sum(),
    }


if __name__ == "__main__":
    with ProcessPoolExecutor(2) as ex:
        for scale, seed, d in ex.map(one, JOBS):
            print(scale, seed, {k: round(float(v), 1) for k, v in d.items()}, flush=True)
