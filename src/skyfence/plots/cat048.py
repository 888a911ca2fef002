"""ASTERIX CAT048 (monoradar target reports): data blocks and records, decoded with
``libasterix`` (a maintained pure-Python ASTERIX codec) into columns.

A recording is data blocks one after another (the usual ``.ast`` file, no other framing)::

    byte  0     CAT  category: 48 is read, blocks of other categories are skipped
    bytes 1-2   LEN  block length in bytes, these 3 included, big-endian
    bytes 3..   records, each an FSPEC then the items it flags, in UAP order

Items read (CAT048 edition 1.32; editions 1.x code these alike):

=========  ==========================================  ========================================
I048/010   SAC, SIC                                    the sensor: the site with that sac/sic
I048/140   time of day, LSB 1/128 s, UTC               time, on the recording's date
I048/020   TYP, SIM, RAB, TST                          simulated, field-monitor and test
                                                       targets are dropped
I048/040   RHO LSB 1/256 NM, THETA LSB 360/2^16 deg    slant range, azimuth from the site
I048/090   flight level, LSB 1/4 FL; V, G bits         ``alt_baro_m`` if validated, not garbled
I048/110   3D height, LSB 25 ft (mean sea level)       the height, before the flight level
I048/070   Mode 3/A, octal; V, G bits                  ``squawk``
I048/220   aircraft address, 24 bits                   ``target_id`` ``icao:xxxxxx``
I048/240   identification, 8 ICAO 6-bit characters     ``callsign``
I048/200   GSP LSB 2^-14 NM/s, HDG LSB 360/2^16 deg    ``gs_mps``, ``track_deg``
=========  ==========================================  ========================================
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from skyfence.errors import TrafficFormatError

__all__ = ["CatRecords", "decode_cat048", "iter_blocks"]

NM = 1852.0
FT = 0.3048
_COLUMNS = ("offset", "sac", "sic", "tod_s", "rho_m", "theta_deg", "fl_m", "h3d_m", "address",
            "callsign", "squawk", "gs_mps", "track_deg")


def iter_blocks(raw: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(byte offset, category, records) of each data block; a truncated or garbled block
    raises ``TrafficFormatError`` naming its byte offset."""
    off, n = 0, len(raw)
    while off < n:
        if n - off < 3:
            raise TrafficFormatError(f"truncated data block header ({n - off} bytes left)",
                                     item=f"data block at byte {off}")
        length = int.from_bytes(raw[off + 1:off + 3], "big")
        if length < 3:
            raise TrafficFormatError(f"garbled data block: length {length} < 3",
                                     item=f"data block at byte {off}")
        if off + length > n:
            raise TrafficFormatError(
                f"truncated data block: {length} bytes declared, {n - off} left",
                item=f"data block at byte {off}")
        yield off, raw[off], raw[off + 3:off + length]
        off += length


@dataclass
class CatRecords:
    """Decoded CAT048 records as columns (SI units, ``None`` where an item is absent)."""

    cols: dict[str, list[Any]] = field(default_factory=lambda: {k: [] for k in _COLUMNS})
    dropped: int = 0  # test, simulated and field-monitor targets; records without I048/040

    def __len__(self) -> int:
        return len(self.cols["offset"])


def _q(item: Any, unit: str) -> float:
    return float(item.variation.content.as_quantity(unit))


def _valid(group: Any) -> bool:
    """The V (0: validated) and G (0: not garbled) bits of I048/070 and I048/090."""
    return bool(group.get_item("V").as_uint() == 0 and group.get_item("G").as_uint() == 0)


def _excluded(rec: Any) -> bool:
    desc = rec.get_item("020")
    if desc is None:
        return False
    v = desc.variation
    return any(v.get_item(k) is not None and v.get_item(k).as_uint() == 1
               for k in ("SIM", "RAB", "TST"))


def decode_cat048(records: bytes, offset: int, out: CatRecords) -> None:
    """Append the plots of one CAT048 block's records (the block at byte ``offset``)."""
    from asterix.base import Bits
    from asterix.generated import Cat_048_1_32

    where = f"data block at byte {offset}"
    parsed = Cat_048_1_32.cv_uap.parse(Bits.from_bytes(records))
    if isinstance(parsed, ValueError):
        raise TrafficFormatError(f"CAT048 records do not parse: {parsed}", item=where)
    c = out.cols
    for rec in parsed:
        i010, i140, i040 = rec.get_item("010"), rec.get_item("140"), rec.get_item("040")
        if i010 is None or i140 is None:
            raise TrafficFormatError("CAT048 record without I048/010 or I048/140", item=where)
        if i040 is None or _excluded(rec):
            out.dropped += 1
            continue
        pos = i040.variation
        c["offset"].append(offset)
        c["sac"].append(i010.variation.get_item("SAC").as_uint())
        c["sic"].append(i010.variation.get_item("SIC").as_uint())
        c["tod_s"].append(_q(i140, "s"))
        c["rho_m"].append(_q(pos.get_item("RHO"), "NM") * NM)
        c["theta_deg"].append(_q(pos.get_item("THETA"), "°"))
        i090, i110 = rec.get_item("090"), rec.get_item("110")
        c["fl_m"].append(_q(i090.variation.get_item("FL"), "FL") * 100 * FT
                         if i090 is not None and _valid(i090.variation) else None)
        c["h3d_m"].append(_q(i110.variation.get_item("3DH"), "ft") * FT
                          if i110 is not None else None)
        i070, i220, i240 = rec.get_item("070"), rec.get_item("220"), rec.get_item("240")
        c["squawk"].append(i070.variation.get_item("MODE3A").variation.content.as_string()
                           if i070 is not None and _valid(i070.variation) else None)
        c["address"].append(f"icao:{i220.as_uint():06x}" if i220 is not None else None)
        ident = i240.variation.content.as_string().strip() if i240 is not None else ""
        c["callsign"].append(ident or None)
        i200 = rec.get_item("200")
        c["gs_mps"].append(_q(i200.variation.get_item("GSP"), "NM/s") * NM
                           if i200 is not None else None)
        c["track_deg"].append(_q(i200.variation.get_item("HDG"), "°")
                              if i200 is not None else None)
