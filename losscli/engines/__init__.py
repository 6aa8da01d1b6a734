"""Where evaluation runs when not in this process: ``dask_engine`` evaluates partitions
(``partitions``) on a Dask cluster and merges their states (``pipeline.states``)."""
