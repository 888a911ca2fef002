"""Unit tests of the decoder on published examples ("The 1090 MHz Riddle", DO-260B fields)
and on frames built field by field."""

from __future__ import annotations

import numpy as np
import pytest

from skyfence.decode import DecoderState, crc24, decode_hex, frames_from_hex
from skyfence.decode.altitude import ac13_ft, gillham_ft, squawk_digits
from skyfence.decode.cpr import airborne_global, local, nl
from skyfence.decode.crc import remainder, repair_one_bit
from skyfence.schema import REPORTS, undeclared_columns
from test_decode_support import short_ap, squitter

KT = 1852 / 3600
FPM = 0.3048 / 60

# Examples worked through in "The 1090 MHz Riddle" (J. Sun), chapters on ADS-B
IDENT = "8D4840D6202CC371C32CE0576098"  # KLM1023, TC 4
POS_EVEN = "8D40621D58C382D690C8AC2863A7"  # airborne, even, 38,000 ft
POS_ODD = "8D40621D58C386435CC412692AD6"  # airborne, odd
SURFACE_EVEN = "8C4841753AAB238733C8CD4020B1"
VEL_GS = "8D485020994409940838175B284F"  # subtype 1
VEL_AS = "8DA05F219B06B6AF189400CBC33F"  # subtype 3


def row(hexes: list[str], times: list[float] | None = None, **kw: object) -> dict[str, object]:
    table, _ = decode_hex(hexes, times or [0.0] * len(hexes), **kw)  # type: ignore[arg-type]
    return table.to_pylist()[-1]  # type: ignore[no-any-return]


def test_crc_of_published_frames_is_zero_and_parity_matches() -> None:
    frames, lengths = frames_from_hex([IDENT, POS_EVEN, VEL_GS])
    assert remainder(frames, lengths).tolist() == [0, 0, 0]
    raw = bytes.fromhex(IDENT)
    assert crc24(raw[:11]) == int.from_bytes(raw[11:], "big")


def test_address_parity_gives_the_address() -> None:
    # DF 4 reply of the rs1090 sample flight (AFR34ZG, 393322)
    frames, lengths = frames_from_hex(["212800bf40f1ef"])
    assert int(remainder(frames, lengths)[0]) == 0x393322


@pytest.mark.parametrize("bit", [5, 20, 40, 87])
def test_one_bit_repair(bit: int) -> None:
    frames, lengths = frames_from_hex([IDENT])
    good = frames.copy()
    frames[0, bit // 8] ^= 0x80 >> (bit % 8)
    rem = remainder(frames, lengths)
    assert rem[0] != 0
    fixed = repair_one_bit(frames, lengths, rem, np.array([True]))
    assert fixed[0] == 0 and (frames == good).all()


def test_crc_error_is_counted_and_repair_is_opt_in() -> None:
    bad = bytearray.fromhex(IDENT)
    bad[6] ^= 0x10
    r = row([bad.hex()])
    assert r["error"] == "crc" and r["target_id"] is None
    r = row([bad.hex()], repair=True)
    assert r["error"] is None and r["callsign"] == "KLM1023"


def test_q_bit_altitude() -> None:
    n = np.arange(2048, dtype=np.uint64)
    ac = ((n & 0x7E0) << 2) | 0x10 | (n & 0xF)  # N split around M (bit 7) and Q (bit 9)
    ac = ac | ((n & 0x10) << 1)
    expected = np.where(n == 0, np.nan, 25.0 * n - 1000)
    got = ac13_ft(ac.astype(np.uint64))
    assert np.array_equal(got[1:], expected[1:])


def test_gillham_known_codes() -> None:
    # bit p (1-based, of 13) is 1 << (13 - p); C2 is bit 3, B4 bit 12
    c2, b4, c1 = 1 << 10, 1 << 1, 1 << 12
    # C2 alone: 500 ft count 0, 100 ft state 3 -> -1000 ft, the lowest Mode C altitude
    # C2 + B4: 500 ft count 1 (odd, so the 100 ft states run backwards) -> -500 ft
    # C1 alone is 100 ft state 7 = 5 -> -800 ft; no C bit at all is never valid
    got = gillham_ft(np.array([c2, c2 | b4, c1, b4], dtype=np.uint64))
    assert got[:3].tolist() == [-1000.0, -500.0, -800.0] and np.isnan(got[3])
    # All valid codes are distinct, on the 100 ft grid, within -1000..126,700 ft
    all_codes = np.arange(8192, dtype=np.uint64)
    no_mq = (all_codes & 0x50) == 0
    alts = gillham_ft(all_codes[no_mq])
    valid = alts[~np.isnan(alts)]
    assert len(np.unique(valid)) == len(valid) == 1280 - 2
    assert valid.min() == -1000 and valid.max() == 126_700 and (valid % 100 == 0).all()


def test_gillham_agrees_with_rs1090() -> None:
    rs1090 = pytest.importorskip("rs1090")
    codes = [c for c in range(8192) if not c & 0x50]  # M = 0, Q = 0
    ref = rs1090.decode([short_ap(4, c, 0x393322) for c in codes])
    ours = ac13_ft(np.array(codes, dtype=np.uint64))
    theirs = np.array([np.nan if r.get("altitude") is None else r["altitude"] for r in ref])
    same = (np.isnan(ours) & np.isnan(theirs)) | (ours == theirs)
    # rs1090 0.7 rejects negative Gillham altitudes; Mode C goes down to -1000 ft
    assert set(ours[~same].tolist()) <= {-1000.0, -900.0, -800.0, -700.0, -600.0, -500.0,
                                         -400.0, -300.0, -200.0, -100.0}
    assert np.isnan(theirs[~same]).all() and same.sum() == len(codes) - 10


def test_squawk_layout() -> None:
    # 7700: A=7 B=7 C=0 D=0 -> A4 A2 A1 B4 B2 B1 set
    bits = {"A1": 2, "A2": 4, "A4": 6, "B1": 8, "B2": 10, "B4": 12}
    code = sum(1 << (13 - p) for p in bits.values())
    assert squawk_digits(np.array([code], dtype=np.uint64)).tobytes() == b"7700"
    r = row([short_ap(5, code, 0xABCDEF)], confirm=False)
    assert (r["squawk"], r["target_id"]) == ("7700", "icao:abcdef")


def test_replies_need_a_confirmed_address() -> None:
    """DF 4/5/20/21 addresses come from the parity, so noise would invent aircraft: they are
    accepted only from addresses heard in clear (DF 11/17/18) within the last minute."""
    reply = short_ap(5, 0x1234, 0xABCDEF)
    assert row([reply])["error"] == "unconfirmed address"
    _, state = decode_hex([squitter(0xABCDEF, 4 << 51)], [100.0])
    assert len(state.addresses) == 1
    table, state = decode_hex([reply, reply], [130.0, 150.0], state=state)
    assert table.column("target_id").to_pylist() == ["icao:abcdef"] * 2
    table, _ = decode_hex([reply], [170.0], state=state)
    assert table.column("error").to_pylist() == ["unconfirmed address"]
    assert table.column("squawk").to_pylist() == [None]


def test_nl_table_edges() -> None:
    assert nl(0.0) == 59 and nl(10.47047129) == 59 and nl(10.4704714) == 58
    assert nl(86.5354) == 2 and nl(86.5353) == 3 and nl(87.0) == 2 and nl(87.0001) == 1
    assert nl(-52.0) == nl(52.0) == 36


def test_cpr_global_pair() -> None:
    even = (93000, 51372)
    odd = (74158, 50194)
    lat, lon = airborne_global(*even, *odd, False)
    assert lat == pytest.approx(52.25720, abs=1e-5) and lon == pytest.approx(3.91937, abs=1e-5)
    lat, lon = airborne_global(*even, *odd, True)
    assert lat == pytest.approx(52.26578, abs=1e-5) and lon == pytest.approx(3.93891, abs=1e-5)


def test_cpr_local_and_batch() -> None:
    lat, lon = local(93000, 51372, False, 52.258, 3.918, False)
    assert lat == pytest.approx(52.25720, abs=1e-5) and lon == pytest.approx(3.91937, abs=1e-5)
    r = row([POS_ODD, POS_EVEN], [0.0, 1.0])
    assert r["lat"] == pytest.approx(52.25720, abs=1e-5)
    assert r["alt_baro_m"] == pytest.approx(38000 * 0.3048)
    # the same pair 20 s apart is not paired
    assert row([POS_ODD, POS_EVEN], [0.0, 20.0])["lat"] is None


def test_surface_needs_a_reference() -> None:
    assert row([SURFACE_EVEN])["lat"] is None
    r = row([SURFACE_EVEN], reference=(51.990, 4.375))
    assert r["lat"] == pytest.approx(52.32304, abs=1e-5)
    assert r["lon"] == pytest.approx(4.73047, abs=1e-5)
    assert r["gs_mps"] == pytest.approx(18 * KT) and r["track_deg"] == 140.625
    assert r["on_ground"] is True


def test_identification() -> None:
    r = row([IDENT])
    assert (r["callsign"], r["tc"], r["category"], r["df"]) == ("KLM1023", 4, None, 17)
    me = 4 << 51 | 3 << 48  # TC 4, CA 3: set A, category 3
    assert row([squitter(0x3C6444, me)])["category"] == "A3"


def test_velocity_subtypes() -> None:
    r = row([VEL_GS])
    assert r["gs_mps"] / KT == pytest.approx(159.20, abs=0.01)
    assert r["track_deg"] == pytest.approx(182.88, abs=0.01)
    assert r["vrate_mps"] / FPM == pytest.approx(-832)
    r = row([VEL_AS])
    assert r["heading_deg"] == pytest.approx(243.98, abs=0.01)
    assert r["tas_mps"] / KT == pytest.approx(375) and r["ias_mps"] is None
    assert r["vrate_mps"] / FPM == pytest.approx(-2304) and r["gs_mps"] is None


def test_emergency_status() -> None:
    code = sum(1 << (13 - p) for p in (2, 4, 6, 9))  # A=7, D=1 -> 7001
    me = 28 << 51 | 1 << 48 | 5 << 45 | code << 32
    r = row([squitter(0x4CA2D6, me)])
    assert (r["emergency"], r["squawk"], r["tc"]) == ("unlawful interference", "7001", 28)


def test_operational_status() -> None:
    # TC 31 airborne, version 2, NIC-A 1, NACp 10, SIL 3
    me = 31 << 51 | 0 << 48 | 2 << 13 | 1 << 12 | 10 << 8 | 3 << 4
    r = row([squitter(0x4CA2D6, me)])
    assert (r["adsb_version"], r["nic_supplement"], r["nacp"], r["sil"]) == (2, 1, 10, 3)
    r = row([squitter(0x4CA2D6, 31 << 51)])  # version 0: only the version is defined
    assert (r["adsb_version"], r["nacp"]) == (0, None)


def test_bad_rows_stay_aligned() -> None:
    hexes = [IDENT, "8D4840D6202CC3", "zz", "C0" + IDENT[2:], "5D4840D6" + "000000", IDENT]
    table, _ = decode_hex(hexes, [0.0] * len(hexes))
    assert table.num_rows == len(hexes)
    assert table.column("error").to_pylist() == [None, "bad length", "bad length",
                                                 "unsupported df", "crc", None]
    assert table.column("target_id").to_pylist()[1:5] == [None] * 4


def test_df18_non_icao_is_reported() -> None:
    r = row([squitter(0x123456, 4 << 51, df=18, ca=1)])
    assert r["error"] == "non-icao address" and r["target_id"] is None
    r = row([squitter(0x123456, 4 << 51 | 0x2CC371C32CE0, df=18, ca=0)])
    assert r["error"] is None and r["target_id"] == "icao:123456"


def test_decoder_columns_are_declared() -> None:
    table, _ = decode_hex([IDENT, POS_EVEN, VEL_GS], [0.0, 1.0, 2.0])
    assert undeclared_columns(table.column_names, REPORTS) == []
    assert table.schema == REPORTS


def test_nic_from_type_code_and_supplements() -> None:
    icao = 0x4CA2D6

    def opstatus(version: int, nic_a: int) -> str:
        return squitter(icao, 31 << 51 | version << 13 | nic_a << 12 | 9 << 8)

    def airborne(tc: int, nic_b: int) -> str:
        return squitter(icao, tc << 51 | nic_b << 48 | 0x123 << 36)

    def nics(hexes: list[str], state: DecoderState | None = None) -> list[object]:
        table, _ = decode_hex(hexes, list(range(len(hexes))), state=state)  # type: ignore[arg-type]
        return table.column("nic").to_pylist()  # type: ignore[no-any-return]

    # TC 9 is NIC 11 whatever the version; TC 11 needs the version first
    assert nics([airborne(9, 0), airborne(11, 1)]) == [11, None]
    # version 2: NIC-B (ME bit 8) decides between 9 and 8
    assert nics([opstatus(2, 1), airborne(11, 1), airborne(11, 0), airborne(16, 1)]) == [
        None, 9, 8, 3]
    # version 1: the supplement of TC 31 decides, ME bit 8 is the single-antenna flag
    assert nics([opstatus(1, 0), airborne(11, 1), airborne(16, 1)]) == [None, 8, 2]
    # version 0 reports NUC, not NIC
    assert nics([opstatus(0, 0), airborne(11, 1)]) == [None, None]
    # the version is remembered across batches
    _, state = decode_hex([opstatus(2, 1)], [0.0])
    assert len(state.versions) == 1
    assert nics([airborne(11, 1)], state) == [9]


# --- CPR resolution and ambiguity -------------------------------------------------------

def _cpr_encode(lat: float, lon: float, odd: bool, surface: bool = False) -> tuple[int, int]:
    """The 17-bit CPR encoding of a position (DO-260B A.1.7.3)."""
    span, i = (90.0 if surface else 360.0), int(odd)
    dlat = span / (60 - i)
    yz = int(np.floor(131072 * (lat % dlat) / dlat + 0.5))
    rlat = dlat * (yz / 131072 + np.floor(lat / dlat))
    dlon = span / max(nl(rlat) - i, 1)
    xz = int(np.floor(131072 * (lon % dlon) / dlon + 0.5))
    return yz & 0x1FFFF, xz & 0x1FFFF


def _airborne(icao: int, lat: float, lon: float, odd: bool) -> str:
    y, x = _cpr_encode(lat, lon, odd)
    return squitter(icao, 11 << 51 | int(odd) << 34 | y << 17 | x)


def _surface(icao: int, lat: float, lon: float, odd: bool) -> str:
    y, x = _cpr_encode(lat, lon, odd, surface=True)
    return squitter(icao, 6 << 51 | int(odd) << 34 | y << 17 | x)


def _cpr_rows(hexes: list[str], times: list[float], **kw: object) -> list[dict[str, object]]:
    table, _ = decode_hex(hexes, times, **kw)  # type: ignore[arg-type]
    return table.select(["lat", "lon", "cpr_decoding", "cpr_ambiguity"]).to_pylist()


def test_cpr_consistent_pair_and_chain_are_unambiguous() -> None:
    a = 0x4CA2D6
    rows = _cpr_rows([_airborne(a, 48.80, 2.30, False), _airborne(a, 48.801, 2.301, True),
                      _airborne(a, 48.802, 2.302, False)], [0.0, 0.5, 1.0])
    assert [r["cpr_decoding"] for r in rows] == [None, "global", "local"]
    assert [r["cpr_ambiguity"] for r in rows] == [None, None, None]
    assert rows[2]["lat"] == pytest.approx(48.802, abs=1e-4)


def test_cpr_pair_straddling_an_nl_boundary_gives_no_position() -> None:
    """NL changes from 59 to 58 at 10.4704713 deg: an even frame just south and an odd frame
    just north of it cannot be paired (their longitude zones differ)."""
    a, edge = 0x4CA2D7, 10.4704713
    hexes = [_airborne(a, edge - 0.003, 20.0, False), _airborne(a, edge + 0.003, 20.0, True)]
    rows = _cpr_rows(hexes, [100.0, 101.0])
    assert rows[1]["lat"] is None and rows[1]["cpr_ambiguity"] == "nl_straddle"
    # with a fresh fix of its own, the same odd frame decodes locally, unambiguously
    fix = [_airborne(a, edge - 0.006, 20.0, True), _airborne(a, edge - 0.005, 20.0, False)]
    rows = _cpr_rows([*fix, *hexes], [98.0, 98.5, 100.0, 101.0])
    assert rows[3]["lat"] == pytest.approx(edge + 0.003, abs=1e-4)
    assert (rows[3]["cpr_decoding"], rows[3]["cpr_ambiguity"]) == ("local", None)


def test_cpr_pair_from_two_places_is_inconsistent() -> None:
    """An even frame from one place and an odd one from 40 km away, 1 s apart (two
    transmitters under one address): the zone index drawn from them is not trustworthy."""
    a = 0x4CA2D8
    rows = _cpr_rows([_airborne(a, 48.80, 2.30, False), _airborne(a, 48.80, 2.85, True)],
                     [0.0, 1.0])
    assert rows[1]["cpr_decoding"] == "global"
    assert rows[1]["cpr_ambiguity"] == "pair_inconsistent"


def test_cpr_second_transmitter_far_away_is_flagged_not_silently_misplaced() -> None:
    """An aircraft tracked over Paris, then frames of the same address from over Munich
    (600 km away): decoded locally against the Paris fix they land a zone off; every one of
    them is flagged (the global solution disagrees, or the chain they hang on is doubtful)."""
    a = 0x4CA2D9
    paris = [_airborne(a, 48.80 + 0.001 * k, 2.30, k % 2 == 1) for k in range(4)]
    munich = [_airborne(a, 48.10 + 0.001 * k, 11.60, k % 2 == 1) for k in range(6)]
    rows = _cpr_rows(paris + munich, [0.5 * k for k in range(10)])
    assert all(r["cpr_ambiguity"] is None for r in rows[:4])
    assert all(r["cpr_ambiguity"] is not None for r in rows[4:])
    assert {r["cpr_ambiguity"] for r in rows[4:]} <= {
        "global_local_disagree", "local_jump", "doubtful_reference", "pair_inconsistent"}


def test_cpr_surface_reference_far_from_the_target() -> None:
    a = 0x4CA2DA
    near = _cpr_rows([_surface(a, 49.0097, 2.5479, False)], [0.0], reference=(49.0, 2.55))
    assert (near[0]["cpr_decoding"], near[0]["cpr_ambiguity"]) == ("receiver", None)
    # a target 35 NM from the receiver reference: within the 45 NM half-zone (so decoded
    # right), but beyond any ground-level radio horizon: the reference is doubtful
    far = _cpr_rows([_surface(a, 49.0097, 2.5479, False)], [0.0], reference=(49.59, 2.55))
    assert far[0]["lat"] == pytest.approx(49.0097, abs=1e-4)
    assert (far[0]["cpr_decoding"], far[0]["cpr_ambiguity"]) == ("receiver", "receiver_far")
