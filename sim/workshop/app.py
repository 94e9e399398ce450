"""``akrim workshop``: start the workshop page on localhost and print its address.

Usage::

    akrim workshop [port=8765] [host=127.0.0.1] [scale=0.02] [seed=1] [start=2014] [end=2035]

The page is a Solara app (``sim.workshop.page``) served by uvicorn in this process; stop it with
Ctrl+C. Everything it loads comes from the installed packages (``solara-assets`` carries the
front-end files Solara would otherwise take from a CDN), so it works on a laptop with no network.
Solara's usage telemetry is switched off, and its version check (a request to PyPI made by
``solara run``) is never made, as the server is started here directly.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from dataclasses import asdict, dataclass

from sim.config import ConfigError, load_config

USAGE = """usage: akrim workshop [key=value ...]

  port=8765          TCP port (0 = any free port)
  host=127.0.0.1     address to listen on (keep it on localhost unless the room shares a network)
  scale=0.02         population scale (0.02 keeps a week at a few milliseconds)
  seed=1             run seed (the baseline is drawn with the same seed)
  start=2014         first year
  end=2035           last year (the policy game needs end >= its first year + rounds)
  play_interval=5    pause between weeks while playing, milliseconds

Open the printed address in a browser; stop with Ctrl+C. A trainer's guide: docs/workshop_guide.md
"""


@dataclass
class WorkshopArgs:
    """The command's settings (see USAGE)."""

    port: int = 8765
    host: str = "127.0.0.1"
    scale: float = 0.02
    seed: int = 1
    start: int = 2014
    end: int = 2035
    play_interval: int = 5


class ArgError(ValueError):
    """A bad ``key=value`` argument (the message names the key, the value and what is allowed)."""


def parse_args(argv: list[str]) -> WorkshopArgs:
    """Parse ``key=value`` arguments into ``WorkshopArgs`` and check their ranges."""
    args = WorkshopArgs()
    types = {k: type(v) for k, v in asdict(args).items()}
    for a in argv:
        if "=" not in a:
            raise ArgError(f"argument {a!r} is not key=value (keys: {', '.join(types)})")
        k, v = a.split("=", 1)
        if k not in types:
            raise ArgError(f"unknown key {k!r} (allowed: {', '.join(types)})")
        try:
            setattr(args, k, types[k](v))
        except ValueError:
            raise ArgError(f"{k} = {v!r} (allowed: {'an integer' if types[k] is int else 'a number' if types[k] is float else 'text'})") from None
    checks = (
        ("port", 0 <= args.port <= 65535, "an integer in [0, 65535]"),
        ("scale", 1e-4 <= args.scale <= 2.0, "a number in [0.0001, 2]"),
        ("seed", args.seed >= 0, "an integer >= 0"),
        ("start", 2014 <= args.start <= 2100, "a year in [2014, 2100]"),
        ("end", args.start <= args.end <= 2100, f"a year in [{args.start}, 2100]"),
        ("play_interval", 1 <= args.play_interval <= 2000, "milliseconds in [1, 2000]"),
        ("host", bool(args.host.strip()), "a host name or address"),
    )
    for key, ok, allowed in checks:
        if not ok:
            raise ArgError(f"{key} = {getattr(args, key)!r} (allowed: {allowed})")
    return args


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise ArgError(f"port = {port}: cannot listen on {host}:{port} ({exc.strerror}); choose another, e.g. port=0 for any free port") from None


def offline_environment(args: WorkshopArgs) -> dict[str, str]:
    """Environment for the Solara server: offline, quiet, production mode, the page's settings."""
    return {
        "SOLARA_APP": "sim.workshop.page",
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no usage reports to the internet
        "SOLARA_CHECK_HOOKS": "off",  # Mesa's visualisation module trips Solara's hook linter harmlessly
        "SOLARA_KERNEL_CULL_TIMEOUT": "2m",  # free a closed tab's model after 2 minutes (default 24 h)
        "AKRIM_WORKSHOP": json.dumps({k: getattr(args, k) for k in ("seed", "scale", "start", "end", "play_interval")}),
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``akrim workshop``; returns an exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help", "help") for a in argv):
        print(USAGE)
        return 0
    try:
        args = parse_args(argv)
        if args.port == 0:
            args.port = free_port(args.host)
        _check_port(args.host, args.port)
        load_config([f"seed={args.seed}", f"scale={args.scale}", f"start={args.start}", f"end={args.end}"])
    except (ArgError, ConfigError) as exc:
        print(f"akrim workshop: error: {exc}", file=sys.stderr)
        return 2
    os.environ.update(offline_environment(args))
    import uvicorn  # after the environment: Solara reads its settings on import
    from solara.server import settings as solara_settings

    solara_settings.main.mode = "production"
    url = f"http://{args.host}:{args.port}/"
    print(f"akrim workshop: seed={args.seed} scale={args.scale:g} {args.start}-{args.end}", flush=True)
    print(f"akrim workshop: open {url} in a browser (Ctrl+C stops the server)", flush=True)
    config = uvicorn.Config("solara.server.starlette:app", host=args.host, port=args.port, log_level="warning")
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C after its graceful shutdown
        pass
    print("akrim workshop: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
