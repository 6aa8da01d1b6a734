"""The stages of an evaluation, each a module with one job, wired by ``losscli.evaluate``:

sources (open inputs, join on keys, find the group column) -> align (equal pieces of rows
from every file) -> prepare (dtypes, shapes, the NaN policy, weights, labels, group ids)
-> diagnostics (the loss's data checks) -> accumulate (mergeable partial sums per loss
and group) and collect (per-row parts for resampling) -> ``losscli.pipeline.results``.
"""
