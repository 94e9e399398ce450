"""Every row of issue 15's speed table in one command (a benchmark, not a test).

Each measurement runs in a fresh interpreter (a subprocess), so imports, peak memory and caches
are that measurement's own. Rows (medians of ``--reps`` runs unless said otherwise):

1. **model time at 1:1** - build + run of ``AkrimModel`` at scale 1.0, 2014-2025 (the embedded
   defaults, ``policy=baseline``), and the process's peak resident memory;
2. **model time at 1:10** - the same at scale 0.1;
3. **``akrim run`` beyond the model** - the wall time of a whole ``akrim run`` process at the
   default scale (interpreter, imports, configuration, the model, every output file,
   ``overview.png``, the summary) minus the model time that run records in ``run_info.json``;
   the interpreter and imports alone are measured too;
4. **one calibration simulation** - what ``akrim calibrate`` runs per simulation
   (``calibration.simulate.Simulator``: the default world at scale 0.1 to the last fit-target
   year, no event log, no figures, its statistics computed), timed inside one process after a
   first, untimed simulation (imports);
5. **simulations an hour in ``akrim calibrate``, 2 workers** - the Dask path the calibration
   uses (``experiments.execute.make_client``: a ``LocalCluster`` of 2 single-threaded worker
   processes with the calibration's worker settings): after one warm-up
   simulation per worker, ``2 x reps`` simulations are submitted at once and the wall time to the
   last result gives the rate; the median CPU time per simulation inside the workers gives the
   rate two idle cores would reach (2 x 3600 / CPU per simulation), which a shared machine cannot
   show on the wall clock;
6. **Mesa's minimal agent** - agent-steps per second of a Mesa model whose agents do nothing,
   measured in this run, and the ratio of the model's agent-weeks per second (employers plus
   employed workers, times weeks, over the run time) to it.

It also writes a cProfile summary of one 1:10 run (top 25 functions by self time) to
``<json stem>_profile_1to10.txt`` beside the JSON (default ``benchmarks/profile_1to10.txt``).

Timings depend on the load of the machine: on a shared machine compare two versions of the
code in the same session (``--code DIR`` runs the measurements on another checkout, e.g. an
export of an older commit), never against figures taken on another day.

Usage:
    python benchmarks/bench.py                      # every row, 3 runs each (~10 min)
    python benchmarks/bench.py --quick              # smoke test: tiny scales, 1 run, short horizon
    python benchmarks/bench.py --reps 5 --json benchmarks/bench.json
    python benchmarks/bench.py --code /tmp/old-checkout --json /tmp/old.json
    python benchmarks/bench.py --only model_1to10 mesa
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROWS = ("model_1to1", "model_1to10", "run_overhead", "calibration_sim", "calibrate_rate", "mesa")

MODEL = r"""
import json, resource, sys, time
t_imp = time.perf_counter()
from sim.config import load_config
from sim.model import AkrimModel
t_imp = time.perf_counter() - t_imp
scale, seed, end = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ov = [f"scale={scale}", f"seed={seed}", "output.progress=false"] + ([f"end={end}"] if end != "-" else [])
cfg = load_config(ov)
t0, c0 = time.perf_counter(), time.process_time()
m = AkrimModel(cfg)
t1 = time.perf_counter()
m.run()
t2, c2 = time.perf_counter(), time.process_time()
agents = int(m.pop.n) + int(m.pop.size.sum())
print(json.dumps({"scale": scale, "seed": seed, "build_s": t1 - t0, "run_s": t2 - t1, "total_s": t2 - t0,
                  "cpu_s": c2 - c0, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, "import_s": t_imp,
                  "employers": int(m.pop.n), "agents": agents, "weeks": m.week,
                  "agent_weeks_per_s": agents * m.week / (t2 - t1)}))
"""

PROFILE = r"""
import cProfile, io, pstats, sys
from sim.config import load_config
from sim.model import AkrimModel
scale, end, out = float(sys.argv[1]), sys.argv[2], sys.argv[3]
cfg = load_config([f"scale={scale}", "seed=1000", "output.progress=false"] + ([f"end={end}"] if end != "-" else []))
pr = cProfile.Profile()
pr.enable()
AkrimModel(cfg).run()
pr.disable()
buf = io.StringIO()
st = pstats.Stats(pr, stream=buf)
st.sort_stats("tottime").print_stats(25)
text = buf.getvalue()
import os
here = os.getcwd() + os.sep  # the measured checkout: paths relative to it
text = "\n".join(line.replace(sys.prefix, "<venv>").replace(here, "") for line in text.splitlines())
open(out, "w").write(f"cProfile of one AkrimModel build + run at scale {scale:g} (seed 1000), top 25 by self time\n" + text + "\n")
"""

IMPORTS = r"""
import time
t = time.perf_counter()
import experiments.cli, sim.runner, sim.model, sim.config  # noqa: F401
print(time.perf_counter() - t)
"""

CALIB = r"""
import json, sys, time
from calibration.simulate import Simulator
from calibration.targets import by_role, last_year, load_targets
scale, reps, end = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
fit = by_role(load_targets(), "fit")
sim = Simulator(targets=fit, scale=scale, end=int(end) if end != "-" else last_year(fit))
sim.run({}, seed=999)  # imports and caches: not timed
times, cpus = [], []
for i in range(reps):
    t = time.perf_counter()
    c = time.process_time()
    stats, _ = sim.run({}, seed=1000 + i)
    times.append(time.perf_counter() - t)
    cpus.append(time.process_time() - c)
print(json.dumps({"times": times, "cpu": cpus, "end": sim.end, "scale": scale, "targets": len(fit)}))
"""

DASK = r"""
import json, sys, time
from experiments.execute import make_client
from calibration.simulate import Simulator
from calibration.targets import by_role, last_year, load_targets
scale, n, end = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
fit = by_role(load_targets(), "fit")
sim = Simulator(targets=fit, scale=scale, end=int(end) if end != "-" else last_year(fit))
client = make_client(n_workers=2)  # the calibration's LocalCluster (its worker settings included)
cluster = client.cluster
def task(s):
    c = time.process_time()
    sim.run({}, seed=s)
    return time.process_time() - c
try:
    client.gather(client.map(task, [1, 2], pure=False))  # warm-up: imports on both workers
    t = time.perf_counter()
    cpu = client.gather(client.map(task, list(range(1000, 1000 + n)), pure=False))
    wall = time.perf_counter() - t
finally:
    client.close()
    cluster.close()
cpu.sort()
print(json.dumps({"n": n, "wall_s": wall, "per_hour": n / wall * 3600.0, "cpu_per_sim_s": cpu[len(cpu) // 2],
                  "per_hour_idle": 2 * 3600.0 / cpu[len(cpu) // 2], "end": sim.end, "scale": scale}))
"""

MESA = r"""
import json, sys, time
import mesa
n, steps = int(sys.argv[1]), int(sys.argv[2])
class Minimal(mesa.Agent):
    def step(self):
        pass
class World(mesa.Model):
    def __init__(self, n):
        super().__init__(seed=1)
        Minimal.create_agents(self, n)
    def step(self):
        self.agents.do("step")
m = World(n)
m.step()
t = time.perf_counter()
for _ in range(steps):
    m.step()
dt = time.perf_counter() - t
print(json.dumps({"agents": n, "steps": steps, "agent_steps_per_s": n * steps / dt}))
"""


def child(code: str, args: list, env: dict, timeout: float = 3600) -> dict:
    """Run ``code`` in a fresh interpreter and return the JSON it prints last.

    The child runs in the measured checkout (``env["AKRIM_BENCH_CODE"]``): ``python -c`` puts
    the working folder first on ``sys.path``, ahead of ``PYTHONPATH``, so running it anywhere
    else could import another checkout's ``sim``.
    """
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=env,
                         cwd=env["AKRIM_BENCH_CODE"], timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({out.returncode}): {out.stderr.strip().splitlines()[-1:] or ''}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def akrim_run(env: dict, seed: int, extra: list[str]) -> dict:
    """One whole ``akrim run`` process in a temporary folder: its wall time and its recorded model time."""
    with tempfile.TemporaryDirectory(prefix="akrim-bench-") as tmp:
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "experiments.cli", "run", "output.progress=false", f"seed={seed}", *extra],
                             capture_output=True, text=True, env=env, cwd=tmp, timeout=3600)
        wall = time.perf_counter() - t
        if out.returncode != 0:
            raise RuntimeError(f"akrim run failed: {out.stderr.strip()[-300:]}")
        info = next(Path(tmp, "outputs").glob("*/*/run_info.json"))
        model = json.loads(info.read_text())["wall_seconds"]
        png = any(Path(tmp, "outputs").glob("*/*/overview.png"))
    return {"wall_s": wall, "model_s": model, "beyond_s": wall - model, "overview_png": png}


def med(xs: list[float]) -> float:
    return float(statistics.median(xs))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="runs per row (the median is shown)")
    ap.add_argument("--quick", action="store_true", help="smoke test: tiny scales, one run each, 2014-2015")
    ap.add_argument("--json", default=str(HERE / "bench.json"), help="where to write the measurements")
    ap.add_argument("--code", default=None, help="measure the checkout in this folder instead of this one")
    ap.add_argument("--only", nargs="+", choices=ROWS, default=None, help="measure only these rows")
    args = ap.parse_args(argv)
    reps = 1 if args.quick else max(1, args.reps)
    # (scale, end) of each model row; --quick keeps every row but makes it tiny.
    big, small, calib, end = (0.02, 0.01, 0.01, "2015") if args.quick else (1.0, 0.1, 0.1, "-")
    rows = set(args.only or ROWS)
    env = dict(os.environ)
    code = Path(args.code).resolve() if args.code else HERE.parent
    env["PYTHONPATH"] = str(code) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["AKRIM_BENCH_CODE"] = str(code)
    out_json = Path(args.json)
    out_json.parent.mkdir(parents=True, exist_ok=True)
    prof_path = out_json.with_name("profile_1to10.txt" if out_json.stem == "bench" else f"{out_json.stem}_profile_1to10.txt")
    res: dict = {"code": str(code), "quick": args.quick, "reps": reps, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                 "load_average_start": os.getloadavg()}

    def say(msg: str) -> None:
        print(msg, flush=True)

    if "mesa" in rows:  # measured first and last: the floor itself varies with the load
        res["mesa"] = [child(MESA, [10_000 if not args.quick else 2_000, 50 if not args.quick else 10], env)]
    for key, scale in (("model_1to1", big), ("model_1to10", small)):
        if key not in rows:
            continue
        runs = []
        for i in range(reps):
            r = child(MODEL, [scale, 1000 + i, end], env)
            runs.append(r)
            say(f"  {key} run {i + 1}/{reps}: {r['total_s']:.2f} s ({r['cpu_s']:.2f} s CPU), {r['peak_mb']:.0f} MB")
        res[key] = {"runs": runs, "total_s": med([r["total_s"] for r in runs]), "cpu_s": med([r["cpu_s"] for r in runs]), "peak_mb": med([r["peak_mb"] for r in runs]),
                    "agent_weeks_per_s": med([r["agent_weeks_per_s"] for r in runs]), "scale": scale}
    if "run_overhead" in rows:
        extra = [f"scale={small}", f"end={end}"] if args.quick else []
        runs = [akrim_run(env, 2000 + i, extra) for i in range(reps)]
        imports = [float(subprocess.run([sys.executable, "-c", IMPORTS], capture_output=True, text=True, env=env, cwd=code,
                                        check=True).stdout.strip()) for _ in range(reps)]
        t = time.perf_counter()
        for _ in range(reps):
            subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        interp = (time.perf_counter() - t) / reps
        res["run_overhead"] = {"runs": runs, "beyond_s": med([r["beyond_s"] for r in runs]), "wall_s": med([r["wall_s"] for r in runs]),
                               "model_s": med([r["model_s"] for r in runs]), "imports_s": med(imports), "interpreter_s": interp}
        say(f"  akrim run: {res['run_overhead']['wall_s']:.2f} s wall, {res['run_overhead']['model_s']:.2f} s model")
    if "calibration_sim" in rows:
        r = child(CALIB, [calib, max(reps, 3) if not args.quick else 1, end], env)
        res["calibration_sim"] = {**r, "median_s": med(r["times"]), "median_cpu_s": med(r["cpu"])}
        say(f"  calibration simulation: {res['calibration_sim']['median_s']:.2f} s")
    if "calibrate_rate" in rows:
        n = 2 if args.quick else 2 * max(reps, 3)
        res["calibrate_rate"] = child(DASK, [calib, n, end], env)
        say(f"  calibrate, 2 workers: {res['calibrate_rate']['per_hour']:,.0f} simulations/h")
    if "mesa" in rows:
        res["mesa"].append(child(MESA, [10_000 if not args.quick else 2_000, 50 if not args.quick else 10], env))
        res["mesa_rate"] = med([r["agent_steps_per_s"] for r in res["mesa"]])
    if "model_1to10" in rows:
        child(PROFILE + "\nprint('{}')", [small, end, prof_path], env)
        res["profile"] = str(prof_path)
    res["load_average_end"] = os.getloadavg()
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(res, indent=2))
    print()
    print(table(res, big, small, calib))
    print(f"(medians of {reps} run(s) each; load average {res['load_average_start'][0]:.1f} at the start, "
          f"{res['load_average_end'][0]:.1f} at the end; raw figures in {out_json}"
          + (f"; profile in {res['profile']}" if "profile" in res else "") + ")")
    return 0


def table(res: dict, big: float, small: float, calib: float) -> str:
    """The issue's table: one line per row (rows not measured are left out)."""
    lines = [f"{'measure':<52s} {'value':>14s}  detail", "-" * 100]
    mesa = res.get("mesa_rate")
    for key, scale in (("model_1to1", big), ("model_1to10", small)):
        if key in res:
            r = res[key]
            lines.append(f"{f'model time at 1:{1 / scale:g}, build + run':<52s} {r['total_s']:>12.2f} s  {r['cpu_s']:.2f} s CPU, "
                         f"peak {r['peak_mb']:.0f} MB, {r['agent_weeks_per_s'] / 1e6:.1f}M agent-weeks/s")
    if "run_overhead" in res:
        r = res["run_overhead"]
        lines.append(f"{'akrim run beyond the model':<52s} {r['beyond_s']:>12.2f} s  wall {r['wall_s']:.2f} - model {r['model_s']:.2f}; "
                     f"interpreter {r['interpreter_s']:.2f} s, imports {r['imports_s']:.2f} s")
    if "calibration_sim" in res:
        r = res["calibration_sim"]
        lines.append(f"{'one calibration simulation':<52s} {r['median_s']:>12.2f} s  {r['median_cpu_s']:.2f} s CPU; scale {r['scale']:g} to {r['end']}, "
                     f"no event log or figures, {r['targets']} fit statistics")
    if "calibrate_rate" in res:
        r = res["calibrate_rate"]
        lines.append(f"{'simulations an hour in akrim calibrate, 2 workers':<52s} {r['per_hour']:>14,.0f}  Dask LocalCluster, "
                     f"{r['n']} simulations in {r['wall_s']:.1f} s after a warm-up (wall clock)")
        if "per_hour_idle" in r:
            lines.append(f"{'  the same on 2 idle cores (2 x 3600 / CPU per sim.)':<52s} {r['per_hour_idle']:>14,.0f}  "
                         f"median {r['cpu_per_sim_s']:.2f} s CPU per simulation in the workers")
    if mesa:
        lines.append(f"{'Mesa minimal agent (same run)':<52s} {mesa / 1e6:>10.2f} M/s  agent-steps per second of do-nothing agents")
        for key, scale in (("model_1to1", big), ("model_1to10", small)):
            if key in res:
                lines.append(f"{f'ratio to Mesa minimal agent, 1:{1 / scale:g}':<52s} {res[key]['agent_weeks_per_s'] / mesa:>13.1f}x  "
                             f"model agent-weeks/s over Mesa agent-steps/s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
