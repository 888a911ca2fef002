"""The alert stage: incursion episodes per (target, zone) with an operator lifecycle."""

from skyfence.alert.model import ALERT_STATUSES, AlertChange, AlertRecord

__all__ = ["ALERT_STATUSES", "AlertChange", "AlertRecord"]
