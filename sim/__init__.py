"""A-krim simulator: an agent-based model of how Norway fights work-related crime.

Core objects:
    sim.model.AkrimModel - the model (Mesa model owning a SimPy clock).
    sim.config - the configuration schema (world parameters and policy levers).
    sim.runner.run_config - run one configuration and write its output folder.
"""

__version__ = "0.1.0"
# The generation of the model's mechanisms. A calibration is valid for the generation it was fitted
# to (calibration/posterior/meta.json, ``model_generation``; absent = 1): generation 2 is the
# rebuild of issue 11 (centres sized by staff, central and latent actors, sanction mix by origin,
# saturating and heterogeneous deterrence, stale intelligence, displacement, Tax and NAV);
# generation 3 (issue 11, latency work): cases weakened by stale evidence, weekly-restarted and
# entity-keyed random streams, entry at the initial stock's steady state, agency-to-NLI signals
# at face value; generation 4 (issue 11, stocks): capacity with a restoring force (depreciation,
# no per-company upkeep) and entry with a replacement effect (crowding); generation 5 (issue 11,
# central stock): NTAES re-weights the exposed industries' priorities only (ODD 8.12); generation 6
# (issue 11, scale): shared pools carry at least two whole jobs (ODD 2.10, 8.7), "previously
# reported" counted at identification, the NLI's wrongful support in a column of its own; generation 7
# (issue 11, scale): the centres' portfolio bounded by time (policy.centres.dur_work), not by places.
MODEL_GENERATION = 7



class _Deferred(__import__("types").ModuleType):
    """A stand-in for a Mesa submodule: the first attribute it lacks imports the real module."""

    def __getattr__(self, attr):
        import importlib
        import sys

        if attr.startswith("__") and attr not in ("__path__", "__all__"):
            raise AttributeError(attr)  # what inspect and the import system probe, not contents
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)  # the real module, imported as usual
        parent, _, child = name.rpartition(".")
        setattr(sys.modules[parent], child, real)
        self.__dict__.update({k: v for k, v in real.__dict__.items() if k not in ("__class__",)})
        return getattr(real, attr)


def _defer_mesa_extras() -> None:
    """Let ``import mesa`` skip the parts of Mesa the model does not use until they are used.

    ``mesa/__init__.py`` imports ``mesa.space`` (networkx), ``mesa.experimental`` and
    ``mesa.discrete_space`` (scipy.spatial): about half a second of start-up that the model never needs (it uses ``mesa.Model``, ``mesa.Agent`` and
    ``mesa.DataCollector``). Each is registered as a stand-in module that imports the real one,
    unchanged, the first time anything reads from it (``from mesa.space import MultiGrid``,
    ``mesa.experimental.devs``, ...). Nothing is done if Mesa is already imported or cannot be
    found; ``AKRIM_EAGER_MESA=1`` turns this off.
    """
    import importlib.util
    import os
    import sys

    if "mesa" in sys.modules or os.environ.get("AKRIM_EAGER_MESA"):
        return
    try:
        spec = importlib.util.find_spec("mesa")
    except (ImportError, ValueError):
        return
    if spec is None or not spec.submodule_search_locations:
        return
    for name in ("space", "experimental", "discrete_space"):
        full = f"mesa.{name}"
        if full not in sys.modules:
            mod = _Deferred(full)
            mod.__spec__ = None  # an import of the name finds it "initialised"
            sys.modules[full] = mod


_defer_mesa_extras()
