"""Zone formats, registered by name, and :func:`load_zones` that picks one per file.

Each format is a module exposing ``parse(text: str, where: str) -> ZoneSet`` (the
``ZoneParser`` role) and ``sniff(text: str) -> bool``. Built-ins are registered the same way
a third party would register one, with :func:`register`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from skyfence.errors import ZoneFormatError
from skyfence.zones.model import ZoneSet

__all__ = ["FORMATS", "ZoneParser", "load_zones", "parse_zones", "register"]


class ZoneParser(Protocol):
    def __call__(self, text: str, where: str) -> ZoneSet: ...


@dataclass(frozen=True)
class Format:
    name: str
    module: str
    extensions: tuple[str, ...]

    def _mod(self) -> object:
        return importlib.import_module(self.module)

    @property
    def parse(self) -> ZoneParser:
        fn: ZoneParser = getattr(self._mod(), "parse")  # noqa: B009
        return fn

    @property
    def sniff(self) -> Callable[[str], bool]:
        fn: Callable[[str], bool] = getattr(self._mod(), "sniff")  # noqa: B009
        return fn


FORMATS: dict[str, Format] = {}


def register(name: str, module: str, extensions: Iterable[str] = ()) -> None:
    """Register a zone format: ``module`` must expose ``parse`` and ``sniff``."""
    FORMATS[name] = Format(name, module, tuple(extensions))


# Order matters for sniffing: the most specific JSON dialects first, plain GeoJSON last.
register("ed269", "skyfence.zones.ed269", (".json",))
register("fir", "skyfence.zones.fir", (".json", ".geojson"))
register("geojson", "skyfence.zones.geojson", (".geojson", ".json"))
register("openair", "skyfence.zones.openair", (".txt", ".air", ".openair"))
register("notam", "skyfence.zones.notam", (".notam", ".txt"))


def _available() -> list[Format]:
    out = []
    for f in FORMATS.values():
        try:
            f._mod()
        except ModuleNotFoundError:
            continue
        out.append(f)
    return out


def parse_zones(text: str, where: str = "<string>", fmt: str | None = None) -> ZoneSet:
    """Parse zones from ``text`` in format ``fmt``, or in the first format that recognises it."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ZoneFormatError(
                f"unknown zone format {fmt!r}: expected one of {', '.join(FORMATS)}", where=where
            )
        try:
            parser = FORMATS[fmt].parse
        except ModuleNotFoundError:
            raise ZoneFormatError(f"zone format {fmt!r} is not available", where=where) from None
        return parser(text, where)
    suffix = Path(where).suffix.lower()
    candidates = _available()
    ordered = [f for f in candidates if suffix in f.extensions] + [
        f for f in candidates if suffix not in f.extensions
    ]
    for f in ordered:
        if f.sniff(text):
            return f.parse(text, where)
    names = ", ".join(f.name for f in candidates)
    raise ZoneFormatError(f"not a zone file in any known format ({names})", where=where)


def load_zones(paths: Iterable[str | Path], fmt: str | None = None) -> ZoneSet:
    """Read and merge the zones of every file in ``paths``. Nothing is half-imported: any
    error raises before a ZoneSet is returned. Duplicate ids across files are an error."""
    out = ZoneSet()
    for p in paths:
        path = Path(p)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ZoneFormatError(f"cannot read: {exc.strerror}", where=str(path)) from None
        except UnicodeDecodeError:
            try:
                text = path.read_text(encoding="latin-1")
            except OSError as exc:  # pragma: no cover - raced removal
                raise ZoneFormatError(f"cannot read: {exc.strerror}", where=str(path)) from None
        zs = parse_zones(text, str(path), fmt)
        dup = [z for z in zs.ids if z in out]
        if dup:
            raise ZoneFormatError(
                f"zone id {dup[0]!r} already defined by an earlier file", where=str(path)
            )
        out = out.merged(zs)
    return out
