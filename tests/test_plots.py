"""Sensor plots: polar to WGS84, plot files (JSONL with sites, CSV with a sidecar), and a
drone incursion found from anonymous plots through ``skyfence audit``."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod
from rich.console import Console

from skyfence.cli import main
from skyfence.errors import TrafficFormatError
from skyfence.plots import read_plots
from skyfence.plots.geo import aer_to_enu, enu_to_geodetic, geodetic_to_enu
from skyfence.readers import read_traffic
from skyfence.readers.registry import detect_format

SITE = {"type": "site", "sensor": "radar1", "lat": 50.0, "lon": 19.9, "alt_m": 250.0,
        "sigma_range_m": 10.0, "sigma_az_deg": 0.2, "sigma_el_deg": 0.3}
T0 = 1_780_000_000.0

# a 300 m circle 1.5 km north of the radar, SFC to 2000 ft AMSL
PRISON_ZONE = Path(__file__).parent / "data" / "plots" / "prison.zones.geojson"


def test_enu_round_trip_and_aer() -> None:
    origin = (50.0, 19.9, 250.0)
    enu = np.array([[1000.0, -2000.0, 50.0], [0.0, 0.0, 0.0], [-30000.0, 40000.0, 3000.0]])
    lat, lon, alt = enu_to_geodetic(enu, origin)
    assert np.allclose(geodetic_to_enu(lat, lon, alt, origin), enu, atol=1e-6)
    e = aer_to_enu(np.array([1000.0]), np.array([90.0]), np.array([0.0]))
    assert np.allclose(e, [[1000.0, 0.0, 0.0]], atol=1e-9)
    lat, lon, alt = enu_to_geodetic(aer_to_enu(np.array([5000.0]), np.array([45.0]),
                                               np.array([0.0])), origin)
    az, _, dist = Geod(ellps="WGS84").inv(origin[1], origin[0], lon[0], lat[0])
    assert dist == pytest.approx(5000.0, abs=3) and az == pytest.approx(45.0, abs=0.01)
    assert alt[0] == pytest.approx(250.0 + 5000.0**2 / (2 * 6.37e6), abs=0.5)  # the earth drops


def drone_plots(n: int = 40) -> list[dict[str, object]]:
    """A drone flying east at 10 m/s, 1.5-2 km north of the radar, 100 m above it."""
    out: list[dict[str, object]] = [SITE]
    for i in range(n):
        e, north = -200.0 + 10.0 * i, 1500.0
        out.append({"time": T0 + i, "sensor": "radar1",
                    "range_m": math.hypot(e, north, 100.0),
                    "azimuth_deg": math.degrees(math.atan2(e, north)) % 360,
                    "elevation_deg": math.degrees(math.atan2(100.0, math.hypot(e, north))),
                    "radial_speed_mps": 0.0, "class_hint": "drone"})
    return out


def test_jsonl_plots_with_site_records(tmp_path: Path) -> None:
    p = tmp_path / "sky.plots.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in drone_plots()) + "\n")
    plots = read_plots(p)
    assert plots.num_rows == 40
    assert plots.column("sigma_h_m").to_numpy().max() == pytest.approx(10.0, abs=1)
    assert plots.column("class_hint").to_pylist()[0] == "drone"
    assert detect_format(p) == "plots"
    (rep,) = list(read_traffic(p))
    assert rep.num_rows >= 37 and set(rep.column("target_id").to_pylist()) == {"plot:1"}
    assert rep.column("gs_mps").to_numpy()[-1] == pytest.approx(10.0, abs=2.0)
    assert rep.column("target_class").to_pylist()[-1] == "drone"


def test_csv_plots_with_sidecar_sites(tmp_path: Path) -> None:
    p = tmp_path / "sky.plots.csv"
    (tmp_path / "sky.sites.toml").write_text(
        '[eo2]\nlat = 50.0\nlon = 19.9\nalt_m = 0\nsigma_h_m = 5\nsigma_v_m = 8\n')
    rows = ["time,sensor,lat,lon,alt_m"]
    rows += [f"{T0 + i},eo2,{50.0 + 1e-4 * i},19.9,{300 + i}" for i in range(10)]
    p.write_text("\n".join(rows) + "\n")
    plots = read_plots(p)
    assert plots.column("sigma_h_m").to_pylist() == [5.0] * 10
    (rep,) = list(read_traffic(p, fmt="plots"))
    assert rep.num_rows >= 7


def test_polar_plot_without_site_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "x.plots.jsonl"
    p.write_text(json.dumps(drone_plots(2)[1]) + "\n")
    with pytest.raises(TrafficFormatError, match="without a site"):
        read_plots(p)


def test_drone_incursion_from_plots_through_audit(tmp_path: Path) -> None:
    zones = PRISON_ZONE
    p = tmp_path / "sky.plots.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in drone_plots()) + "\n")
    out = tmp_path / "inc.csv"
    buf = io.StringIO()
    code = main(["audit", "--quiet", str(p), "--zones", str(zones), "--out", str(out)],
                console=Console(file=buf, width=160))
    assert code == 0, buf.getvalue()
    rows = out.read_text().splitlines()
    assert len(rows) == 2 and "plot:1" in rows[1] and "PRISON" in rows[1]


def test_committed_sample_and_plots_without_position(tmp_path: Path) -> None:
    sample = Path(__file__).parent / "data" / "plots" / "prison.plots.jsonl"
    (rep,) = list(read_traffic(sample))
    ids = rep.column("target_id").to_pylist()
    assert len(set(ids)) == 2  # the drone and the EO object; the clutter plot is dropped
    assert set(rep.column("source").to_pylist()) == {"radar1", "eo2"}
    p = tmp_path / "x.plots.jsonl"
    lines = [{"time": T0 + i, "sensor": "eo2", "lat": None if i == 3 else 50.0 + 1e-4 * i,
              "lon": 19.9, "alt_m": 300.0} for i in range(8)]
    p.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    (rep,) = list(read_traffic(p))
    assert rep.num_rows == 5 and rep.column("lat").null_count == 0
