"""Remote ID broadcast decoding, on payloads built here to the published F3411 byte layouts,
and a drone incursion through ``skyfence audit``."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from rich.console import Console

from skyfence.cli import main
from skyfence.readers import read_traffic
from skyfence.readers.registry import detect_format
from skyfence.remoteid import decode_payloads, to_reports
from skyfence.schema import REPORTS

DATA = Path(__file__).parent / "data" / "remoteid"
SERIAL = "1581F5FJD22E1TEST01"


def alt(m: float) -> int:
    return round((m + 1000) * 2)


def basic_id(uas_id: str = SERIAL, id_type: int = 1, ua_type: int = 2, version: int = 2) -> bytes:
    return bytes([0x00 | version, id_type << 4 | ua_type]) + uas_id.encode().ljust(20, b"\0") \
        + bytes(3)


def location(lat: float, lon: float, *, baro: float = 120.0, geo: float = 165.0,
             height: float = 100.0, speed: float = 12.0, track: float = 270.0,
             vrate: float = -1.5, status: int = 2, height_type: int = 0,
             tenths: int = 12345) -> bytes:
    ew, direction = (1, round(track) - 180) if track >= 180 else (0, round(track))
    if speed <= 63.75:
        mult, sp = 0, round(speed / 0.25)
    else:
        mult, sp = 1, round((speed - 63.75) / 0.75)
    flags = status << 4 | height_type << 2 | ew << 1 | mult
    return struct.pack(
        "<BBBBbiiHHHBBHBB", 0x12, flags, direction, sp, round(vrate / 0.5),
        round(lat * 1e7), round(lon * 1e7), alt(baro), alt(geo), alt(height),
        0x4B, 0x23, tenths, 0x01, 0)


def system(op_lat: float, op_lon: float, op_alt: float = 60.0, ts: int = 200_000_000) -> bytes:
    return struct.pack("<BBiiHBHHBHIB", 0x42, 1 << 2 | 1, round(op_lat * 1e7),
                       round(op_lon * 1e7), 1, 5, alt(150), alt(0), 0x12, alt(op_alt), ts, 0)


def self_id(text: str = "survey flight") -> bytes:
    return bytes([0x32, 0]) + text.encode().ljust(23, b"\0")


def operator_id(op: str = "FIN87astrdge12k8") -> bytes:
    return bytes([0x52, 0]) + op.encode().ljust(20, b"\0") + bytes(3)


def auth_page0() -> bytes:
    return struct.pack("<BBBBI", 0x22, 1 << 4 | 0, 1, 30, 100) + bytes(range(17))


def pack(*msgs: bytes) -> bytes:
    return bytes([0xF2, 25, len(msgs)]) + b"".join(msgs)


def test_layouts_are_25_bytes() -> None:
    for m in (basic_id(), location(1, 2), system(1, 2), self_id(), operator_id(), auth_page0()):
        assert len(m) == 25


def test_each_message_type() -> None:
    t = decode_payloads([basic_id(), location(48.8566, 2.3522), auth_page0(), self_id(),
                         system(48.85, 2.35), operator_id()]).to_pylist()
    assert [r["msg_type"] for r in t] == [0, 1, 2, 3, 4, 5]
    assert all(r["error"] is None and r["proto_version"] == 2 for r in t)
    b, loc, au, sid, sy, op = t
    assert b["uas_id"] == SERIAL and b["id_type"] == 1
    assert b["ua_type"] == "helicopter_or_multirotor"
    assert loc["lat"] == pytest.approx(48.8566) and loc["lon"] == pytest.approx(2.3522)
    assert loc["alt_baro_m"] == 120.0 and loc["alt_geo_m"] == 165.0 and loc["height_m"] == 100
    assert loc["gs_mps"] == 12.0 and loc["track_deg"] == 270.0 and loc["vrate_mps"] == -1.5
    assert loc["status"] == "airborne" and loc["height_ref"] == "takeoff"
    assert loc["h_accuracy"] == 0xB and loc["v_accuracy"] == 4
    assert loc["seconds_in_hour"] == pytest.approx(1234.5)
    assert au["auth_type"] == 1 and au["auth_page"] == 0 and au["auth_length"] == 30
    assert au["auth_data"] == bytes(range(17)).hex()
    assert au["unix_s"] == 1_546_300_800 + 100
    assert sid["description"] == "survey flight" and sid["description_type"] == 0
    assert sy["operator_lat"] == pytest.approx(48.85) and sy["operator_alt_geo_m"] == 60.0
    assert sy["operator_location_type"] == "live_gnss" and sy["classification_type"] == 1
    assert sy["area_radius_m"] == 50 and sy["area_ceiling_m"] == 150
    assert sy["ua_category"] == 1 and sy["ua_class"] == 2
    assert sy["unix_s"] == 1_546_300_800 + 200_000_000
    assert op["operator_id"] == "FIN87astrdge12k8"


def test_speed_multiplier_direction_and_unknowns() -> None:
    fast = decode_payloads([location(0.5, 0.5, speed=100.5, track=10)]).to_pylist()[0]
    assert fast["gs_mps"] == pytest.approx(100.5, abs=0.4) and fast["track_deg"] == 10
    raw = bytearray(location(0.0, 0.0))
    raw[1] |= 0b11  # E/W bit and multiplier 1
    raw[2], raw[3], raw[4] = 181, 255, 126  # direction 361, speed 255, vertical 63: unknown
    raw[13:19] = bytes(6)  # altitudes and height unknown
    raw[21:23] = b"\xff\xff"
    r = decode_payloads([bytes(raw)]).to_pylist()[0]
    for k in ("track_deg", "gs_mps", "vrate_mps", "lat", "lon", "alt_baro_m", "alt_geo_m",
              "height_m", "seconds_in_hour"):
        assert r[k] is None, k


def test_message_pack_and_bad_frames_stay_aligned() -> None:
    frames = [pack(basic_id(), location(48.0, 2.0), system(48.1, 2.1)), b"\x12\x00",
              bytes([0xF2, 25, 3]) + basic_id(), bytes([0x72]) + bytes(24),
              bytes([0x13]) + bytes(24)]
    t = decode_payloads(frames)
    assert t.column("frame").to_pylist() == [0, 0, 0, 1, 2, 3, 4]
    errors = t.column("error").to_pylist()
    assert errors[:3] == [None, None, None]
    assert "expected 25" in errors[3] and "truncated" in errors[4]
    assert "unknown message type" in errors[5] and "protocol version 3" in errors[6]


def test_to_reports_joins_identity_and_operator_by_mac() -> None:
    frames = [location(48.0, 2.0), basic_id("SESSION1", id_type=4), basic_id(),
              system(47.99, 1.99), location(48.001, 2.0), location(10.0, 10.0)]
    macs = ["aa", "aa", "aa", "aa", "aa", "bb"]
    times = pa.array(np.arange(6) * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    rep = to_reports(decode_payloads(frames), times, macs, source="t").to_pylist()
    assert [r["target_id"] for r in rep] == [f"rid:{SERIAL}"] * 2 + ["rid:bb"]
    assert rep[0]["operator_lat"] == pytest.approx(47.99)  # sent later: first after
    assert rep[1]["operator_lon"] == pytest.approx(1.99)
    assert rep[0]["ua_type"] == "helicopter_or_multirotor" and rep[2]["ua_type"] is None
    assert all(r["target_class"] == "drone" and r["id_kind"] == "rid" for r in rep)
    assert rep[0]["alt_baro_m"] == 120 and rep[0]["height_ref"] == "takeoff"


def write_log(path: Path, track: list[tuple[float, float]]) -> None:
    t0 = 1_780_000_000.0  # 2026-05-28
    lines = [{"time": t0 - 1, "receiver": "rx1", "mac": "60:60:1F:00:00:01",
              "payload": pack(basic_id(), system(50.05, 19.90)).hex()}]
    for i, (lat, lon) in enumerate(track):
        lines.append({"time": t0 + i, "receiver": "rx1", "mac": "60:60:1F:00:00:01",
                      "payload": location(lat, lon, baro=80, geo=120, height=60).hex()})
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")


def test_reader_and_detection(tmp_path: Path) -> None:
    p = tmp_path / "drones.rid.jsonl"
    write_log(p, [(50.0, 19.9 + 0.001 * i) for i in range(5)])
    assert detect_format(p) == "remoteid"
    (t,) = list(read_traffic(p))
    assert t.schema.equals(REPORTS) and t.num_rows == 5
    assert set(t.column("target_id").to_pylist()) == {f"rid:{SERIAL}"}


def test_committed_sample_decodes() -> None:
    (t,) = list(read_traffic(DATA / "stadium.rid.jsonl"))
    assert t.num_rows > 10 and t.column("error").null_count == t.num_rows


def test_drone_incursion_through_audit(tmp_path: Path) -> None:
    zones = tmp_path / "z.geojson"
    zones.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "STADIUM", "floor": "SFC",
                                          "ceiling": "500 ft AGL"},
        "geometry": {"type": "Polygon", "coordinates": [
            [[19.905, 49.995], [19.915, 49.995], [19.915, 50.005], [19.905, 50.005],
             [19.905, 49.995]]]}}]}))
    log = tmp_path / "drones.rid.jsonl"
    write_log(log, [(50.0, 19.9 + 0.001 * i) for i in range(20)])
    out = tmp_path / "inc.csv"
    buf = io.StringIO()
    code = main(["audit", "--quiet", str(log), "--zones", str(zones), "--out", str(out)],
                console=Console(file=buf, width=160))
    assert code == 0, buf.getvalue()
    rows = out.read_text().splitlines()
    assert len(rows) == 2 and f"rid:{SERIAL}" in rows[1] and "STADIUM" in rows[1]


# A public test vector: the decoder self-test of the OpenDroneID Python project, a Bluetooth
# service-data advertisement (AD length, type 0x16, UUID 0xFFFA, app code 0x0D, counter) whose
# payload is a Message Pack of seven messages; expected values as that project states them.
BLE_VECTOR = (
    "b316faff0dd3f01907001231383635364132343330330000000000000000000000000022444a49000000"
    "000000000000000000000000000000000012205e0100ecc10f147ce4fece00006808be074c445e150200"
    "20300011e1eb2c0a0000000000000000000000000000000000320044726f6e6573204944207465737420"
    "666c6967687400004204ad9810144825fece010000d007d007127a08e1eb2c0a00520000000000000000"
    "00000000000000000000000000000000"
)


def test_public_ble_vector() -> None:
    frame = bytes.fromhex(BLE_VECTOR)[6:]  # strip the Bluetooth service-data header
    t = decode_payloads([frame]).to_pylist()
    assert [r["msg_type"] for r in t] == [0, 0, 1, 2, 3, 4, 5]
    assert all(r["error"] is None for r in t)
    assert (t[0]["uas_id"], t[0]["id_type"]) == ("18656A24303", 1)
    assert (t[1]["uas_id"], t[1]["id_type"]) == ("DJI", 2)
    loc = t[2]
    assert loc["lat"] == pytest.approx(33.6577004) and loc["lon"] == pytest.approx(-82.2156164)
    assert loc["track_deg"] == 94 and loc["gs_mps"] == 0.25 and loc["vrate_mps"] == 0
    assert loc["alt_baro_m"] is None and loc["alt_geo_m"] == 76.0 and loc["height_m"] == -9.0
    assert loc["seconds_in_hour"] == 547.0 and loc["status"] == "airborne"
    assert t[3]["auth_type"] == 3 and t[3]["unix_s"] == 1_546_300_800 + 170_716_129
    assert t[4]["description"] == "Drones ID test flight"
    sy = t[5]
    assert sy["operator_lat"] == pytest.approx(33.6631981)
    assert sy["operator_lon"] == pytest.approx(-82.2205112)
    assert sy["operator_alt_geo_m"] == 85.0 and sy["area_ceiling_m"] == 0.0
    assert sy["operator_location_type"] == "takeoff" and sy["ua_class"] == 2
    assert t[6]["operator_id"] is None
    rep = to_reports(decode_payloads([frame]), pa.array([0], pa.timestamp("us", tz="UTC")),
                     ["11:22:33:44:55:66"], source="v").to_pylist()
    assert rep[0]["target_id"] == "rid:18656A24303"  # the serial wins over the CAA id


HOUR_US = 1_780_000_000 // 3600 * 3600 * 1_000_000  # a full hour, 2026-05-28T20:00Z


@pytest.mark.parametrize(
    ("stamp_s", "rx_after_hour_s", "expected_after_hour_s"),
    [
        (12.3, 12.8, 12.3),  # the message's own time, 0.5 s before it was received
        (3599.9, 0.2, -0.1),  # stamped just before the hour, received just after it
        (0.1, 3599.9, 3600.1),  # a transmitter clock a little ahead across the hour
        (3600.0, 0.4, 0.0),  # 36000 tenths: the next hour's start
        (np.nan, 12.8, 12.8),  # 0xFFFF: unknown, the receive time stays
        (1234.5, 12.8, 12.8),  # 20 minutes off: a wrong clock, the receive time stays
        (17.8, 12.8, 17.8),  # 5 s off: within the tolerance
        (17.9, 12.8, 12.8),  # just beyond it
    ],
)
def test_report_time_from_the_location_timestamp(
    stamp_s: float, rx_after_hour_s: float, expected_after_hour_s: float
) -> None:
    from skyfence.remoteid.location import report_times

    rx = np.array([HOUR_US + round(rx_after_hour_s * 1e6)], np.int64)
    got = report_times(rx, np.array([stamp_s]))
    assert got[0] == HOUR_US + round(expected_after_hour_s * 1e6)


def test_reports_carry_the_timestamp_and_its_accuracy() -> None:
    stamped, unknown = location(48.0, 2.0, tenths=35_999), location(48.0, 2.0, tenths=0xFFFF)
    t = decode_payloads([stamped, unknown]).to_pylist()
    assert t[0]["seconds_in_hour"] == 3599.9 and t[1]["seconds_in_hour"] is None
    assert t[0]["time_accuracy_s"] == pytest.approx(0.1)  # byte 23 = 1: 0.1 s
    rx = pa.array([HOUR_US + 200_000, HOUR_US + 1_200_000], pa.int64()).cast(
        pa.timestamp("us", tz="UTC"))
    rep = to_reports(decode_payloads([stamped, unknown]), rx, ["aa", "bb"], source="t")
    got = sorted(rep.column("time").cast(pa.int64()).to_pylist())
    assert got == [HOUR_US - 100_000, HOUR_US + 1_200_000]
