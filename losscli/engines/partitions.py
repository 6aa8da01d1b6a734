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
    row_groups: tuple[int, ...] | None = None  # a slice of a big Parquet file

    def table(self) -> Table:
        groups = None if self.row_groups is None else list(self.row_groups)
        return keyed_file(self.file, self.format, self.filesystem, self.shown, groups)

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
        first = self.inputs[0]
        if first.row_groups is None:
            return first.shown
        groups = first.row_groups
        return f"{first.shown} (row groups {groups[0]}-{groups[-1]})"


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
    pairs = [
        [part_file(d, f[index]) for d, f in zip(every, paired)]
        for index in range(len(every[0].files))
    ]
    if len(pairs) == 1:  # one big file (a file of each input): its row groups are the parts
        pairs = _row_group_slices(pairs[0])
    out = []
    for index, files in enumerate(pairs):
        weight_file = files.pop() if weight_set is not None else None
        out.append(Partition(index, files, weight_file))
    return out


ROWS_PER_PART = 1 << 20  # consecutive row groups of a big file evaluated together


def _row_group_slices(files: list[PartFile]) -> list[list[PartFile]]:
    """One Parquet file of each input cut into slices of consecutive row groups, when every
    file has the same row groups (else the files as they are: one part)."""
    if any(f.format != "parquet" for f in files):
        return [files]
    layouts = []
    for f in files:
        import pyarrow.parquet as pq

        try:
            if f.filesystem is None:
                metadata = pq.read_metadata(f.file.path)
            else:
                with f.filesystem.open(f.file.path, "rb") as stream:
                    metadata = pq.read_metadata(stream)
        except Exception:  # noqa: BLE001 - the worker reports an unreadable file properly
            return [files]
        layouts.append([metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)])
    if len(layouts[0]) < 2 or any(layout != layouts[0] for layout in layouts):
        return [files]
    slices: list[list[int]] = [[]]
    rows = 0
    for group, size in enumerate(layouts[0]):
        if rows >= ROWS_PER_PART:
            slices.append([])
            rows = 0
        slices[-1].append(group)
        rows += size
    if len(slices) == 1:
        return [files]
    return [[replace(f, row_groups=tuple(groups)) for f in files] for groups in slices]


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
