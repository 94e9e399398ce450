"""Capacity-limited services in domain terms, on SimPy.

A centre's analysis team, a centre's inspection team and the police investigators all work at a
finite *throughput*: so many analyses, joint controls or cases a year. ``RateServer`` models that
as an intake desk: each job waits its turn, takes ``1 / rate`` days of the desk, then runs for its
own duration in parallel with others. Waiting time grows when jobs arrive faster than the rate,
which is how more investigators shorten case times.

Throughput scales with the population scale factor, so a 1:10 run has a tenth of the capacity
for a tenth of the cases, with the same durations (no rounding of "0.4 investigators").
"""

from __future__ import annotations

from collections.abc import Generator

import simpy


class RateServer:
    """A first-come-first-served intake with a given throughput.

    Args:
        env: The SimPy environment.
        name: For messages and the event log.
        rate_per_year: Jobs the service can take on per year (already scaled).
    """

    def __init__(self, env: simpy.Environment, name: str, rate_per_year: float) -> None:
        self.env = env
        self.name = name
        self.desk = simpy.Resource(env, capacity=1)
        self.rate_per_year = float(rate_per_year)
        self.n_started = 0
        self.wait_total = 0.0

    def set_rate(self, rate_per_year: float) -> None:
        """Change the throughput (a lever changed by the policy calendar)."""
        self.rate_per_year = float(rate_per_year)

    @property
    def queue_length(self) -> int:
        """Jobs waiting for the desk."""
        return len(self.desk.queue)

    def intake(self) -> Generator[simpy.Event, None, float]:
        """Wait for a turn at the desk; return the days waited. Use with ``yield from``."""
        t0 = self.env.now
        with self.desk.request() as req:
            yield req
            if self.rate_per_year <= 0:  # no capacity: the job waits until capacity returns
                while self.rate_per_year <= 0:
                    yield self.env.timeout(7.0)
            yield self.env.timeout(365.0 / self.rate_per_year)
        self.n_started += 1
        waited = self.env.now - t0
        self.wait_total += waited
        return waited
