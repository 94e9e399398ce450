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
# saturating and heterogeneous deterrence, stale intelligence, displacement, Tax and NAV).
MODEL_GENERATION = 2
