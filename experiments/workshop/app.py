"""``akrim workshop``: start the workshop page on localhost and print its address.

Usage::

    akrim workshop [port=8765] [host=127.0.0.1] [scale=0.02] [seed=1] [start=2014] [end=2035]

The page is a Solara app (``experiments.workshop.page``) served by uvicorn in this process; stop it with
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
from dataclasses import dataclass

from experiments.cliargs import MAX_SEED, UsageError, arg, fail, help_text, parse
from sim.config import ConfigError, load_config

EXAMPLES = """  akrim workshop                 # prints: open http://127.0.0.1:8765/ in a browser
  akrim workshop port=0 seed=3   # any free port, another seed
"""


@dataclass
class WorkshopArgs:
    """The command's settings (``akrim workshop --help``)."""

    port: int = arg(8765, lo=0, hi=65535, doc="TCP port (0 = any free port)")
    host: str = arg("127.0.0.1", doc="address to listen on (keep it on localhost unless the room shares a network)")
    scale: float = arg(0.02, lo=1e-4, hi=2.0, doc="population scale (0.02 keeps a week at a few milliseconds)")
    seed: int = arg(1, lo=0, hi=MAX_SEED, doc="run seed (the baseline is drawn with the same seed)")
    start: int = arg(2014, lo=2014, hi=2100, allowed="a year in [2014, 2100]", doc="first year")
    end: int = arg(2035, lo=2014, hi=2100, allowed="a year in [2014, 2100]", doc="last year (the policy game needs end >= its first year + rounds)")
    play_interval: int = arg(5, lo=1, hi=2000, allowed="milliseconds in [1, 2000]", doc="pause between weeks while playing, milliseconds")


ArgError = UsageError  # a bad argument (experiments.cliargs: names the key, the value and what is allowed)


def parse_args(argv: list[str]) -> WorkshopArgs:
    """Parse ``key=value`` arguments into ``WorkshopArgs`` and check their ranges (experiments.cliargs)."""
    args, given, _ = parse(WorkshopArgs, argv, "akrim workshop")
    if args.end < args.start:  # also the default end before a later start
        raise UsageError("end", given.get("end", args.end), f"a year in [{args.start}, 2100]")
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
        except socket.gaierror as exc:
            raise ArgError("host", host, f"a host name or address of this machine ({exc.strerror})") from None
        except OSError as exc:
            if exc.errno == 99:  # EADDRNOTAVAIL: not an address of this machine
                raise ArgError("host", host, f"an address of this machine ({exc.strerror})") from None
            raise ArgError("port", port, f"a port free on {host} ({exc.strerror}); e.g. port=0 for any free port") from None


def offline_environment(args: WorkshopArgs) -> dict[str, str]:
    """Environment for the Solara server: offline, quiet, production mode, the page's settings."""
    return {
        "SOLARA_APP": "experiments.workshop.page",
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no usage reports to the internet
        "SOLARA_CHECK_HOOKS": "off",  # Mesa's visualisation module trips Solara's hook linter harmlessly
        "SOLARA_KERNEL_CULL_TIMEOUT": "2m",  # free a closed tab's model after 2 minutes (default 24 h)
        "AKRIM_WORKSHOP": json.dumps({k: getattr(args, k) for k in ("seed", "scale", "start", "end", "play_interval")}),
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``akrim workshop``; returns an exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help", "help") for a in argv):
        print(help_text("akrim workshop", "The interactive workshop page, served offline on this machine; open the printed address "
                        "in a browser, stop with Ctrl+C. A trainer's guide: docs/workshop_guide.md", WorkshopArgs, EXAMPLES))
        return 0
    try:
        args = parse_args(argv)
        if args.port == 0:
            _check_port(args.host, 0)
            args.port = free_port(args.host)
        _check_port(args.host, args.port)
        load_config([f"seed={args.seed}", f"scale={args.scale}", f"start={args.start}", f"end={args.end}"])
    except (ArgError, ConfigError) as exc:
        return fail(exc)
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
