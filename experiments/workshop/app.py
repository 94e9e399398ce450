"""``akrim workshop``: start the workshop page on localhost and print its address.

Usage::

    akrim workshop [port=8765] [host=127.0.0.1] [scale=0.02] [seed=1] [start=2014] [end=2035]

The page is a Solara app (``experiments.workshop.page``) served by uvicorn in this process; stop it with
Ctrl+C. Everything it loads comes from the installed packages (``solara-assets`` carries the
front-end files Solara would otherwise take from a CDN), so it works on a laptop with no network.
Solara's usage telemetry is switched off, and its version check (a request to PyPI made by
``solara run``) is never made, as the server is started here directly.

Host and token (``access_for``, ``token_guard``): on localhost (the default) the page needs
nothing. On any other address (e.g. ``host=0.0.0.0`` for the multi-team game on a room's
network) the command warns, prints an address other computers can use, and makes a fresh room
token that every HTTP and WebSocket request must carry (``?token=`` or the cookie the first page
sets), plus a trainer's key for the trainer's page (``/trainer``).
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import socket
import sys
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from experiments.cliargs import MAX_SEED, UsageError, arg, fail, help_text, parse
from sim.config import ConfigError, load_config

SWITCH_INTERVAL_S = 0.0005  # the GIL switch interval while serving (see main)

EXAMPLES = """  akrim workshop                 # prints: open http://127.0.0.1:8765/ in a browser
  akrim workshop port=0 seed=3   # any free port, another seed
"""


@dataclass
class WorkshopArgs:
    """The command's settings (``akrim workshop --help``)."""

    port: int = arg(8765, lo=0, hi=65535, doc="TCP port (0 = any free port)")
    host: str = arg("127.0.0.1", doc="address to listen on; any address other than localhost (e.g. 0.0.0.0, for a room network) needs the token it prints")
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
        "SOLARA_THEME_SHOW_BANNER": "False",  # no "This website runs on Solara" badge over the page
        "AKRIM_WORKSHOP": json.dumps({k: getattr(args, k) for k in ("seed", "scale", "start", "end", "play_interval")}),
    }


# ----------------------------------------------------------------------------- host and token
TOKEN_COOKIE = "akrim_token"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this computer only (127.0.0.0/8, ::1, localhost)."""
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def room_address(host: str) -> str:
    """An address other computers can use: ``host`` itself, or for 0.0.0.0 / :: this computer's address on the network."""
    if host not in ("0.0.0.0", "::", ""):
        return host
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # a documentation address: connect() on UDP sends nothing, it only picks a route
            return str(s.getsockname()[0])
        except OSError:
            return socket.gethostname()


@dataclass(frozen=True)
class Access:
    """How the page is reached: its address, the room's token and the trainer's key (both empty on localhost)."""

    url: str
    trainer_url: str
    token: str = ""
    trainer_key: str = ""

    @property
    def guarded(self) -> bool:
        """Whether requests need the token (the server listens on a network)."""
        return bool(self.token)


def access_for(host: str, port: int, token: str | None = None, trainer_key: str | None = None) -> Access:
    """The addresses to print; off localhost a fresh token (for everyone) and trainer's key (for /trainer)."""
    if is_loopback(host):
        base = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
        return Access(base, base + "trainer")
    token = token or secrets.token_urlsafe(9)
    trainer_key = trainer_key or secrets.token_urlsafe(6)
    addr = room_address(host)
    base = f"http://{'[' + addr + ']' if ':' in addr else addr}:{port}/"
    return Access(f"{base}?token={token}", f"{base}trainer?token={token}&key={trainer_key}", token, trainer_key)


def access_notice(host: str, a: Access) -> list[str]:
    """The start-up lines: the addresses, and off localhost a warning and the token."""
    if not a.guarded:
        return [f"akrim workshop: open {a.url} in a browser (Ctrl+C stops the server)",
                f"akrim workshop: trainer's page for a multi-team game: {a.trainer_url}"]
    return [f"akrim workshop: WARNING: listening on {host}, not on localhost: anyone on this network who has the token can "
            "open the page",
            f"akrim workshop: room token {a.token} (every request needs it; the address below carries it)",
            f"akrim workshop: teams open {a.url}",
            f"akrim workshop: trainer's page (keep this address to yourself): {a.trainer_url}",
            "akrim workshop: Ctrl+C stops the server"]


def token_guard(app, token: str):
    """ASGI middleware: refuse every HTTP and WebSocket request without the room's ``token``.

    A request carries it as ``?token=`` (the printed address) or as the cookie this middleware
    sets on the first page it serves, so the page's own requests (assets, the WebSocket) pass.
    A request without it gets 403 and a one-line explanation; a WebSocket is closed (1008).
    """
    async def guarded(scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await app(scope, receive, send)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        cookies = SimpleCookie()
        for k, v in scope.get("headers", []):
            if k == b"cookie":
                cookies.load(v.decode("latin-1"))
        given = query.get("token", [""])[0] or (cookies[TOKEN_COOKIE].value if TOKEN_COOKIE in cookies else "")
        if not secrets.compare_digest(given, token):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return None
            body = b"akrim workshop: this page needs the room's token: open the address akrim workshop printed (it ends in ?token=...)\n"
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return None
        if scope["type"] == "http" and query.get("token"):
            async def send_with_cookie(msg):
                if msg["type"] == "http.response.start":
                    cookie = f"{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax".encode()
                    msg = {**msg, "headers": [*msg.get("headers", []), (b"set-cookie", cookie)]}
                await send(msg)
            return await app(scope, receive, send_with_cookie)
        return await app(scope, receive, send)

    return guarded


def server_app(a: Access):
    """The ASGI app to serve: Solara's, behind the token guard when the page is on a network."""
    from solara.server.starlette import app

    return token_guard(app, a.token) if a.guarded else app


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
    a = access_for(args.host, args.port)
    os.environ.update(offline_environment(args))
    os.environ["AKRIM_WORKSHOP_TRAINER_KEY"] = a.trainer_key
    import uvicorn  # after the environment: Solara reads its settings on import
    from solara.server import settings as solara_settings

    solara_settings.main.mode = "production"
    print(f"akrim workshop: seed={args.seed} scale={args.scale:g} {args.start}-{args.end}", flush=True)
    for line in access_notice(args.host, a):
        print(line, flush=True)
    # The page's server shares this process with the threads that run the teams' and the room's
    # simulations. Under CPython's default 5 ms switch interval a busy simulation thread keeps the
    # GIL for 5 ms at every hand-over, so on a loaded machine a page served while a team's runs are
    # prepared answered slowly enough to time out in the browser test. At 0.5 ms the page gets its
    # turn ten times as often; a thread that runs alone is never interrupted, so a simulation with
    # no page to serve loses nothing.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    config = uvicorn.Config(server_app(a), host=args.host, port=args.port, log_level="warning")
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C after its graceful shutdown
        pass
    print("akrim workshop: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
