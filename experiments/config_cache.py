"""A disk cache of Hydra's composition of the shipped scenarios, for the command line's start-up.

Composing the configuration (importing Hydra, searching the config directory, merging the
defaults list onto the schema) takes 0.25-0.45 s of every ``akrim run``, about a fifth of what a
run costs beyond the model. The result depends only on the group selection (``policy=NAME``,
``world=NAME``), the files under ``scenarios/``, the schema (``sim/config/*.py``) and the
versions of Hydra, OmegaConf and Python, so the command line keeps it on disk, keyed by a hash of
all of these, and loads it in about 0.05 s the next time (``sim.config._COMPOSED`` is the
in-process cache it fills). Any edit to a scenario file or to the schema changes the key, so a
stale composition is never used; nothing is ever invalidated by time.

Where: ``$AKRIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/akrim``, else ``~/.cache/akrim``.
``AKRIM_NO_CACHE=1`` turns it off. A cache that cannot be read or written (a read-only home, a
damaged file) is ignored: the run composes as without it. Files are written atomically, so
concurrent runs never read half a file.

The files are pickles of OmegaConf objects: like any pickle, they are trusted because they live in
the user's own cache directory. Not a model file: it cannot change a run's numbers, since the
configuration it returns is the one Hydra composed (``tests/test_config_cache.py`` compares every
shipped policy and world).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

FORMAT = 1  # bump when what is stored changes


def cache_dir() -> Path | None:
    """The cache folder, or None if the cache is turned off (``AKRIM_NO_CACHE=1``)."""
    if os.environ.get("AKRIM_NO_CACHE", "") not in ("", "0"):
        return None
    if os.environ.get("AKRIM_CACHE_DIR"):
        return Path(os.environ["AKRIM_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "akrim"


def _inputs(config_dir: Path) -> list[Path]:
    """Every file the composition reads or is shaped by: the scenario YAML files and the schema."""
    import sim.config

    schema = Path(sim.config.__file__).resolve().parent
    return sorted(config_dir.rglob("*.yaml")) + sorted(schema.glob("*.py"))


def _version(dist: str) -> str:
    """A distribution's version from its metadata (without importing it: Hydra's import costs 0.05 s)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def fingerprint(groups: tuple[str, ...], config_dir: Path) -> str:
    """A hash of everything the composition of ``groups`` depends on."""
    h = hashlib.sha256()
    h.update(repr((FORMAT, groups, str(config_dir), sys.version, _version("hydra-core"), _version("omegaconf"))).encode())
    for path in _inputs(config_dir):
        h.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:32]


def _path(groups: tuple[str, ...], config_dir: Path) -> Path | None:
    d = cache_dir()
    if d is None:
        return None
    try:
        return d / f"composed-{fingerprint(groups, config_dir)}.pkl"
    except OSError:  # a scenario file vanished while being hashed: compose as usual
        return None


def warm(groups: tuple[str, ...], config_dir: Path) -> bool:
    """Put the cached composition of ``groups`` into ``sim.config._COMPOSED``; True if it was there."""
    import sim.config

    key = (groups, str(config_dir))
    if key in sim.config._COMPOSED:
        return True
    path = _path(groups, config_dir)
    if path is None or not path.is_file():
        return False
    try:
        sim.config._COMPOSED[key] = pickle.loads(path.read_bytes())
    except Exception:  # a damaged or foreign file: compose as usual (and overwrite it)
        return False
    return True


def store(groups: tuple[str, ...], config_dir: Path) -> bool:
    """Write the in-process composition of ``groups`` to the cache (atomically); True if written.

    Called when ``warm`` found nothing usable, so a damaged file is replaced.
    """
    import sim.config

    key = (groups, str(config_dir))
    if key not in sim.config._COMPOSED:
        return False
    path = _path(groups, config_dir)
    if path is None:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".composed-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(sim.config._COMPOSED[key], fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except Exception:  # read-only home, full disk, an object that will not pickle: no cache
        return False
    return True
