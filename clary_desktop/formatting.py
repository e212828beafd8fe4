"""Human-readable figures shared by the CLI and the window."""

from __future__ import annotations

_DECIMAL = ("B", "kB", "MB", "GB", "TB", "PB")
_BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def format_size(size: int | None) -> str:
    """Decimal units, as the Hugging Face Hub lists files: 4920733888 -> '4.92 GB'."""
    return _in_units(size, 1000, _DECIMAL)


def format_memory(size: int | None) -> str:
    """Binary units, as memory is sold and operating systems report it: 2**34 -> '16 GiB'."""
    return _in_units(size, 1024, _BINARY)


def _in_units(size: int | None, step: int, units: tuple[str, ...]) -> str:
    if size is None:
        return "unknown"
    value = float(size)
    for unit in units:
        if value < step or unit == units[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
        value /= step
    raise AssertionError("unreachable")


def format_count(value: int | None) -> str:
    """Parameter counts as model cards write them: 8030261248 -> '8 B'."""
    if value is None:
        return "—"
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= size:
            return f"{value / size:.1f} {unit}".replace(".0 ", " ")
    return str(value)


def format_duration(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return "—"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
