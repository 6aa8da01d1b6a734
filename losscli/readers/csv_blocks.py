"""A CSV file's bytes in blocks that end where a row ends, so that each block parses on
its own (``parse_blocks``: one on every core) and the file is never held whole.

A block ends after a line break that lies outside quotes: the number of quote characters
before it in the block is even (a quoted quote is written twice, so the count stays
right). Every block begins where the previous one ended, hence outside quotes too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

BOM = b"\xef\xbb\xbf"


def _last_row_end(data: bytes) -> int:
    """The position after the last line break outside quotes; 0 if there is none."""
    end = data.rfind(b"\n")
    if b'"' not in data:
        return end + 1
    while end >= 0:
        if data.count(b'"', 0, end) % 2 == 0:
            return end + 1
        end = data.rfind(b"\n", 0, end)
    return 0


def _first_row_end(data: bytes) -> int:
    """The position after the first line break outside quotes; 0 if there is none."""
    end = data.find(b"\n")
    while end >= 0:
        if data.count(b'"', 0, end) % 2 == 0:
            return end + 1
        end = data.find(b"\n", end + 1)
    return 0


Block = tuple[Any, bool]  # whole rows, and whether they hold a quote character


def row_blocks(stream: BinaryIO, block_bytes: int, skip_first_row: bool) -> Iterator[Block]:
    """Blocks of about ``block_bytes`` (more when one row is longer), each made of whole
    rows; the first row (a header) left out when asked; a byte-order mark dropped. Each
    comes with whether it holds a quote (quoted fields may span lines).

    Lines that end in a bare carriage return (old Mac files: a ``\\r`` and no ``\\n`` in
    the first block) are read as pandas reads them: each ``\\r`` ends a row. Every turn of
    the loop reads more of the file or ends, so no content can keep it going.
    """
    carry = stream.read(len(BOM)).removeprefix(BOM)
    first = True
    mac: bool | None = None  # lines end in a bare \r (decided on the first block)
    at_end = False
    while not at_end:
        data = stream.read(block_bytes)
        at_end = not data
        if mac is None and (data or carry):
            sample = carry + data
            mac = b"\r" in sample and b"\n" not in sample
        if mac:
            data = data.replace(b"\r", b"\n")
            carry = carry.replace(b"\r", b"\n")
        data = carry + data
        carry = b""
        if first and skip_first_row:
            start = _first_row_end(data)
            if start == 0:  # the header is longer than a block: read on (or the file ends)
                carry = data
                continue
            data = data[start:]
        first = False
        cut = len(data) if at_end else _last_row_end(data)
        carry = data[cut:]
        if cut:
            block = data[:cut]
            yield block, b'"' in block


def parse_blocks(
    blocks: Iterator[Block],
    column_names: list[str],
    parse: Any,
    quoted: Any,
    convert: Any,
    on_block: Callable[[int], None] = lambda size: None,
) -> Iterator[Any]:
    """pyarrow tables of ``blocks``, in order, one block a core and a few ahead. A block
    holding a quote is parsed with ``quoted`` (fields may span lines), others with
    ``parse``; ``on_block(bytes)`` reports progress."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    def parse_block(block: Block) -> Any:
        data, has_quotes = block
        on_block(len(data))
        # One core a block, parsed in one piece (a block may outgrow its nominal size).
        read = pacsv.ReadOptions(
            column_names=column_names, use_threads=False, block_size=max(len(data), 1 << 16) + 1
        )
        return pacsv.read_csv(pa.py_buffer(data), read, quoted if has_quotes else parse, convert)

    return _in_parallel(parse_block, blocks)


def _in_parallel(work: Callable[[Any], Any], items: Iterator[Any]) -> Iterator[Any]:
    """``work(item)`` for each item, in order, on every core, a few items ahead."""
    from concurrent.futures import ThreadPoolExecutor

    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        pending = []
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) > workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
