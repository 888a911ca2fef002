"""Drivers of the stages: the batch audit (and, later, the live service)."""

from skyfence.pipeline.audit import AuditResult, AuditStats, audit_batches

__all__ = ["AuditResult", "AuditStats", "audit_batches"]
