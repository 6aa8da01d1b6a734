"""Names of the file formats read and the output formats written, and how a path or a
column pattern marks a glob (import-free, for the CLI)."""

INPUT_FORMATS = ("csv", "tsv", "parquet", "npy", "npz")
OUTPUT_FORMATS = ("table", "json", "csv", "ndjson")
GLOB_CHARACTERS = frozenset("*?[")  # a path or a --col pattern holding one is a glob
