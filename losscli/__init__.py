"""losscli: evaluate machine-learning losses on prediction files."""

__version__ = "0.1.0"
