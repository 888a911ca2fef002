"""Shared fixtures.

``traffic_data``: the ``data`` folder of the installed ``traffic`` package, which ships real
airspace files (EUROCONTROL FIRs, traffic's airspace samples). Tests that need it are skipped,
with the reason, when the package is not installed (it is a dev extra, not a dependency).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def traffic_data() -> Path:
    # find_spec, not import: importing traffic creates cache directories and loads pandas
    spec = importlib.util.find_spec("traffic")
    if spec is None or spec.origin is None:
        pytest.skip("the 'traffic' package is not installed (pip install -e '.[dev]'): "
                    "no real airspace files to test on")
    data = Path(spec.origin).parent / "data"
    if not data.is_dir():
        pytest.skip(f"the 'traffic' package has no data folder at {data}")
    return data
