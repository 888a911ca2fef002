"""Local tangent planes: geodetic (WGS84 lat, lon, ellipsoidal height) <-> ENU <-> AER.

Geodetic <-> ECEF goes through pyproj (EPSG:4979 <-> EPSG:4978); ECEF <-> ENU is the usual
rotation about the plane's origin, so the plane is exact 3D geometry, not a flat-earth
approximation: far from the origin the curvature shows up in ``u``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
from pyproj import Transformer

__all__ = ["aer_to_enu", "enu_to_geodetic", "geodetic_to_enu"]

F64 = npt.NDArray[np.float64]


@lru_cache(maxsize=2)
def _transformer(to_ecef: bool) -> Transformer:
    src, dst = ("EPSG:4979", "EPSG:4978") if to_ecef else ("EPSG:4978", "EPSG:4979")
    return Transformer.from_crs(src, dst, always_xy=True)


def _rotation(lat0: float, lon0: float) -> F64:
    """Rows: east, north, up unit vectors in ECEF at (lat0, lon0)."""
    la, lo = np.radians(lat0), np.radians(lon0)
    return np.array([
        [-np.sin(lo), np.cos(lo), 0.0],
        [-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)],
        [np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)],
    ])


def geodetic_to_enu(
    lat: F64, lon: F64, alt: F64, origin: tuple[float, float, float]
) -> F64:
    """(n, 3) east/north/up metres of points relative to ``origin`` (lat, lon, alt)."""
    t = _transformer(True)
    x, y, z = t.transform(np.asarray(lon, float), np.asarray(lat, float), np.asarray(alt, float))
    x0, y0, z0 = t.transform(origin[1], origin[0], origin[2])
    d = np.stack([np.asarray(x) - x0, np.asarray(y) - y0, np.asarray(z) - z0], axis=-1)
    return np.asarray(d @ _rotation(origin[0], origin[1]).T, dtype=np.float64)


def enu_to_geodetic(enu: F64, origin: tuple[float, float, float]) -> tuple[F64, F64, F64]:
    """(lat, lon, alt) of (n, 3) east/north/up points relative to ``origin``."""
    x0, y0, z0 = _transformer(True).transform(origin[1], origin[0], origin[2])
    ecef = np.asarray(enu) @ _rotation(origin[0], origin[1])
    lon, lat, alt = _transformer(False).transform(
        ecef[:, 0] + x0, ecef[:, 1] + y0, ecef[:, 2] + z0
    )
    return np.asarray(lat), np.asarray(lon), np.asarray(alt)


def aer_to_enu(range_m: F64, azimuth_deg: F64, elevation_deg: F64) -> F64:
    """(n, 3) east/north/up of slant range, azimuth (clockwise from true north) and
    elevation above the sensor's local horizontal."""
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    h = range_m * np.cos(el)
    return np.stack([h * np.sin(az), h * np.cos(az), range_m * np.sin(el)], axis=-1)
