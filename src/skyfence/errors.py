"""The exceptions skyfence raises.

::

    SkyfenceError
    ├── InputError            bad input: names the file, line or feature, and the field
    │   ├── ZoneFormatError   a zone file that cannot be read as zones
    │   ├── TrafficFormatError  a traffic file that cannot be read as reports
    │   └── DecodeError       a surveillance stream that cannot be framed at all
    ├── ConfigError           a setting or command-line option that makes no sense
    └── StoreError            a storage backend failed

Batch paths never raise for one bad row: they carry an ``error`` column instead. These
exceptions are for whole inputs that cannot be used, and they are what the CLI turns into a
one-line message and a non-zero exit.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DecodeError",
    "InputError",
    "SkyfenceError",
    "StoreError",
    "TrafficFormatError",
    "ZoneFormatError",
]


class SkyfenceError(Exception):
    """Base of every error skyfence raises on purpose."""


class InputError(SkyfenceError):
    """Input that cannot be used, located as precisely as the format allows.

    ``where`` is the file (or ``<string>``), ``line`` a 1-based line number, ``item`` a
    feature/record label (``feature 3``, ``zone 'EDR4'``), ``field`` the offending field.
    """

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        line: int | None = None,
        item: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.where = where
        self.line = line
        self.item = item
        self.field = field
        super().__init__(self.__str__())

    def located(self, where: str) -> InputError:
        """Return a copy of this error that names ``where`` as its file, if it had none."""
        if self.where is not None:
            return self
        return type(self)(
            self.message, where=where, line=self.line, item=self.item, field=self.field
        )

    def __str__(self) -> str:
        parts = []
        loc = self.where or ""
        if self.line is not None:
            loc = f"{loc}:{self.line}" if loc else f"line {self.line}"
        if loc:
            parts.append(loc)
        if self.item:
            parts.append(self.item)
        if self.field:
            parts.append(f"field {self.field!r}")
        prefix = ": ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


class ZoneFormatError(InputError):
    """A zone file or zone definition that cannot be turned into zones."""


class TrafficFormatError(InputError):
    """A traffic file that cannot be turned into reports."""


class DecodeError(InputError):
    """A surveillance stream that cannot be framed at all (not one bad frame)."""


class ConfigError(SkyfenceError):
    """A setting or option that is missing or inconsistent."""


class StoreError(SkyfenceError):
    """A storage backend failed to read or write."""
