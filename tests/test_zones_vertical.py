"""Vertical limits: parsing as publications write them, metres inside, datums kept."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyfence.zones.vertical import FT, Datum, VerticalLimit, parse_limit


@pytest.mark.parametrize(
    ("text", "value_m", "datum", "unit"),
    [
        ("SFC", 0.0, Datum.SFC, "ft"),
        ("GND", 0.0, Datum.SFC, "ft"),
        ("sfc", 0.0, Datum.SFC, "ft"),
        ("UNL", math.inf, Datum.UNL, "ft"),
        ("UNLTD", math.inf, Datum.UNL, "ft"),
        ("unlimited", math.inf, Datum.UNL, "ft"),
        # flight levels: hundreds of feet of pressure altitude on 1013.25 hPa
        ("FL95", 9500 * FT, Datum.STD, "FL"),
        ("FL 095", 9500 * FT, Datum.STD, "FL"),
        ("FL195", 195 * 100 * 0.3048, Datum.STD, "FL"),
        ("fl660", 66000 * 0.3048, Datum.STD, "FL"),
        ("2500ft", 2500 * 0.3048, Datum.AMSL, "ft"),
        ("2500 FT AMSL", 762.0, Datum.AMSL, "ft"),
        ("2500 MSL", 762.0, Datum.AMSL, "ft"),
        ("2500 F", 762.0, Datum.AMSL, "ft"),
        ("1500ft AGL", 1500 * 0.3048, Datum.AGL, "ft"),
        ("1000 ft ASFC", 304.8, Datum.AGL, "ft"),
        ("1000 ft GND", 304.8, Datum.AGL, "ft"),
        ("300 m", 300.0, Datum.AMSL, "m"),
        ("300m AGL", 300.0, Datum.AGL, "m"),
        ("120 M AGL", 120.0, Datum.AGL, "m"),
        ("9500 ft STD", 9500 * FT, Datum.STD, "ft"),
        ("0 ft AGL", 0.0, Datum.SFC, "ft"),
        ("-100 ft AMSL", -30.48, Datum.AMSL, "ft"),
    ],
)
def test_parse_limit(text: str, value_m: float, datum: Datum, unit: str) -> None:
    lim = parse_limit(text)
    assert lim.datum is datum
    assert lim.value_m == pytest.approx(value_m, abs=1e-9) or lim.value_m == value_m
    assert lim.unit == unit


def test_flight_level_is_pressure_altitude() -> None:
    fl95 = parse_limit("FL095")
    assert fl95.value_m == pytest.approx(2895.6)
    assert fl95.pressure and not parse_limit("2500 ft").pressure
    assert fl95 == VerticalLimit.flight_level(95)
    assert fl95.label() == "FL095"


def test_bare_number_takes_the_default_datum() -> None:
    assert parse_limit("1000").datum is Datum.AMSL
    assert parse_limit("1000", default_datum=Datum.AGL).datum is Datum.AGL
    assert parse_limit("1000").value_m == pytest.approx(304.8)


@pytest.mark.parametrize("text", ["2500 yd", "FL", "high", "2500 ft above", "FL-10", "", "1e3"])
def test_unknown_units_and_nonsense_are_refused_clearly(text: str) -> None:
    with pytest.raises(ValueError, match="cannot read vertical limit") as err:
        parse_limit(text)
    assert "expected SFC, GND, UNL, FL<n>" in str(err.value)


def test_not_text_is_refused() -> None:
    with pytest.raises(TypeError, match="as text"):
        parse_limit(2500)  # type: ignore[arg-type]


def test_agl_against_ground_elevation() -> None:
    lim = parse_limit("500 ft AGL")
    assert lim.amsl_m(1000.0) == pytest.approx(1000.0 + 152.4)
    # no elevation given: the ground is taken at mean sea level
    assert lim.amsl_m(None) == pytest.approx(152.4)
    assert VerticalLimit.surface().amsl_m(1000.0) == 1000.0
    # AMSL and flight levels do not move with the ground
    assert parse_limit("2500 ft AMSL").amsl_m(1000.0) == pytest.approx(762.0)
    assert parse_limit("FL100").amsl_m(1000.0) == pytest.approx(3048.0)
    assert VerticalLimit.unlimited().amsl_m(1000.0) == math.inf


def test_value_normalised_by_datum() -> None:
    assert VerticalLimit(123.0, Datum.SFC).value_m == 0.0
    assert VerticalLimit(123.0, Datum.UNL).value_m == math.inf
    assert VerticalLimit(0.0, Datum.AGL) == VerticalLimit.surface()
    # a datum given as text is accepted and stored as the enum
    assert VerticalLimit(100.0, "AMSL", "m").datum is Datum.AMSL  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "match"),
    [((100.0, Datum.AMSL, "yd"), "unknown unit"), ((100.0, "QFE", "m"), "unknown datum"),
     ((math.nan, Datum.AMSL, "m"), "finite"), ((math.inf, Datum.AMSL, "m"), "UNL")],
)
def test_bad_limits(args: tuple[float, str, str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        VerticalLimit(*args)  # type: ignore[arg-type]


def test_unit_is_display_only() -> None:
    assert VerticalLimit(762.0, Datum.AMSL, "ft") == VerticalLimit(762.0, Datum.AMSL, "m")
    assert parse_limit("2500 ft AMSL") == parse_limit("762 m AMSL")
    assert parse_limit("2500 ft AMSL").label() == "2500 ft AMSL"
    assert parse_limit("762 m AMSL").label() == "762 m AMSL"


@pytest.mark.parametrize(
    ("lim", "label"),
    [(VerticalLimit.surface(), "SFC"), (VerticalLimit.unlimited(), "UNL"),
     (VerticalLimit.flight_level(95), "FL095"), (parse_limit("150 m AGL"), "150 m AGL"),
     (parse_limit("2500 ft"), "2500 ft AMSL"), (parse_limit("9500 ft STD"), "9500 ft STD")],
)
def test_labels(lim: VerticalLimit, label: str) -> None:
    assert lim.label() == label
    assert parse_limit(lim.to_text()) == lim


limits = st.one_of(
    st.just(VerticalLimit.surface()),
    st.just(VerticalLimit.unlimited()),
    st.builds(VerticalLimit.flight_level, st.integers(1, 660)),
    st.builds(VerticalLimit.flight_level, st.floats(0.5, 660.0)),
    st.builds(VerticalLimit, st.floats(-500.0, 30_000.0),
              st.sampled_from([Datum.AMSL, Datum.AGL, Datum.STD]),
              st.sampled_from(["ft", "m"])),
)


@settings(max_examples=300)
@given(limits)
def test_to_text_reads_back_equal(lim: VerticalLimit) -> None:
    """What the GeoJSON exporter writes is read back to the same metres and datum."""
    assert parse_limit(lim.to_text()) == lim


@settings(max_examples=100)
@given(st.integers(1, 60_000), st.sampled_from(["ft", "m"]), st.sampled_from(["AMSL", "AGL"]))
def test_to_text_keeps_what_was_written(value: int, unit: str, datum: str) -> None:
    assert parse_limit(f"{value} {unit} {datum}").to_text() == f"{value} {unit} {datum}"


def test_to_text_forms() -> None:
    assert VerticalLimit.flight_level(95).to_text() == "FL095"
    assert parse_limit("2500 ft AMSL").to_text() == "2500 ft AMSL"
    assert parse_limit("150 m AGL").to_text() == "150 m AGL"
    # 100 m stored as feet has no short exact foot value: written in metres
    assert VerticalLimit(100.0, Datum.AMSL, "ft").to_text() == "100 m AMSL"
