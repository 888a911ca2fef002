"""Plot records (polar or geodetic) to the ``Plots`` table, with sensor sites.

A sensor site: ``{"sensor": "radar1", "lat": 48.7, "lon": 2.3, "alt_m": 120,
"sigma_range_m": 15, "sigma_az_deg": 0.3, "sigma_el_deg": 0.5}`` (``alt_m`` above the WGS84
ellipsoid; noise optional). A plot gives either ``lat``/``lon``/``alt_m`` or ``range_m``/
``azimuth_deg``/``elevation_deg`` from its sensor's site; ``sigma_h_m``/``sigma_v_m`` on the
plot override the noise derived from the site's polar noise:
``sigma_h = max(sigma_range, ground_range * sigma_az)`` (the larger axis of the polar error
ellipse: conservative, the filter takes noise as isotropic horizontally) and
``sigma_v = hypot(sigma_range * sin(el), range * sigma_el)``.
Without any noise, ``DEFAULT_SIGMA_H_M`` = 30 m and ``DEFAULT_SIGMA_V_M`` = 50 m
(a typical counter-drone radar at a few kilometres).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from skyfence.errors import TrafficFormatError
from skyfence.plots.geo import aer_to_enu, enu_to_geodetic
from skyfence.plots.schema import PLOTS

__all__ = ["DEFAULT_SIGMA_H_M", "DEFAULT_SIGMA_V_M", "Site", "plots_table"]

DEFAULT_SIGMA_H_M = 30.0
DEFAULT_SIGMA_V_M = 50.0
Site = Mapping[str, Any]
F64 = npt.NDArray[np.float64]


def _col(cols: Mapping[str, Sequence[Any]], name: str, n: int) -> F64:
    if name not in cols:
        return np.full(n, np.nan)
    return np.array([np.nan if v is None or v == "" else float(v) for v in cols[name]])


def _site_value(sites: Mapping[str, Site], sensors: Sequence[str], key: str) -> F64:
    return np.array([float(sites.get(s, {}).get(key, np.nan)) for s in sensors])


def plots_table(
    cols: Mapping[str, Sequence[Any]], times: pa.Array, sites: Mapping[str, Site]
) -> pa.Table:
    """The ``Plots`` table of plot records given as columns (input names above)."""
    n = len(times)
    if "sensor" not in cols:
        raise TrafficFormatError("plots need a sensor id", field="sensor")
    sensors = [str(s) for s in cols["sensor"]]
    lat, lon, alt = _col(cols, "lat", n), _col(cols, "lon", n), _col(cols, "alt_m", n)
    rng, az, el = (_col(cols, k, n) for k in ("range_m", "azimuth_deg", "elevation_deg"))
    el = np.nan_to_num(el)
    polar = np.isnan(lat) & np.isfinite(rng) & np.isfinite(az)
    sig_h, sig_v = _col(cols, "sigma_h_m", n), _col(cols, "sigma_v_m", n)
    if polar.any():
        missing = sorted({s for s, p in zip(sensors, polar, strict=True) if p and s not in sites})
        if missing:
            raise TrafficFormatError(f"polar plots from sensors without a site: {missing}",
                                     field="sensor")
        for s in {s for s, p in zip(sensors, polar, strict=True) if p}:
            sel = polar & (np.array(sensors) == s)
            site = sites[s]
            origin = (float(site["lat"]), float(site["lon"]), float(site.get("alt_m", 0.0)))
            enu = aer_to_enu(rng[sel], az[sel], el[sel])
            lat[sel], lon[sel], alt[sel] = enu_to_geodetic(enu, origin)
        s_r = _site_value(sites, sensors, "sigma_range_m")
        s_az = np.radians(_site_value(sites, sensors, "sigma_az_deg"))
        s_el = np.radians(_site_value(sites, sensors, "sigma_el_deg"))
        ground = rng * np.cos(np.radians(el))
        derived_h = np.fmax(s_r, ground * s_az)
        derived_v = np.hypot(np.nan_to_num(s_r) * np.sin(np.radians(el)), rng * s_el)
        sig_h = np.where(np.isnan(sig_h) & polar, derived_h, sig_h)
        sig_v = np.where(np.isnan(sig_v) & polar, derived_v, sig_v)
    for key, sig in (("sigma_h_m", sig_h), ("sigma_v_m", sig_v)):
        site_sig = _site_value(sites, sensors, key)
        sig[:] = np.where(np.isnan(sig), site_sig, sig)
    sig_h = np.where(np.isnan(sig_h), DEFAULT_SIGMA_H_M, sig_h)
    sig_v = np.where(np.isnan(sig_v), DEFAULT_SIGMA_V_M, sig_v)
    hint = cols.get("class_hint")
    return pa.table({
        "time": times,
        "sensor_id": pa.array(sensors, pa.string()),
        "lat": pa.array(lat, from_pandas=True),
        "lon": pa.array(lon, from_pandas=True),
        "alt_m": pa.array(alt, from_pandas=True),
        "sigma_h_m": sig_h, "sigma_v_m": sig_v,
        "radial_speed_mps": pa.array(_col(cols, "radial_speed_mps", n), from_pandas=True),
        "class_hint": pa.array([None if v in (None, "") else str(v) for v in hint]
                               if hint is not None else [None] * n, pa.string()),
    }, schema=PLOTS)
