"""``skyfence decode``: files in, JSON Lines / CSV / Parquet out, bad input reported."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from skyfence.cli import main
from skyfence.schema import REPORTS
from test_decode_support import traffic_sample

RIDDLE = Path(__file__).parent / "data" / "modes" / "riddle.avr"


def run(*argv: str) -> tuple[int, str]:
    buf = io.StringIO()
    code = main(["decode", *argv], console=Console(file=buf, width=200))
    return code, buf.getvalue()


def test_avr_to_jsonl_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(str(RIDDLE), "--reference", "51.990,4.375")
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert code == 0 and len(rows) == 7
    assert rows[0]["callsign"] == "KLM1023" and rows[0]["target_id"] == "icao:4840d6"
    assert rows[0]["source"] == "avr"
    assert rows[5]["lat"] == pytest.approx(52.32304, abs=1e-5)  # surface, needs --reference
    assert rows[6]["error"] == "crc"
    # the summary goes to standard error, keeping standard output pure JSON Lines
    assert "1 undecodable frames, 1 bad records" in capsys.readouterr().err
    assert all(line.startswith("{") for line in out.splitlines())


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_outputs_by_extension(tmp_path: Path, suffix: str) -> None:
    src = traffic_sample("dump1090", "sample_dump1090.bin")
    out = tmp_path / f"reports{suffix}"
    code, msg = run(str(src), "--out", str(out))
    assert code == 0 and "239 reports" in msg
    if suffix == ".parquet":
        table = pq.read_table(out)
        assert table.schema.equals(REPORTS) and table.num_rows == 239
    elif suffix == ".csv":
        assert pacsv.read_csv(out).num_rows == 239
    else:
        assert len(out.read_text().splitlines()) == 239


def test_bad_file_names_the_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.avr"
    junk.write_bytes(b"hello\nworld\n")
    code, out = run(str(junk))
    assert code == 1 and "junk.avr" in out and "no decodable avr records" in out
    code, out = run(str(tmp_path / "missing.bin"))
    assert code == 1 and "missing.bin" in out


def test_bad_reference_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        run(str(RIDDLE), "--reference", "north")
    assert exc.value.code == 2
