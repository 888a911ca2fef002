"""skyfence.runtime: the allocator setting of long batch runs."""

from __future__ import annotations

import ctypes
import sys

import pytest

from skyfence.runtime import keep_freed_memory


def _glibc() -> bool:
    try:
        ctypes.CDLL(None).gnu_get_libc_version  # noqa: B018 - only glibc has it
    except AttributeError:
        return False
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux") or not _glibc(),
                    reason="mallopt's thresholds are glibc's")
def test_keep_freed_memory_applies_on_glibc() -> None:
    assert keep_freed_memory() is True
    assert keep_freed_memory() is True  # idempotent


def test_keep_freed_memory_is_harmless_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert keep_freed_memory() is False
