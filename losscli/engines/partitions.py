"""Inputs cut into partitions that are evaluated apart: one file of every input a partition,
the files of several datasets paired by their paths below each dataset (or, when the names
differ, by their order)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from losscli.errors import InputError, UsageError, option
from losscli.readers.base import Table
from losscli.readers.datasets import DataFile, Dataset, discover, keyed_file
from losscli.records import record, replace


@record(frozen=True)
class PartFile:
    """One file of one input, with what a worker needs to open it."""

    dataset: str  # the input as given, for messages
    format: str
    filesystem: Any
    file: DataFile  # local paths absolute: workers need not share this process's directory
    display: str | None = None

    def table(self) -> Table:
        return keyed_file(self.file, self.format, self.filesystem, self.shown)

    @property
    def shown(self) -> str:
        """The file as messages name it: as the user's path spelled it."""
        return self.display or self.file.path


@record(frozen=True)
class Partition:
    index: int
    inputs: list[PartFile]
    weights: PartFile | None = None

    def describe(self) -> str:
        return self.inputs[0].shown


def open_dataset(path: Any, forced_format: str | None) -> Dataset:
    """An input of the engine: a file, a directory, a glob or a URL of Parquet or CSV files."""
    if not isinstance(path, (str, os.PathLike)):
        raise UsageError(
            f"{option('engine', 'dask')} reads files and datasets; give paths, not in-memory data"
        )
    path = os.fspath(path)
    if path == "-":
        raise UsageError(f"{option('engine', 'dask')} reads files; stdin ('-') cannot be split")
    lowered = path.lower()
    if lowered.endswith((".npy", ".npz")) or forced_format in ("npy", "npz"):
        raise UsageError(
            f"{path}: {option('engine', 'dask')} reads Parquet and CSV/TSV files; "
            "evaluate NPY/NPZ in one process"
        )
    return discover(path, forced_format)


def partitions(
    inputs: Sequence[Any], weights: Any, forced_format: str | None = None
) -> list[Partition]:
    """One partition a file of the inputs (and of the weights), files paired across inputs."""
    datasets = [open_dataset(i, forced_format) for i in inputs]
    weight_set = None if weights is None else open_dataset(weights, forced_format)
    every = [*datasets, *([weight_set] if weight_set is not None else [])]
    counts = {d.display: len(d.files) for d in every}
    if len(set(counts.values())) > 1:
        shown = ", ".join(f"{name} has {count} files" for name, count in counts.items())
        raise InputError(
            f"the inputs' files do not pair up ({shown}); give datasets cut into the same "
            f"files, or join them with {option('on', 'KEY')}"
        )
    paired = [_in_pair_order(d, every[0]) for d in every]
    out = []
    for index in range(len(every[0].files)):
        files = [part_file(d, f[index]) for d, f in zip(every, paired)]
        weight_file = files.pop() if weight_set is not None else None
        out.append(Partition(index, files, weight_file))
    return out


def part_file(dataset: Dataset, file: DataFile) -> PartFile:
    """A file of ``dataset`` as a worker opens it."""
    if dataset.filesystem is not None:
        return PartFile(dataset.display, dataset.format, dataset.filesystem, file)
    absolute = replace(file, path=os.path.abspath(file.path))
    return PartFile(dataset.display, dataset.format, None, absolute, file.path)


def _in_pair_order(dataset: Dataset, reference: Dataset) -> list[DataFile]:
    """The dataset's files in the order of the reference's files with the same relative path,
    when every relative path matches; else in their own (sorted) order."""
    mine = {f.relative: f for f in dataset.files}
    if set(mine) == {f.relative for f in reference.files}:
        return [mine[f.relative] for f in reference.files]
    return list(dataset.files)
