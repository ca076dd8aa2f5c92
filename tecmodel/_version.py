"""The package version (read by the result files, the workbook and the store fingerprint)."""

__version__ = "0.1.0"
