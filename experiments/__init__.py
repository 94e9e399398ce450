"""Experiments: many runs of the model, stored and analysed apart (EMA Workbench's habit).

Core objects:
    runs.RunSpec - one run (Hydra overrides + tags); its key is a hash of the resolved config.
    store.ResultStore - partitioned Parquet dataset, one atomic file per run; resumable.
    execute.execute - run specs on Dask (LocalCluster by default), skipping finished ones.
"""
