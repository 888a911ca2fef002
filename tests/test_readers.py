"""Traffic readers: every format on real recordings from the traffic package, units, ids,
nulls, chunking, the drift check, and bad inputs with their messages."""

from __future__ import annotations

import gzip
import importlib.util
import json
import math
import sys
import types
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from skyfence.errors import ConfigError, TrafficFormatError
from skyfence.readers import (
    FORMATS,
    ReadStats,
    detect_format,
    parse_mapping,
    read_traffic,
    register,
)
from skyfence.schema import REPORTS, undeclared_columns

DATA = Path(__file__).parent / "data" / "traffic"
SAMPLE = Path(__file__).parent.parent / "src" / "skyfence" / "data" / "sample"
FT, KT, FPM = 0.3048, 1852.0 / 3600.0, 0.3048 / 60.0


def _samples() -> Path | None:
    # find_spec, not import: importing traffic pulls pandas and writes a config directory
    spec = importlib.util.find_spec("traffic")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "data" / "samples"
    return path if path.is_dir() else None


SAMPLES = _samples()
needs_traffic = pytest.mark.skipif(
    SAMPLES is None, reason="the traffic package (dev extra) is not installed: no recordings"
)


def sample(rel: str) -> Path:
    assert SAMPLES is not None
    return SAMPLES / rel


def raw_records(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path) as fh:
        data: list[dict[str, Any]] = json.load(fh)
    return data


def read_all(path: Path, **kw: Any) -> pa.Table:
    chunks = list(read_traffic(path, **kw))
    for c in chunks:
        assert c.schema.equals(REPORTS)
        assert undeclared_columns(c.column_names, REPORTS) == []
    return pa.concat_tables(chunks) if chunks else REPORTS.empty_table()


def ms(t: datetime) -> int:
    return round(t.timestamp() * 1000)


@pytest.fixture(scope="module")
def quickstart() -> list[dict[str, Any]]:
    if SAMPLES is None:
        pytest.skip("the traffic package (dev extra) is not installed: no recordings")
    return raw_records(sample("collections/quickstart.json.gz"))


@pytest.fixture(scope="module")
def quickstart_table() -> pa.Table:
    if SAMPLES is None:
        pytest.skip("the traffic package (dev extra) is not installed: no recordings")
    return read_all(sample("collections/quickstart.json.gz"))


# --- traffic JSON ---------------------------------------------------------------------------


@needs_traffic
def test_traffic_json_units_ids_and_nulls(
    quickstart: list[dict[str, Any]], quickstart_table: pa.Table
) -> None:
    t = quickstart_table
    assert t.num_rows == len(quickstart)
    first = t.slice(0, 1).to_pylist()[0]
    r = quickstart[0]  # MSR799, 13650 ft, 325 kt, -896 ft/min, squawk 1000
    assert first["target_id"] == "icao:0101de" and first["id_kind"] == "icao"
    assert ms(first["time"]) == r["timestamp"] == 1633608773000
    assert first["alt_baro_m"] == 13650.0 * FT == pytest.approx(4160.52, abs=1e-9)
    assert first["gs_mps"] == 325.0 * KT == pytest.approx(167.194444, abs=1e-6)
    assert first["vrate_mps"] == -896.0 * FPM == pytest.approx(-4.55168, abs=1e-9)
    assert (first["lat"], first["lon"]) == (r["latitude"], r["longitude"])
    assert (first["callsign"], first["squawk"], first["on_ground"]) == ("MSR799", "1000", False)
    assert first["source"] == "quickstart.json.gz"
    # every missing value is a null, and only those
    for key, col in (("altitude", "alt_baro_m"), ("groundspeed", "gs_mps"), ("squawk", "squawk")):
        assert t.column(col).null_count == sum(rec[key] is None for rec in quickstart)
    assert not pc.any(pc.is_nan(t.column("alt_baro_m"))).as_py()
    assert pc.all(pc.match_substring_regex(t.column("target_id"), r"^icao:[0-9a-f]{6}$")).as_py()


@needs_traffic
def test_traffic_json_chunking_gives_the_same_rows(quickstart_table: pa.Table) -> None:
    stats = ReadStats()
    chunks = list(
        read_traffic(sample("collections/quickstart.json.gz"), chunk_rows=1000, stats=stats)
    )
    assert all(c.num_rows == 1000 for c in chunks[:-1]) and 0 < chunks[-1].num_rows <= 1000
    assert pa.concat_tables(chunks).equals(quickstart_table)
    assert stats.chunks == len(chunks) and stats.rows == quickstart_table.num_rows
    assert stats.format == "traffic-json"


@needs_traffic
def test_traffic_json_sample_quirks() -> None:
    # squawk as float (3766.0) and IAS/TAS/heading in zero_gravity
    z = read_all(sample("featured/zero_gravity.json.gz")).slice(0, 1).to_pylist()[0]
    assert z["squawk"] == "3766"
    assert z["ias_mps"] == 161.8 * KT and z["heading_deg"] == 224.473
    # squawk mixing None, float and "0" strings: "0" is zero-padded
    rega = read_all(sample("ambulances/rega_sg.json.gz"))
    assert rega.column("squawk")[0].as_py() == "0000"
    # pandas orient="columns" file
    nice = read_all(sample("calibration/nice.json.gz"))
    assert nice.num_rows == 1246 and nice.column("time")[0].as_py() == datetime.fromtimestamp(
        1576068400, UTC
    )
    # tracks recorded as -180..180 come out in [0, 360)
    ajaccio = read_all(sample("calibration/ajaccio.json.gz"))
    assert ajaccio.column("track_deg")[0].as_py() == 313.0  # recorded as -47
    assert pc.min(ajaccio.column("track_deg")).as_py() >= 0.0


def _traffic_files() -> list[str]:
    if SAMPLES is None:
        return []
    return sorted(str(p.relative_to(SAMPLES)) for p in SAMPLES.glob("*/*.json.gz"))


@needs_traffic
@pytest.mark.parametrize("rel", _traffic_files())
def test_every_traffic_sample_reads_or_says_why(rel: str) -> None:
    if rel == "performance/fuelflow_a320.json.gz":  # flight-data-recorder data: no address
        with pytest.raises(TrafficFormatError, match="missing required column 'icao24'"):
            read_all(sample(rel))
        return
    t = read_all(sample(rel))
    assert t.num_rows > 0
    assert t.column("time").null_count == 0 and t.column("target_id").null_count == 0


# --- readsb ---------------------------------------------------------------------------------


@needs_traffic
def test_readsb_trace() -> None:
    path = sample("readsb/trace_full_ac671b.json")
    doc = json.loads(path.read_text())
    assert detect_format(path) == "readsb"
    t = read_all(path)
    assert t.num_rows == len(doc["trace"]) == 2500
    rows = t.to_pylist()
    p0 = doc["trace"][0]  # [0.0, 16.777359, -88.036868, 32000, 478.6, 327.8, 1, 0, None, ...]
    assert rows[0]["time"].timestamp() == pytest.approx(doc["timestamp"] + p0[0], abs=1e-6)
    assert rows[0]["target_id"] == "icao:ac671b"
    assert rows[0]["alt_baro_m"] == 32000 * FT == 9753.6
    assert rows[0]["gs_mps"] == 478.6 * KT
    assert rows[0]["alt_geo_m"] == 33825 * FT and rows[0]["ias_mps"] == 280 * KT
    assert rows[0]["callsign"] is None  # no details on this point, and no forward filling
    with_details = [r for r, p in zip(rows, doc["trace"], strict=True) if p[8] and "flight" in p[8]]
    assert with_details[0]["callsign"] == "DAL1812" and with_details[0]["squawk"] == "4637"
    assert with_details[0]["nacp"] == 10 and with_details[0]["adsb_version"] == 2
    ground = [r for r, p in zip(rows, doc["trace"], strict=True) if p[3] == "ground"]
    assert ground and all(r["on_ground"] and r["alt_baro_m"] is None for r in ground)
    airborne = [r for r, p in zip(rows, doc["trace"], strict=True) if isinstance(p[3], int)]
    assert all(r["on_ground"] is False for r in airborne)


def test_readsb_geometric_altitude_flag_and_gzip(tmp_path: Path) -> None:
    doc = {
        "icao": "~3c6444",
        "timestamp": 1700000000.0,
        "trace": [
            [0.0, 48.0, 2.0, 1000, 100.0, 90.0, 8, 640, None, "tisb_other", None, None, None, None],
            [
                1.5,
                48.0,
                2.01,
                1010,
                100.0,
                90.0,
                0,
                None,
                None,
                "tisb_other",
                1100,
                320,
                None,
                None,
            ],
        ],
    }
    path = tmp_path / "trace_full_3c6444.json"  # gzip inside, .json outside, as readsb serves it
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    rows = read_all(path).to_pylist()
    assert rows[0]["target_id"] == "non_icao:3c6444" and rows[0]["id_kind"] == "non_icao"
    assert rows[0]["alt_baro_m"] is None and rows[0]["alt_geo_m"] == 1000 * FT
    assert rows[0]["vrate_mps"] == 640 * FPM
    assert rows[1]["alt_baro_m"] == 1010 * FT and rows[1]["alt_geo_m"] == 1100 * FT
    assert rows[1]["vrate_mps"] == 320 * FPM  # geometric rate when no other
    assert rows[1]["time"] == datetime.fromtimestamp(1700000001.5, UTC)


# --- OpenSky CSV and Parquet ----------------------------------------------------------------


def opensky_table(records: list[dict[str, Any]]) -> pa.Table:
    """OpenSky state vectors (historical export columns and units) from traffic records."""

    def scale(v: float | None, k: float) -> float | None:
        return None if v is None else v * k

    rows = [
        {
            "time": r["timestamp"] // 1000,
            "icao24": r["icao24"],
            "lat": r["latitude"],
            "lon": r["longitude"],
            "velocity": scale(r["groundspeed"], KT),
            "heading": r["track"],
            "vertrate": scale(r["vertical_rate"], FPM),
            "callsign": r["callsign"],
            "onground": r["onground"],
            "alert": False,
            "spi": False,
            "squawk": r["squawk"],
            "baroaltitude": scale(r["altitude"], FT),
            "geoaltitude": None,
            "lastposupdate": r["timestamp"] / 1000 - 0.4,
            "lastcontact": r["timestamp"] / 1000,
            "hour": r["timestamp"] // 3_600_000 * 3600,
        }
        for r in records
    ]
    return pa.Table.from_pylist(rows)


@pytest.fixture(scope="module")
def opensky_files(
    quickstart: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, pa.Table]:
    # 5000 real records, altitudes missing in some of them
    records = [r for r in quickstart if r["icao24"] in {"0101de", "39b002", "4ca7b4"}][:5000]
    table = opensky_table(records)
    d = tmp_path_factory.mktemp("opensky")
    pacsv.write_csv(table, d / "states.csv")
    pq.write_table(table, d / "states.parquet")
    expected = read_all(_write_json(d / "same.json", records))
    return d / "states.csv", d / "states.parquet", expected


def _write_json(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(records, separators=(",", ":")))
    return path


FLOATS = ["lat", "lon", "alt_baro_m", "gs_mps", "track_deg", "vrate_mps"]


@needs_traffic
@pytest.mark.parametrize("which", ["csv", "parquet"])
def test_opensky_state_vectors(which: str, opensky_files: tuple[Path, Path, pa.Table]) -> None:
    path = opensky_files[0] if which == "csv" else opensky_files[1]
    expected = opensky_files[2]
    stats = ReadStats()
    t = read_all(path, stats=stats)
    assert detect_format(path) == which
    assert stats.ignored_columns == {"alert", "spi", "lastposupdate", "lastcontact", "hour"}
    assert t.num_rows == expected.num_rows
    for col in ["time", "target_id", "callsign", "squawk", "on_ground"]:
        assert t.column(col).equals(expected.column(col)), col
    for col in FLOATS:  # same SI values, whichever unit they were recorded in
        a, b = t.column(col).to_pylist(), expected.column(col).to_pylist()
        assert [x is None for x in a] == [x is None for x in b], col
        assert all(x == pytest.approx(y, rel=1e-12) for x, y in zip(a, b, strict=True) if x)
    chunked = pa.concat_tables(read_traffic(path, chunk_rows=1000))
    assert chunked.equals(t)


def test_opensky_edge_cases_from_a_committed_csv() -> None:
    stats = ReadStats()
    rows = read_all(DATA / "opensky_edge.csv", stats=stats).to_pylist()
    assert [r["target_id"] for r in rows] == ["icao:040123"] * 2 + ["icao:3c6444"] * 3 + [None]
    assert rows[0]["squawk"] == "0123" and rows[2]["squawk"] is None
    assert rows[0]["callsign"] == "AFR13FQ" and rows[2]["callsign"] is None
    assert rows[0]["on_ground"] is True and rows[5]["on_ground"] is None
    assert rows[0]["alt_baro_m"] is None and rows[2]["alt_baro_m"] == 1000.0
    assert rows[2]["alt_geo_m"] == 1050.0 and rows[2]["vrate_mps"] == -3.5
    assert (rows[3]["lat"], rows[3]["lon"]) == (None, None)  # latitude 91.5: nulled, counted
    assert (rows[4]["lat"], rows[4]["lon"]) == (None, None)  # no position: kept, not counted
    assert rows[4]["track_deg"] == 270.0
    assert stats.invalid_positions == 1 and stats.invalid_ids == 1
    assert rows[0]["time"] == datetime.fromtimestamp(1633608773, UTC)


def test_pandas_nan_becomes_null(tmp_path: Path) -> None:
    table = pa.table(
        {
            "time": pa.array([1633608773.0, 1633608774.5]),
            "icao24": ["3c6444", "3c6444"],
            "lat": [48.0, math.nan],
            "lon": [2.0, math.nan],
            "baroaltitude": [math.nan, 1000.0],
            "velocity": [math.inf, 100.0],
        }
    )
    pq.write_table(table, tmp_path / "nan.parquet")
    stats = ReadStats()
    rows = read_all(tmp_path / "nan.parquet", stats=stats).to_pylist()
    assert rows[0]["alt_baro_m"] is None and rows[0]["gs_mps"] is None
    assert rows[1]["lat"] is None and rows[1]["lon"] is None and stats.invalid_positions == 0
    assert rows[1]["time"] == datetime.fromtimestamp(1633608774.5, UTC)


# --- JSONL ----------------------------------------------------------------------------------


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@needs_traffic
def test_jsonl_round_trip_of_reports(quickstart_table: pa.Table, tmp_path: Path) -> None:
    part = quickstart_table.slice(0, 3000)
    rows = part.to_pylist()
    for r in rows:
        r["time"] = r["time"].isoformat().replace("+00:00", "Z")
        r["source"] = None  # filled with the file name
    path = _jsonl(tmp_path / "reports.jsonl", rows)
    assert detect_format(path) == "jsonl"
    back = read_all(path, chunk_rows=700)
    expected = part.set_column(
        part.schema.get_field_index("source"), "source", pa.array(["reports.jsonl"] * 3000)
    )
    assert back.equals(expected)


def test_jsonl_epoch_seconds_icao24_and_suffixed_units(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "a.jsonl",
        [
            {"time": 1633608773.25, "icao24": "3C6444", "lat": 48, "lon": 2, "alt_baro_ft": 1000},
            {"time": "2021-10-07T12:12:54+02:00", "icao24": "3c6444", "lat": 48, "lon": 2},
            {"time": "2021-10-07 12:12:55", "icao24": "3c6444", "lat": None, "lon": None},
        ],
    )
    rows = read_all(path).to_pylist()
    assert rows[0]["time"] == datetime.fromtimestamp(1633608773.25, UTC)
    assert rows[0]["alt_baro_m"] == 1000 * FT and rows[0]["target_id"] == "icao:3c6444"
    assert rows[1]["time"] == datetime(2021, 10, 7, 10, 12, 54, tzinfo=UTC)
    assert rows[2]["time"] == datetime(2021, 10, 7, 12, 12, 55, tzinfo=UTC)  # no zone: UTC


def test_target_id_wins_over_icao24_and_gives_the_kind(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "ids.jsonl",
        [
            {"time": 1, "icao24": "3c6444", "target_id": "rid:1581F5FJD", "lat": 1, "lon": 2},
            {"time": 2, "icao24": "3c6444", "target_id": None, "lat": 1, "lon": 2},
            {"time": 3, "target_id": "plot:radar1", "lat": 1, "lon": 2},
        ],
    )
    rows = read_all(path).select(["target_id", "id_kind"]).to_pylist()
    assert rows == [
        {"target_id": "rid:1581F5FJD", "id_kind": "rid"},
        {"target_id": "icao:3c6444", "id_kind": "icao"},
        {"target_id": "plot:radar1", "id_kind": "plot"},
    ]


@needs_traffic
def test_jsonl_in_traffic_column_names() -> None:
    # rs1090's decoded messages: traffic names, altitude in ft, epoch seconds as floats
    path = sample("rs1090/full_flight_short.jsonl")
    first = json.loads(path.open().readline())
    second = json.loads(path.open().readlines()[1])
    rows = read_all(path).slice(0, 2).to_pylist()
    assert rows[0]["time"].timestamp() == pytest.approx(first["timestamp"], abs=1e-6)
    assert rows[0]["gs_mps"] == first["groundspeed"] * KT
    assert rows[1]["alt_baro_m"] == second["altitude"] * FT
    assert rows[0]["target_id"] == "icao:" + first["icao24"]


# --- mapped CSV -----------------------------------------------------------------------------


def test_parse_mapping() -> None:
    assert parse_mapping("ts=time, hex=icao24,alt_ft=alt_baro_ft,") == {
        "ts": "time",
        "hex": "icao24",
        "alt_ft": "alt_baro_ft",
    }
    with pytest.raises(ConfigError, match="expected SOURCE=TARGET"):
        parse_mapping("ts")
    with pytest.raises(ConfigError, match="unknown target 'altitude'"):
        parse_mapping("alt=altitude")
    with pytest.raises(ConfigError, match="both fill 'alt_baro_m'"):
        parse_mapping("a=alt_baro_ft,b=alt_baro_m")


def test_mapped_csv_with_unit_suffixes(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_text(
        "ts;hex;lat;lon;alt_ft;spd;vs;flight;extra\n"
        "2021-10-07T12:00:00Z;3c6444;48.5;2.5;1000;100;-640;DLH9U ;x\n"
        "2021-10-07T12:00:01.5Z;3c6444;48.5;2.5;;;;;y\n"
    )
    mapping = parse_mapping(
        "ts=time,hex=icao24,alt_ft=alt_baro_ft,spd=gs_kt,vs=vrate_fpm,flight=callsign"
    )
    stats = ReadStats()
    rows = read_all(path, mapping=mapping, stats=stats).to_pylist()
    assert rows[0]["alt_baro_m"] == 1000 * FT and rows[0]["gs_mps"] == 100 * KT
    assert rows[0]["vrate_mps"] == -640 * FPM and rows[0]["callsign"] == "DLH9U"
    assert rows[1]["alt_baro_m"] is None and rows[1]["callsign"] is None
    assert rows[1]["time"] == datetime(2021, 10, 7, 12, 0, 1, 500000, tzinfo=UTC)
    assert stats.ignored_columns == {"extra"}


# --- bad inputs -----------------------------------------------------------------------------

GOOD = "time,icao24,lat,lon\n1633608773,3c6444,48.5,2.5\n"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "time,icao24,lon\n1633608773,3c6444,2.5\n",
            r"x\.csv: field 'lat': missing required column 'lat'",
        ),
        (
            GOOD + "yesterday,3c6444,48.5,2.5\n",
            r"x\.csv:3: field 'time': unparseable time 'yesterday'",
        ),
        (
            GOOD + "1633608774,3c6444,north,2.5\n",
            r"x\.csv:3: field 'lat': cannot read 'north' as double",
        ),
        (
            GOOD + GOOD.split("\n")[1] + "\n1633608775,3c6444,48.5\n",
            r"x\.csv:4: expected 4 fields, found 3",
        ),
        (GOOD + ",3c6444,48.5,2.5\n", r"x\.csv:3: field 'time': missing time"),
        ("", r"x\.csv:1: empty file"),
    ],
)
def test_bad_csv(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(text)
    with pytest.raises(TrafficFormatError, match=match):
        read_all(path)


def test_bad_jsonl_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    good = '{"time": 1633608773, "icao24": "3c6444", "lat": 48, "lon": 2}\n'
    path.write_text(good + "\n" + good + '{"time": 1633608775, "icao24": \n' + good)
    with pytest.raises(TrafficFormatError, match=r"x\.jsonl:4: not valid JSON"):
        read_all(path)
    path.write_text(good + "[1, 2]\n")
    with pytest.raises(TrafficFormatError, match=r"x\.jsonl:2: expected a JSON object, found list"):
        read_all(path)


def test_bad_json_files(tmp_path: Path) -> None:
    path = tmp_path / "x.json.gz"
    path.write_bytes(gzip.compress(b'[{"timestamp": 1633608773000, "icao24": "3c6444", "latit'))
    with pytest.raises(TrafficFormatError, match=r"x\.json\.gz:1: not valid JSON"):
        read_all(path, fmt="traffic-json")
    path.write_bytes(
        gzip.compress(b'[{"timestamp": 1, "icao24": "3c6444", "latitude": 1, "longitude": 2}, 3]')
    )
    with pytest.raises(TrafficFormatError, match="record 2: expected a JSON object, found int"):
        read_all(path)
    trace = tmp_path / "trace_full_x.json"
    trace.write_text('{"icao": "3c6444", "trace": []}')
    with pytest.raises(TrafficFormatError, match="field 'timestamp': missing or malformed"):
        read_all(trace)


def test_whole_file_errors(tmp_path: Path) -> None:
    with pytest.raises(TrafficFormatError, match="no such file"):
        read_traffic(tmp_path / "missing.csv")
    odd = tmp_path / "x.bin"
    odd.write_bytes(b"\x00\x01\x02")
    with pytest.raises(TrafficFormatError, match="cannot tell the traffic format"):
        read_traffic(odd)
    with pytest.raises(TrafficFormatError, match="unknown traffic format 'kml'"):
        read_traffic(DATA / "opensky_edge.csv", fmt="kml")
    with pytest.raises(ConfigError):
        read_traffic(DATA / "opensky_edge.csv", mapping={"a": "nonsense"})
    with pytest.raises(ValueError, match="chunk_rows"):
        read_traffic(DATA / "opensky_edge.csv", chunk_rows=0)


# --- registry, sample, drift ----------------------------------------------------------------


def test_a_third_party_format_registers_like_the_built_ins(tmp_path: Path) -> None:
    mod = types.ModuleType("skyfence_test_fake_format")

    def read(path: Path, options: Any) -> Iterator[pa.Table]:
        yield REPORTS.empty_table()

    mod.read = read  # type: ignore[attr-defined]
    mod.sniff = lambda head, path: head.startswith(b"FAKE")  # type: ignore[attr-defined]
    sys.modules[mod.__name__] = mod
    try:
        register("fake", mod.__name__, (".fake",))
        (tmp_path / "a.fake").write_bytes(b"FAKE")
        assert detect_format(tmp_path / "a.fake") == "fake"
        assert list(read_traffic(tmp_path / "a.fake")) == []
    finally:
        FORMATS.pop("fake", None)
        sys.modules.pop(mod.__name__, None)


def test_built_in_sample_is_reports() -> None:
    path = SAMPLE / "paris_traffic.parquet"
    assert path.stat().st_size < 4_500_000
    # every column is a Reports column of the same type (columns added to Reports since the
    # sample was written are simply absent from it)
    schema = pq.read_schema(path)
    assert all(REPORTS.field(f.name).type == f.type for f in schema)
    assert schema.names == [n for n in REPORTS.names if n in schema.names]
    t = read_all(path)
    assert t.num_rows == 284_505
    assert t.column("source")[0].as_py() == "quickstart.json.gz"  # the origin is kept
    times = t.column("time")
    assert pc.all(pc.greater_equal(times.slice(1), times.slice(0, len(times) - 1))).as_py()


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_columns_reads_only_what_is_asked(tmp_path: Path, fmt: str) -> None:
    full = pa.concat_tables(read_traffic(SAMPLE / "paris_traffic.parquet"))
    path = tmp_path / f"t.{fmt}"
    if fmt == "parquet":
        pq.write_table(full, path)
    else:
        pacsv.write_csv(full.drop_columns(["time"]).add_column(
            0, "time_us", pc.cast(full.column("time"), pa.int64())), path)
    wanted = ["alt_baro_m", "squawk", "callsign"]
    got = pa.concat_tables(read_traffic(path, columns=wanted, chunk_rows=997))
    assert got.column_names == [
        c for c in REPORTS.names if c in {"time", "target_id", "lat", "lon", *wanted}]
    whole = pa.concat_tables(read_traffic(path))
    assert got.equals(whole.select(got.column_names))
    with pytest.raises(ValueError, match="not Reports columns"):
        read_traffic(path, columns=["altitude"])
