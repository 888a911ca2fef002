"""Vertical limits: a floor or ceiling with its unit and datum, stored in metres.

Datums:

``SFC``   the surface (GND): 0 m above ground level.
``AGL``   above ground level, against the zone's ``ground_elevation_m``.
``AMSL``  above mean sea level (altitude on the local QNH); compared against geometric
          (GNSS) altitude when a report has one, else against barometric altitude.
``STD``   pressure altitude on the standard setting 1013.25 hPa: flight levels.
          ``FL095`` is 9,500 ft = 2,895.6 m. Compared against barometric altitude when a
          report has one, else against geometric altitude.
``UNL``   unlimited: +infinity.

Feet and flight levels exist only here, at parsing, and in :meth:`VerticalLimit.label`.
``unit`` records how a limit was written, for display; it takes no part in equality, so
``2500 ft AMSL`` equals ``762 m AMSL``.

An ``AGL`` limit is converted against the zone's ``ground_elevation_m``; a zone without one
takes the ground at mean sea level (0 m), so give the elevation for AGL zones in high
terrain.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

__all__ = ["FT", "NM", "Datum", "VerticalLimit", "parse_limit"]

FT = 0.3048  # metres per international foot
NM = 1852.0  # metres per nautical mile


class Datum(StrEnum):
    SFC = "SFC"
    AGL = "AGL"
    AMSL = "AMSL"
    STD = "STD"
    UNL = "UNL"


@dataclass(frozen=True, slots=True)
class VerticalLimit:
    """One floor or ceiling: ``value_m`` above ``datum``; ``unit`` is how it was written
    (``ft``, ``m`` or ``FL``) and only matters for display: it is left out of equality.
    ``SFC`` is stored as 0 m and ``UNL`` as +inf whatever ``value_m`` was given; 0 m ``AGL``
    becomes ``SFC``."""

    value_m: float
    datum: Datum
    unit: str = field(default="ft", compare=False)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "datum", Datum(self.datum))
        except ValueError:
            names = ", ".join(d.value for d in Datum)
            raise ValueError(f"unknown datum {self.datum!r}: expected one of {names}") from None
        if self.unit not in ("ft", "m", "FL"):
            raise ValueError(f"unknown unit {self.unit!r}: expected ft, m or FL")
        value = float(self.value_m)
        if self.datum is Datum.AGL and value == 0.0:
            object.__setattr__(self, "datum", Datum.SFC)
        if self.datum is Datum.UNL:
            value = math.inf
        elif self.datum is Datum.SFC:
            value = 0.0
        elif not math.isfinite(value):
            raise ValueError(
                f"vertical limit must be a finite number of metres, got {self.value_m!r} "
                "(use UNL for no upper limit)"
            )
        object.__setattr__(self, "value_m", value)

    @classmethod
    def surface(cls) -> VerticalLimit:
        return cls(0.0, Datum.SFC)

    @classmethod
    def unlimited(cls) -> VerticalLimit:
        return cls(math.inf, Datum.UNL)

    @classmethod
    def flight_level(cls, fl: float) -> VerticalLimit:
        return cls(fl * 100.0 * FT, Datum.STD, "FL")

    def amsl_m(self, ground_elevation_m: float | None) -> float:
        """This limit as metres above mean sea level (``STD`` taken as-is, since standard
        pressure altitude is what barometric reports carry)."""
        if self.datum in (Datum.SFC, Datum.AGL):
            return self.value_m + (ground_elevation_m or 0.0)
        return self.value_m

    @property
    def pressure(self) -> bool:
        """True when this limit compares against pressure (barometric) altitude first."""
        return self.datum is Datum.STD

    def label(self) -> str:
        """A human label: ``SFC``, ``UNL``, ``FL095``, ``2500 ft AMSL``, ``150 m AGL``."""
        if self.datum is Datum.SFC:
            return "SFC"
        if self.datum is Datum.UNL:
            return "UNL"
        if self.unit == "FL":
            return f"FL{round(self.value_m / FT / 100):03d}"
        value = self.value_m / FT if self.unit == "ft" else self.value_m
        return f"{value:.0f} {self.unit} {self.datum.value}"

    def to_text(self) -> str:
        """The text form written by the GeoJSON exporter: :func:`parse_limit` reads it back
        to an equal limit. In the written unit when a short number does it exactly
        (``FL095``, ``2500 ft AMSL``, ``150 m AGL``), else in metres with every digit."""
        if self.datum in (Datum.SFC, Datum.UNL):
            return self.datum.value
        datum = self.datum.value
        candidates = []
        if self.unit == "FL" and self.datum is Datum.STD:
            fl = self.value_m / FT / 100.0
            if fl >= 0:
                candidates.append(f"FL{round(fl):03d}")
                candidates += [f"FL{t}" for t in _short(fl)]
        elif self.unit == "ft":
            candidates += [f"{t} ft {datum}" for t in _short(self.value_m / FT)]
        candidates += [f"{t} m {datum}" for t in _short(self.value_m)]
        for text in candidates:
            if parse_limit(text) == self:
                return text
        # every digit, positional (the parser takes no exponent): always reads back exactly
        exact = np.format_float_positional(self.value_m, unique=True, trim="-")
        return f"{exact} m {datum}"


def _short(x: float) -> list[str]:
    """``x`` with the fewest decimals (up to 6) that read back as ``x`` to 1e-9, if any."""
    for nd in range(7):
        text = f"{x:.{nd}f}"
        if abs(float(text) - x) <= 1e-9 * max(1.0, abs(x)):
            return [text]
    return []


_LIMIT = re.compile(
    r"""^\s*(?:
        (?P<fl>FL)\s*(?P<flv>\d+(?:\.\d+)?)
      | (?P<v>[-+]?\d+(?:\.\d+)?)\s*(?P<unit>FT|F|M)?
        \s*(?P<datum>AMSL|MSL|ALT|AGL|ASFC|AGND|SFC|GND|STD)?
    )\s*$""",
    re.VERBOSE | re.IGNORECASE,
)


def parse_limit(text: str, default_datum: Datum = Datum.AMSL) -> VerticalLimit:
    """Parse a vertical limit as airspace publications write it.

    Accepted: ``SFC``, ``GND``, ``UNL``/``UNLTD``/``UNLIMITED``, ``FL95``, ``FL 095``,
    ``2500ft``, ``2500 FT AMSL``, ``2500 MSL``, ``1500ft AGL``, ``1000 ft ASFC``, ``300 m``,
    ``300m AGL``, ``9500 ft STD``. A bare number is feet above ``default_datum``. Raises
    ``ValueError`` with what was expected.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a vertical limit as text, got {type(text).__name__}")
    t = text.strip().upper()
    if t in ("SFC", "GND", "0", "SURFACE"):
        return VerticalLimit.surface()
    if t in ("UNL", "UNLTD", "UNLIMITED", "UNLIM"):
        return VerticalLimit.unlimited()
    m = _LIMIT.match(t)
    if not m:
        raise ValueError(
            f"cannot read vertical limit {text!r}: expected SFC, GND, UNL, FL<n>, "
            "or a number with ft/m and AMSL/AGL"
        )
    if m.group("fl"):
        return VerticalLimit.flight_level(float(m.group("flv")))
    value = float(m.group("v"))
    unit = "m" if (m.group("unit") or "FT") == "M" else "ft"
    datum_text = (m.group("datum") or "").upper()
    if datum_text in ("AGL", "ASFC", "AGND", "SFC", "GND"):
        datum = Datum.AGL
    elif datum_text == "STD":
        datum = Datum.STD
    elif datum_text:
        datum = Datum.AMSL
    else:
        datum = default_datum
    if datum is Datum.AGL and value == 0:
        return VerticalLimit.surface()
    metres = value * FT if unit == "ft" else value
    return VerticalLimit(metres, datum, unit)
