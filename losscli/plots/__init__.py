"""Charts of losses and of their data: figures (plain data) and their renderers."""
