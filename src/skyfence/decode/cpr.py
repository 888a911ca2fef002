"""Compact Position Reporting (CPR) decoding (DO-260B 2.2.3.2.3.7 and A.1.7; ICAO Annex 10).

A position is sent as 17-bit fractions ``YZ``, ``XZ`` of a latitude/longitude zone, in
alternating even (``i = 0``) and odd (``i = 1``) frames whose zones differ in size:

- latitude zone ``Dlat_i = 360 / (4 NZ - i)`` degrees (airborne; surface: 90 instead of 360),
  ``NZ = 15``;
- longitude zone ``Dlon_i = 360 / max(NL(lat) - i, 1)``, where ``NL(lat)``, from 59 at the
  equator down to 1 above 87 degrees, is the number of even longitude zones at that latitude:
  ``NL = floor(2 pi / acos(1 - (1 - cos(pi / (2 NZ))) / cos^2(pi lat / 180)))``.

Global decoding takes one even and one odd airborne frame received within 10 s: the latitude
zone index ``j = floor(59 YZ_0 - 60 YZ_1 + 1/2)`` resolves the ambiguity, and both latitudes
must fall in the same NL band, else the pair straddles a band edge and is not used. Local
decoding takes one frame and a reference within half a zone (180 NM airborne, 45 NM surface):
``j = floor(ref / Dlat) + floor(1/2 + (ref mod Dlat) / Dlat - YZ)``, and the same for the
longitude. Surface frames are always decoded locally, against the aircraft's last position
or the receiver reference.

The decoder is a pure function of its ``CprState``: the last even and odd airborne frames and
the last position of each aircraft, carried from one batch to the next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

__all__ = ["PAIR_MAX_S", "CprState", "airborne_global", "local", "nl", "resolve"]

F64 = npt.NDArray[np.float64]
NZ = 15
CPR_SCALE = 131072.0  # 2**17
PAIR_MAX_S = 10.0
"""An even and an odd frame further apart than this (10 s) may belong to different zones
(an aircraft at Mach 0.9 flies 1.5 NM in 10 s), so they are not paired."""
LOCAL_MAX_S = 10.0
"""A position older than this is not used as the reference of an airborne local decoding."""
SURFACE_REF_MAX_S = 600.0
"""A surface frame is decoded against the aircraft's own last position if it is younger than
this (10 min taxiing stays well inside 45 NM), else against the receiver reference."""
STATE_MAX_AGE_S = 600.0
"""Aircraft silent for 10 min are dropped from the state so it does not grow forever."""


@numba.njit(cache=True, nogil=True)
def nl(lat: float) -> int:  # pragma: no cover - compiled
    """Number of even longitude zones at a latitude (1..59)."""
    a = abs(lat)
    if a < 1e-9:
        return 59
    if a > 87.0:
        return 1
    if a == 87.0:
        return 2
    c = math.cos(math.pi / 180.0 * a)
    x = 1.0 - (1.0 - math.cos(math.pi / (2.0 * NZ))) / (c * c)
    return math.floor(2.0 * math.pi / math.acos(x))


@numba.njit(cache=True, nogil=True)
def _mod(a: float, b: float) -> float:  # pragma: no cover - compiled
    return a - b * math.floor(a / b)


@numba.njit(cache=True, nogil=True)
def airborne_global(
    lat_e: int, lon_e: int, lat_o: int, lon_o: int, latest_odd: bool
) -> tuple[float, float]:  # pragma: no cover - compiled
    """Position from an even/odd airborne pair, for the most recent frame; NaN if the two
    frames lie in different NL bands."""
    ye, xe = lat_e / CPR_SCALE, lon_e / CPR_SCALE
    yo, xo = lat_o / CPR_SCALE, lon_o / CPR_SCALE
    j = math.floor(59.0 * ye - 60.0 * yo + 0.5)
    rlat_e = 360.0 / 60.0 * (_mod(j, 60.0) + ye)
    rlat_o = 360.0 / 59.0 * (_mod(j, 59.0) + yo)
    if rlat_e >= 270.0:
        rlat_e -= 360.0
    if rlat_o >= 270.0:
        rlat_o -= 360.0
    nl_e = nl(rlat_e)
    if nl_e != nl(rlat_o):
        return math.nan, math.nan
    lat = rlat_o if latest_odd else rlat_e
    i = 1 if latest_odd else 0
    ni = max(nl_e - i, 1)
    m = math.floor(xe * (nl_e - 1) - xo * nl_e + 0.5)
    x = xo if latest_odd else xe
    lon = 360.0 / ni * (_mod(m, ni) + x)
    if lon >= 180.0:
        lon -= 360.0
    return lat, lon


@numba.njit(cache=True, nogil=True)
def local(
    cpr_lat: int, cpr_lon: int, odd: bool, ref_lat: float, ref_lon: float, surface: bool
) -> tuple[float, float]:  # pragma: no cover - compiled
    """Position from one frame and a reference within half a zone."""
    span = 90.0 if surface else 360.0
    i = 1 if odd else 0
    y, x = cpr_lat / CPR_SCALE, cpr_lon / CPR_SCALE
    dlat = span / (4 * NZ - i)
    j = math.floor(ref_lat / dlat) + math.floor(0.5 + _mod(ref_lat, dlat) / dlat - y)
    lat = dlat * (j + y)
    dlon = span / max(nl(lat) - i, 1)
    m = math.floor(ref_lon / dlon) + math.floor(0.5 + _mod(ref_lon, dlon) / dlon - x)
    lon = dlon * (m + x)
    if lon >= 180.0:
        lon -= 360.0
    return lat, lon


@dataclass(frozen=True)
class CprState:
    """Per-aircraft CPR memory, one row per ICAO address (sorted).

    ``even_*``/``odd_*``: last airborne frame of each parity and its time (NaN: none);
    ``pos_*``: last decoded position and its time; ``seen_t``: last position frame."""

    icao: npt.NDArray[np.uint32]
    even: npt.NDArray[np.int32]  # (n, 2) lat, lon
    odd: npt.NDArray[np.int32]
    times: F64  # (n, 4): even_t, odd_t, pos_t, seen_t
    pos: F64  # (n, 2)

    @classmethod
    def empty(cls) -> CprState:
        return cls._sized(np.zeros(0, dtype=np.uint32))

    @classmethod
    def _sized(cls, icao: npt.NDArray[np.uint32]) -> CprState:
        n = icao.size
        return cls(
            icao=icao,
            even=np.zeros((n, 2), dtype=np.int32),
            odd=np.zeros((n, 2), dtype=np.int32),
            times=np.full((n, 4), np.nan),
            pos=np.full((n, 2), np.nan),
        )

    def __len__(self) -> int:
        return int(self.icao.size)

    def _grown(self, icao: npt.NDArray[np.uint32]) -> CprState:
        merged = np.union1d(self.icao, icao).astype(np.uint32)
        new = CprState._sized(merged)
        where = np.searchsorted(merged, self.icao)
        for name in ("even", "odd", "times", "pos"):
            getattr(new, name)[where] = getattr(self, name)
        return new

    def _pruned(self, now: float) -> CprState:
        keep = ~(now - self.times[:, 3] > STATE_MAX_AGE_S)
        if keep.all():
            return self
        return CprState(self.icao[keep], self.even[keep], self.odd[keep], self.times[keep],
                        self.pos[keep])


@numba.njit(cache=True, nogil=True)
def _run(
    slot: npt.NDArray[np.intp], t: F64, surface: npt.NDArray[np.bool_],
    odd: npt.NDArray[np.bool_], ylat: npt.NDArray[np.int32], xlon: npt.NDArray[np.int32],
    even_s: npt.NDArray[np.int32], odd_s: npt.NDArray[np.int32], times: F64, pos: F64,
    ref_lat: float, ref_lon: float, out_lat: F64, out_lon: F64,
) -> None:  # pragma: no cover - compiled
    for r in range(slot.size):
        s, tr = slot[r], t[r]
        lat, lon = math.nan, math.nan
        times[s, 3] = tr
        if surface[r]:
            if abs(tr - times[s, 2]) <= SURFACE_REF_MAX_S:
                lat, lon = local(ylat[r], xlon[r], odd[r], pos[s, 0], pos[s, 1], True)
            elif not math.isnan(ref_lat):
                lat, lon = local(ylat[r], xlon[r], odd[r], ref_lat, ref_lon, True)
        else:
            if abs(tr - times[s, 2]) <= LOCAL_MAX_S:
                lat, lon = local(ylat[r], xlon[r], odd[r], pos[s, 0], pos[s, 1], False)
            elif odd[r] and abs(tr - times[s, 0]) <= PAIR_MAX_S:
                lat, lon = airborne_global(even_s[s, 0], even_s[s, 1], ylat[r], xlon[r], True)
            elif not odd[r] and abs(tr - times[s, 1]) <= PAIR_MAX_S:
                lat, lon = airborne_global(ylat[r], xlon[r], odd_s[s, 0], odd_s[s, 1], False)
            k = 1 if odd[r] else 0
            if odd[r]:
                odd_s[s, 0], odd_s[s, 1] = ylat[r], xlon[r]
            else:
                even_s[s, 0], even_s[s, 1] = ylat[r], xlon[r]
            times[s, k] = tr
        if not math.isnan(lat):
            pos[s, 0], pos[s, 1], times[s, 2] = lat, lon, tr
            out_lat[r], out_lon[r] = lat, lon


def resolve(
    icao: npt.NDArray[np.uint32], t: F64, surface: npt.NDArray[np.bool_],
    odd: npt.NDArray[np.bool_], ylat: npt.NDArray[np.int32], xlon: npt.NDArray[np.int32],
    state: CprState, reference: tuple[float, float] | None,
) -> tuple[F64, F64, CprState]:
    """Positions of a sequence of CPR frames (in reception order) and the state after them."""
    lat = np.full(icao.size, np.nan)
    lon = np.full(icao.size, np.nan)
    if icao.size == 0:
        return lat, lon, state
    st = state._grown(np.unique(icao))
    slot = np.searchsorted(st.icao, icao).astype(np.intp)
    ref = reference if reference is not None else (math.nan, math.nan)
    _run(slot, t.astype(np.float64), surface, odd, ylat, xlon, st.even, st.odd, st.times,
         st.pos, float(ref[0]), float(ref[1]), lat, lon)
    finite = t[np.isfinite(t)]
    return lat, lon, (st._pruned(float(finite.max())) if finite.size else st)
