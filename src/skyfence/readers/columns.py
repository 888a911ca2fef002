"""The input column vocabulary, the known column dialects, and user column mappings.

Every reader renames its source columns to *input names* before anything else happens. An
input name is either a ``Reports`` column (already SI) or one of these spellings, which the
normaliser converts to SI:

====================  ==============  =============================================
input name            Reports column  conversion
====================  ==============  =============================================
``time``              ``time``        timestamp as is; ISO 8601 string (a string
                                      without zone is UTC); number: epoch seconds,
                                      or milliseconds above 1e11, microseconds
                                      above 1e14 (1e11 s is the year 5138)
``time_s``/``_ms``    ``time``        epoch seconds / milliseconds / microseconds
``/_us``
``icao24``            ``target_id``   ``icao:<6 lower-case hex>``, ``id_kind=icao``;
                                      ``~abcdef`` (readsb non-ICAO address) becomes
                                      ``non_icao:abcdef``
``*_ft``              ``*_m``         x 0.3048 (exact, international foot)
``*_kt``              ``*_mps``       x 1852 / 3600 (international nautical mile)
``*_kmh``             ``*_mps``       / 3.6
``vrate_fpm``         ``vrate_mps``   x 0.3048 / 60
====================  ==============  =============================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pyarrow as pa

from skyfence.errors import ConfigError
from skyfence.schema.reports import REPORTS

__all__ = [
    "DIALECTS",
    "FT",
    "KT",
    "REQUIRED",
    "TIME_UNITS",
    "UNIT_SUFFIXES",
    "arrow_type_of",
    "check_mapping",
    "choose_columns",
    "dialect_of",
    "parse_mapping",
    "restrict",
    "target_of",
]

FT = 0.3048  # international foot, exact by definition (1959)
KT = 1852.0 / 3600.0  # international knot: one nautical mile (1852 m, exact) per hour
FPM = FT / 60.0
KMH = 1.0 / 3.6

# unit suffix of an input name -> (suffix of the Reports column, factor to SI)
UNIT_SUFFIXES: dict[str, tuple[str, float]] = {
    "_ft": ("_m", FT),
    "_kt": ("_mps", KT),
    "_kmh": ("_mps", KMH),
    "_fpm": ("_mps", FPM),
}
# time input names -> seconds per unit (None: guess from the value, see the module docstring)
TIME_UNITS: dict[str, float | None] = {
    "time": None,
    "time_s": 1.0,
    "time_ms": 1e-3,
    "time_us": 1e-6,
}

_REPORTS = frozenset(REPORTS.names)
# the Reports columns every reader fills whatever columns are asked for
REQUIRED = frozenset({"time", "target_id", "lat", "lon"})

# Column dialects recognised without a mapping: source column -> input name.
OPENSKY = {
    "time": "time",
    "icao24": "icao24",
    "lat": "lat",
    "lon": "lon",
    "baroaltitude": "alt_baro_m",
    "geoaltitude": "alt_geo_m",
    "velocity": "gs_mps",
    "heading": "track_deg",  # OpenSky's "heading" is the true track over ground
    "vertrate": "vrate_mps",
    "callsign": "callsign",
    "squawk": "squawk",
    "onground": "on_ground",
}
OPENSKY_IGNORED = frozenset({"hour", "lastposupdate", "lastcontact", "alert", "spi"})
# The traffic library's column names and units (feet, knots, ft/min, epoch milliseconds).
TRAFFIC = {
    "timestamp": "time",
    "icao24": "icao24",
    "latitude": "lat",
    "longitude": "lon",
    "altitude": "alt_baro_ft",
    "geoaltitude": "alt_geo_ft",
    "groundspeed": "gs_kt",
    "track": "track_deg",
    "vertical_rate": "vrate_fpm",
    "callsign": "callsign",
    "squawk": "squawk",
    "onground": "on_ground",
    "IAS": "ias_kt",
    "TAS": "tas_kt",
    "heading": "heading_deg",
}
DIALECTS: dict[str, Mapping[str, str]] = {"opensky": OPENSKY, "traffic": TRAFFIC}


def target_of(name: str) -> str | None:
    """The ``Reports`` column an input name fills, or None if it is not an input name."""
    if name in _REPORTS or name == "icao24":
        return "target_id" if name == "icao24" else name
    if name in TIME_UNITS:
        return "time"
    for suffix, (si, _) in UNIT_SUFFIXES.items():
        if name.endswith(suffix):
            cand = name[: -len(suffix)] + si
            if cand in _REPORTS:
                return cand
    return None


def restrict(chosen: Mapping[str, str], wanted: Iterable[str] | None) -> dict[str, str]:
    """The ``chosen`` source columns (``{source: input name}``) that fill a ``wanted``
    ``Reports`` column, or one of the required ones (time, identity, position); all of
    them when ``wanted`` is None."""
    if wanted is None:
        return dict(chosen)
    keep = REQUIRED | set(wanted)
    return {src: name for src, name in chosen.items() if target_of(name) in keep}


def parse_mapping(text: str) -> dict[str, str]:
    """Parse the CLI spelling ``ts=time,hex=icao24,alt_ft=alt_baro_ft`` into a mapping from
    source column to input name. Raises ``ConfigError`` on a malformed pair or unknown target."""
    out: dict[str, str] = {}
    for pair in text.split(","):
        if not pair.strip():
            continue
        src, sep, dst = pair.partition("=")
        src, dst = src.strip(), dst.strip()
        if not sep or not src or not dst:
            raise ConfigError(f"column mapping {pair.strip()!r}: expected SOURCE=TARGET")
        out[src] = dst
    check_mapping(out)
    return out


def check_mapping(mapping: Mapping[str, str]) -> None:
    """Raise ``ConfigError`` if a mapping targets an unknown name or one column twice."""
    seen: dict[str, str] = {}
    for src, dst in mapping.items():
        target = target_of(dst)
        if target is None:
            raise ConfigError(
                f"column mapping {src}={dst}: unknown target {dst!r}; expected a Reports column "
                "(time, lat, lon, alt_baro_m, ...), icao24, time_s/time_ms, or a unit-suffixed "
                "name such as alt_baro_ft, gs_kt, vrate_fpm"
            )
        if target in seen and {dst, seen[target]} != {"icao24", "target_id"}:
            raise ConfigError(f"column mapping: {seen[target]} and {dst} both fill {target!r}")
        seen[target] = dst


def dialect_of(columns: Iterable[str]) -> str:
    """Name the dialect a set of column names is written in: opensky, traffic or skyfence."""
    cols = set(columns)
    # names only one dialect uses (both have geoaltitude, heading, callsign, squawk, ...)
    if {"latitude", "longitude", "timestamp", "groundspeed", "vertical_rate"} & cols:
        return "traffic"
    if {"baroaltitude", "velocity", "vertrate", "lastcontact", "lastposupdate"} & cols:
        return "opensky"
    return "skyfence"


def choose_columns(
    columns: Iterable[str], mapping: Mapping[str, str] | None
) -> tuple[dict[str, str], list[str]]:
    """Decide which source columns to read and as what: returns ``{source: input name}`` and
    the ignored source columns. A user mapping wins; columns it does not name are taken when
    they already carry an input name. Without a mapping the dialect is recognised."""
    cols = list(columns)
    if mapping is not None:
        check_mapping(mapping)
        base: Mapping[str, str] = mapping
        identity = True
    else:
        dialect = dialect_of(cols)
        base = DIALECTS.get(dialect, {})
        identity = dialect == "skyfence"
    mapped = set(base.values())
    chosen: dict[str, str] = {}
    ignored: list[str] = []
    taken: set[str] = set()
    for c in cols:
        name = base.get(c)
        if name is None and identity and c not in mapped and target_of(c) is not None:
            name = c
        target = target_of(name) if name is not None else None
        # first column wins; target_id and icao24 may both be given (target_id wins per row)
        if name is None or target is None or (target in taken and target != "target_id"):
            ignored.append(c)
            continue
        chosen[c] = name
        taken.add(target)
    return chosen, ignored


def arrow_type_of(name: str) -> pa.DataType:
    """The Arrow type a typed reader (CSV) should read an input name as: text as strings
    (an ``icao24`` of ``400123`` and a squawk of ``0123`` are not numbers), time as string
    (ISO or epoch, decided per batch), unit-suffixed and SI quantities as float64."""
    target = target_of(name)
    if target is None or target == "time" or name == "icao24":
        return pa.string()
    ftype: pa.DataType = REPORTS.field(target).type
    if pa.types.is_floating(ftype):
        return pa.float64()
    if pa.types.is_integer(ftype):
        return pa.int64()
    return ftype
