"""Batch types shared by every stage, declared once as Arrow schemas.

Units are in column names and SI inside: metres, m/s, seconds, degrees WGS84, UTC.
"""

from skyfence.schema.events import EVENT_KINDS, EVENTS
from skyfence.schema.incursions import INCURSIONS, INCURSIONS_INTEGRITY
from skyfence.schema.reports import REPORTS, empty_reports
from skyfence.schema.types import conform, undeclared_columns

__all__ = [
    "EVENTS",
    "EVENT_KINDS",
    "INCURSIONS",
    "INCURSIONS_INTEGRITY",
    "REPORTS",
    "conform",
    "empty_reports",
    "undeclared_columns",
]
