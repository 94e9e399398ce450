"""Run a 20-run sweep and a small calibration on SLURM workers started by dask-jobqueue's SLURMCluster.

    python benchmarks/slurm/run_on_slurm.py OUT_DIR [--jobs 2] [--budget small]

Starts a Dask scheduler in this process and ``--jobs`` SLURM worker jobs (one single-threaded
worker each, ``sbatch`` through ``SLURMCluster``), then runs the real command line against it:

    akrim sweep file=benchmarks/slurm/sweep20.yaml out=OUT_DIR/sweep address=<scheduler>
    akrim calibrate budget=small address=<scheduler> out=OUT_DIR/calibration ...

and writes what it measured to ``OUT_DIR/slurm_figures.json`` (times to get the workers, wall
times, runs, the SLURM job ids). The worker jobs are cancelled at the end. On this machine the
cluster is the single-node SLURM of ``benchmarks/slurm/setup.sh``; on a real cluster change
``--queue``/``--account`` and the resources (docs/cluster.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _akrim(args: list[str], log: Path) -> tuple[int, float, str]:
    akrim = Path(sys.executable).with_name("akrim")
    t0 = time.perf_counter()
    proc = subprocess.run([str(akrim), *args], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    log.write_text(f"$ akrim {' '.join(args)}\n\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
    return proc.returncode, wall, proc.stdout + proc.stderr


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--jobs", type=int, default=2, help="SLURM worker jobs (one worker process each)")
    ap.add_argument("--queue", default="debug")
    ap.add_argument("--account", default=None)
    ap.add_argument("--memory", default="3GB", help="memory per worker job")
    ap.add_argument("--budget", default="small", help="calibration budget (akrim calibrate budget=)")
    a = ap.parse_args(argv)
    out = a.out.resolve()
    out.mkdir(parents=True, exist_ok=True)

    import dask
    from dask.distributed import Client
    from dask_jobqueue import SLURMCluster

    dask.config.set({"distributed.scheduler.allowed-failures": 10})
    t0 = time.perf_counter()
    cluster = SLURMCluster(
        job_name="akrim-workers", queue=a.queue, account=a.account,
        cores=1, processes=1, memory=a.memory, walltime="01:00:00",
        python=sys.executable,
        job_script_prologue=[f"cd {ROOT}", "export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1"],
        job_extra_directives=[f"--output={out}/dask-worker-%j.out"],
        scheduler_options={"dashboard_address": ":0"},
    )
    (out / "job_script.sh").write_text(cluster.job_script())
    figures: dict = {"jobs": a.jobs, "memory_per_job": a.memory, "queue": a.queue, "scheduler": cluster.scheduler_address,
                     "host": os.uname().nodename, "cpus": os.cpu_count()}
    try:
        client = Client(cluster)
        cluster.scale(jobs=a.jobs)
        client.wait_for_workers(a.jobs, timeout=600)
        figures["seconds_to_workers"] = round(time.perf_counter() - t0, 1)
        figures["slurm_jobs"] = subprocess.run(["squeue", "-h", "-n", "akrim-workers", "-o", "%i %T %N"], capture_output=True,
                                               text=True).stdout.split("\n")[:-1]
        print(f"{a.jobs} SLURM worker jobs up in {figures['seconds_to_workers']} s: {figures['slurm_jobs']}", flush=True)
        addr = cluster.scheduler_address

        code, wall, text = _akrim(["sweep", "file=benchmarks/slurm/sweep20.yaml", f"out={out / 'sweep'}", f"address={addr}",
                                   "progress=false"], out / "sweep.log")
        figures["sweep"] = {"exit_code": code, "wall_s": round(wall, 1), "output": text.strip().splitlines()[-3:]}
        print(f"sweep: exit {code} in {wall:.1f} s", flush=True)

        cal = out / "calibration"
        code, wall, text = _akrim(["calibrate", f"budget={a.budget}", f"address={addr}", f"out={cal}", f"db={cal / 'abc.db'}",
                                   f"world_out={cal / 'calibrated.yaml'}", "progress=false"], out / "calibrate.log")
        figures["calibration"] = {"exit_code": code, "wall_s": round(wall, 1), "budget": a.budget,
                                  "output": [ln for ln in text.splitlines() if "history" in ln or "done in" in ln][-3:]}
        print(f"calibration: exit {code} in {wall:.1f} s", flush=True)
        figures["workers_seen"] = len(client.scheduler_info()["workers"])
        client.close()
    finally:
        cluster.close()
        figures["seconds_total"] = round(time.perf_counter() - t0, 1)
        (out / "slurm_figures.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    return 0 if figures.get("sweep", {}).get("exit_code") == 0 and figures.get("calibration", {}).get("exit_code") == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
