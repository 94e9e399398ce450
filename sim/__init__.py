"""A-krim simulator: an agent-based model of how Norway fights work-related crime.

Core objects:
    sim.model.AkrimModel - the model (Mesa model owning a SimPy clock).
    sim.config - the configuration schema (world parameters and policy levers).
    sim.runner.run_config - run one configuration and write its output folder.
"""

__version__ = "0.1.0"
