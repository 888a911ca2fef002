"""ASTERIX CAT048 plots: records built with libasterix's own encoder, decoded values checked
against the spec's units by hand, a recording read back as plots and reports, located errors
for broken blocks, and a drone incursion found through ``skyfence audit``."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any

import asterix.generated as asterix
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from rich.console import Console

from skyfence.cli import main
from skyfence.errors import TrafficFormatError
from skyfence.plots.asterix import elevation_deg, read_asterix, utc_times
from skyfence.plots.cat048 import CatRecords, decode_cat048, iter_blocks
from skyfence.plots.geo import enu_to_geodetic, geodetic_to_enu
from skyfence.readers import read_traffic
from skyfence.readers.registry import detect_format

Cat048 = asterix.Cat_048_1_32

SITE = {"sac": 25, "sic": 10, "lat": 50.0, "lon": 19.9, "alt_m": 250.0,
        "sigma_range_m": 10.0, "sigma_az_deg": 0.05}
DATE = dt.date(2025, 6, 1)
TOD0 = 36_000.0  # 10:00:00 UTC
NM, FT = 1852.0, 0.3048

# a 300 m circle 1.5 km north of the radar, SFC to 2000 ft AMSL
PRISON_ZONE = Path(__file__).parent / "data" / "plots" / "prison.zones.geojson"


def record(tod: float, rho_m: float, theta_deg: float, **items: Any) -> Any:
    """A CAT048 record: I048/010, I048/140 and I048/040 plus ``items`` by item number."""
    fields = {
        "010": (("SAC", SITE["sac"]), ("SIC", SITE["sic"])),
        "140": (tod, "s"),
        "040": (("RHO", (rho_m / NM, "NM")), ("THETA", (theta_deg % 360.0, "°"))),
        **items,
    }
    return Cat048.cv_record.create(fields)


def block(records: list[Any]) -> bytes:
    data: bytes = Cat048.create(records).unparse().to_bytes()
    return data


def polar(enu: np.ndarray) -> tuple[float, float]:
    """Slant range and azimuth of an ENU point from the site."""
    return float(np.linalg.norm(enu)), math.degrees(math.atan2(enu[0], enu[1])) % 360.0


def write(tmp_path: Path, name: str, blocks: list[bytes], date: str | None = "2025-06-01"
          ) -> Path:
    p = tmp_path / name
    p.write_bytes(b"".join(blocks))
    sites: dict[str, Any] = {"radar1": SITE}
    if date is not None:
        sites["date"] = date
    (tmp_path / (name.split(".")[0] + ".sites.json")).write_text(json.dumps(sites))
    return p


def test_hand_assembled_record_matches_the_encoder_and_the_spec_units() -> None:
    # FSPEC 1101 0000: FRN 1 (I048/010), 2 (I048/140), 4 (I048/040), no extension
    # I048/010 SAC 25 SIC 10; I048/140 36000.5 s * 128 = 4_608_064 (3 bytes);
    # I048/040 RHO 10 NM * 256 = 2560, THETA 90 deg * 65536 / 360 = 16384
    body = bytes([0xD0, 25, 10]) + (4_608_064).to_bytes(3, "big") + bytes.fromhex("0a00 4000")
    hand = bytes([48]) + (3 + len(body)).to_bytes(2, "big") + body
    assert block([record(36_000.5, 10 * NM, 90.0)]) == hand
    out = CatRecords()
    ((offset, cat, records),) = list(iter_blocks(hand))
    assert (offset, cat) == (0, 48)
    decode_cat048(records, offset, out)
    c = out.cols
    assert (c["sac"], c["sic"], c["tod_s"]) == ([25], [10], [36_000.5])
    assert c["rho_m"] == [pytest.approx(2560 / 256 * 1852.0)]
    assert c["theta_deg"] == [pytest.approx(16384 * 360 / 65536)]
    assert c["address"] == [None] and c["fl_m"] == [None]


def test_optional_items_decode_to_si_units() -> None:
    rec = record(
        TOD0, 20_000.0, 45.0,
        **{"090": (("V", 0), ("G", 0), ("FL", (35.0, "FL"))),  # 140 quarter-FL units
           "110": (0, ("3DH", (3500.0, "ft"))),  # 140 units of 25 ft
           "220": 0x3C6444, "240": "DLH123  ",
           "070": (0, 0, 0, 0, ("MODE3A", "7000")),
           "200": (("GSP", 1638), ("HDG", 8192))})  # raw: 1638 * 2^-14 NM/s, 8192 * 360/2^16
    out = CatRecords()
    decode_cat048(block([rec])[3:], 0, out)
    c = {k: v[0] for k, v in out.cols.items()}
    assert c["fl_m"] == pytest.approx(140 / 4 * 100 * FT)  # 1066.8 m
    assert c["h3d_m"] == pytest.approx(140 * 25 * FT)
    assert (c["address"], c["callsign"], c["squawk"]) == ("icao:3c6444", "DLH123", "7000")
    assert c["gs_mps"] == pytest.approx(1638 / 16384 * 1852.0)  # 185.15 m/s
    assert c["track_deg"] == pytest.approx(45.0)
    garbled = record(TOD0, 20_000.0, 45.0, **{"090": (("V", 0), ("G", 1), ("FL", 140))})
    decode_cat048(block([garbled])[3:], 0, out)
    assert out.cols["fl_m"][-1] is None


def test_elevation_and_position_from_slant_range() -> None:
    origin = (SITE["lat"], SITE["lon"], SITE["alt_m"])
    truth = np.array([[14_000.0, 14_000.0, 0.0]])
    lat, lon, _ = enu_to_geodetic(truth, origin)
    enu = geodetic_to_enu(lat, lon, np.array([3000.0]), origin)[0]  # 3000 m above ellipsoid
    rho, _ = polar(enu)
    el = elevation_deg(np.array([rho]), np.array([3000.0]), np.array([250.0]))
    assert el[0] == pytest.approx(math.degrees(math.asin(enu[2] / rho)), abs=0.01)
    # the earth's curvature: a target at the site's height is seen below the horizon
    low = elevation_deg(np.array([50_000.0]), np.array([np.nan]), np.array([250.0]))
    assert low[0] == pytest.approx(-math.degrees(50_000.0 / (2 * 6_371_250.0)), rel=1e-3)


def test_midnight_wrap() -> None:
    t = utc_times(np.array([86_399.0, 86_399.9, 0.5, 86_399.95, 1.0]), DATE)
    got = [x.isoformat() for x in t.to_pylist()]
    assert got == ["2025-06-01T23:59:59+00:00", "2025-06-01T23:59:59.900000+00:00",
                   "2025-06-02T00:00:00.500000+00:00", "2025-06-01T23:59:59.950000+00:00",
                   "2025-06-02T00:00:01+00:00"]


def drone_blocks(n: int = 40, height: bool = True) -> list[bytes]:
    """A drone flying east at 10 m/s, 1.5 km north of the radar, 100 m above it, one plot a
    second, one block per scan, with a test target (TST) and a simulated one (SIM)."""
    test = {"020": ((1, 0, 0, 0, 0, None), (1, 0, 0, 0, 0, 0, None))}  # TYP 1, TST 1
    simulated = {"020": ((1, 1, 0, 0, 0, None),)}  # TYP 1, SIM 1
    out = []
    for i in range(n):
        rho, theta = polar(np.array([-200.0 + 10.0 * i, 1500.0, 100.0]))
        items: dict[str, Any] = {"110": (0, ("3DH", (350.0 / FT, "ft")))} if height else {}
        out.append(block([record(TOD0 + i, rho, theta, **items),
                          record(TOD0 + i, 5000.0, 10.0, **test),
                          record(TOD0 + i, 7000.0, 20.0, **simulated)]))
    return out


def airliner_blocks(n: int = 20) -> list[bytes]:
    """A Mode S aircraft (address, callsign, FL35) 20 km east flying north at 100 m/s, and a
    primary-only plot of it 30 m off in the same scans."""
    origin = (SITE["lat"], SITE["lon"], SITE["alt_m"])
    out = []
    for i in range(n):
        lat, lon, _ = enu_to_geodetic(np.array([[20_000.0, 100.0 * i, 0.0]]), origin)
        h = 35 * 100 * FT
        enu = geodetic_to_enu(lat, lon, np.array([h]), origin)[0]
        rho, theta = polar(enu)
        ssr = record(TOD0 + 4 * i, rho, theta, **{
            "090": (("V", 0), ("G", 0), ("FL", (35.0, "FL"))), "220": 0x3C6444,
            "240": "DLH123  ", "200": (("GSP", (100.0 / NM, "NM/s")), ("HDG", (0.0, "°")))})
        psr = record(TOD0 + 4 * i, rho + 30.0, theta)
        out.append(block([ssr, psr]))
    return out


def test_recording_round_trip(tmp_path: Path) -> None:
    p = write(tmp_path, "sky.ast", drone_blocks())
    plots, addressed = read_asterix(p)
    assert plots.num_rows == 40 and addressed.num_rows == 0  # TST and SIM dropped
    assert set(plots.column("sensor_id").to_pylist()) == {"radar1"}
    t = plots.column("time").to_pylist()
    assert t[0] == dt.datetime(2025, 6, 1, 10, tzinfo=dt.UTC)
    enu = geodetic_to_enu(plots.column("lat").to_numpy(), plots.column("lon").to_numpy(),
                          plots.column("alt_m").to_numpy(), (SITE["lat"], SITE["lon"], 250.0))
    truth = np.column_stack([-200.0 + 10.0 * np.arange(40), np.full(40, 1500.0),
                             np.full(40, 100.0)])
    assert np.abs(enu - truth).max() < 6.0  # 1/256 NM = 7.2 m range steps, 25 ft heights
    assert plots.column("sigma_h_m").to_numpy().max() == pytest.approx(10.0, abs=1)
    assert detect_format(p) == "asterix"
    raw = tmp_path / "sky2.bin"  # no telling extension: sniffed
    raw.write_bytes(p.read_bytes())
    assert detect_format(raw) == "asterix"
    (rep,) = list(read_traffic(p))
    assert set(rep.column("target_id").to_pylist()) == {"plot:1"} and rep.num_rows >= 37


def test_addressed_plots_and_plots_that_join_them(tmp_path: Path) -> None:
    p = write(tmp_path, "tma.ast", airliner_blocks())
    plots, addressed = read_asterix(p)
    assert plots.num_rows == 20 and addressed.num_rows == 20
    row = addressed.slice(5, 1).to_pylist()[0]
    assert (row["target_id"], row["id_kind"], row["callsign"]) == ("icao:3c6444", "icao",
                                                                   "DLH123")
    assert row["alt_baro_m"] == pytest.approx(1066.8)
    assert row["gs_mps"] == pytest.approx(100.0, abs=0.2) and row["track_deg"] == 0.0
    (rep,) = list(read_traffic(p, fmt="asterix"))
    assert rep.column("target_id").to_pylist() == ["icao:3c6444"] * 40
    assert (np.diff(rep.column("time").cast(pa.int64()).to_numpy()) >= 0).all()
    joined = rep.filter(pc.is_null(rep.column("alt_baro_m")))  # the primary plots
    assert joined.num_rows == 20 and joined.column("alt_geo_m").null_count == 20


def test_unlocated_inputs_are_errors(tmp_path: Path) -> None:
    p = write(tmp_path, "x.ast", drone_blocks(2), date=None)
    with pytest.raises(TrafficFormatError, match="date"):
        read_asterix(p)
    assert read_asterix(p, date=DATE)[0].num_rows == 2
    with pytest.raises(TrafficFormatError, match=r"SAC/SIC \['25/10'\]"):
        read_asterix(p, date=DATE, sites={})


def test_broken_blocks_are_located(tmp_path: Path) -> None:
    blocks = drone_blocks(3)
    first = len(blocks[0]) + len(blocks[1])
    p = write(tmp_path, "cut.ast", blocks)
    p.write_bytes(p.read_bytes()[:-5])  # a recording cut while writing
    with pytest.raises(TrafficFormatError) as err:
        list(read_traffic(p))
    assert str(err.value).startswith(f"{p}: data block at byte {first}: truncated")
    p.write_bytes(blocks[0] + b"\x30\x00\x02" + blocks[1])
    with pytest.raises(TrafficFormatError, match=rf"byte {len(blocks[0])}: garbled"):
        list(read_traffic(p))
    bad = bytearray(blocks[1])
    bad[3] = 0xFF  # an FSPEC naming every item: the records run out
    p.write_bytes(blocks[0] + bytes(bad))
    with pytest.raises(TrafficFormatError, match=rf"byte {len(blocks[0])}: CAT048 records"):
        list(read_traffic(p))


def test_other_categories_are_skipped(tmp_path: Path) -> None:
    cat034 = asterix.Cat_034_1_29
    north = cat034.create([cat034.cv_record.create({"000": 1, "010": (("SAC", 25),
                                                                     ("SIC", 10))})])
    blocks = drone_blocks(5)
    p = write(tmp_path, "mixed.ast", [north.unparse().to_bytes(), *blocks])
    assert read_asterix(p)[0].num_rows == 5


def test_plots_without_height_have_no_altitude(tmp_path: Path) -> None:
    p = write(tmp_path, "flat.ast", drone_blocks(5, height=False))
    plots, _ = read_asterix(p)
    assert plots.column("alt_m").null_count == 5
    enu = geodetic_to_enu(plots.column("lat").to_numpy(), plots.column("lon").to_numpy(),
                          np.full(5, 250.0), (SITE["lat"], SITE["lon"], 250.0))
    ground = np.hypot(enu[:, 0], enu[:, 1])
    slant = np.sqrt((-200.0 + 10.0 * np.arange(5)) ** 2 + 1500.0**2 + 100.0**2)
    assert np.abs(ground - slant).max() < 8.0  # on the horizon: ground range ~ slant range


def test_drone_incursion_from_asterix_through_audit(tmp_path: Path) -> None:
    zones = PRISON_ZONE
    p = write(tmp_path, "sky.rec", drone_blocks())  # an extension no format claims
    out = tmp_path / "inc.csv"
    buf = io.StringIO()
    code = main(["audit", "--quiet", str(p), "--format", "asterix", "--zones", str(zones),
                 "--out", str(out)], console=Console(file=buf, width=160))
    assert code == 0, buf.getvalue()
    rows = out.read_text().splitlines()
    assert len(rows) == 2 and "plot:1" in rows[1] and "PRISON" in rows[1]
