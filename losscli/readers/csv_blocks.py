"""A CSV file's bytes in blocks that end where a row ends, so that each block parses on
its own (pyarrow parses one on every core) and the file is never held whole.

A block ends after a line break that lies outside quotes: the number of quote characters
before it in the block is even (a quoted quote is written twice, so the count stays
right). Every block begins where the previous one ended, hence outside quotes too.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    comes with whether it holds a quote (quoted fields may span lines)."""
    carry = stream.read(len(BOM)).removeprefix(BOM)
    first = True
    while True:
        data = stream.read(block_bytes)
        if not data and first and carry:  # a file shorter than a byte-order mark
            data, carry = carry, b""
        if not data:
            if carry:  # the last row, without a final line break
                yield carry, b'"' in carry
            return
        data = carry + data
        if first and skip_first_row:
            start = _first_row_end(data)
            if start == 0:  # the header is longer than a block: read on
                carry = data
                continue
            data = data[start:]
        first = False
        cut = _last_row_end(data)
        carry = data[cut:]
        if cut:
            block = data[:cut]
            yield block, b'"' in block
