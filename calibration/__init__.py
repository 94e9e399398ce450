"""Calibration of the uncertain world parameters to the reported figures (SPEC section 6).

Modules, in the order a calibration uses them:
    targets    - the reported figures (``targets.yaml``) and how a run is compared with them
    distance   - the normalised distance between a run and the fit targets
    params     - world parameters: schema lookup, priors (``priors.yaml``), overrides
    simulate   - one model run: parameters in, target statistics out
    screening  - Morris screening (SALib) of candidate parameters on the distance
    abc        - ABC-SMC (pyabc) on a Dask cluster, SQLite history, resumable
    posterior  - posterior sample, calibrated world file, posterior predictive runs
    report     - the HTML calibration report
    calibrate  - ``akrim calibrate``: the command line
"""
