"""What people read: incursion files (CSV, Parquet, GeoJSON) and the audit summary."""

from skyfence.report.files import write_incursions
from skyfence.report.summary import print_summary

__all__ = ["print_summary", "write_incursions"]
