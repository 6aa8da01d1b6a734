"""Names of the file formats read and the output formats written (import-free, for the CLI)."""

INPUT_FORMATS = ("csv", "tsv", "parquet", "npy", "npz")
OUTPUT_FORMATS = ("table", "json", "csv", "ndjson")
