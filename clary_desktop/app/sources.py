"""Changes to the ordered list of download sources (settings.Source), one rule for every
front: names are unique, positions count from 1, the list never ends up empty."""

from __future__ import annotations

from pydantic import ValidationError

from clary_desktop.errors import ClaryError
from clary_desktop.settings import Settings, Source


def with_sources(settings: Settings, sources: list[Source]) -> Settings:
    """`settings` with `sources` as the list; ClaryError in plain words when it is not
    a valid list."""
    try:
        return Settings.model_validate({**settings.model_dump(), "sources": sources})
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise ClaryError(f"The list of sources cannot be saved: {problem}.") from None


def added(sources: list[Source], source: Source, position: int | None) -> list[Source]:
    if any(s.name.lower() == source.name.lower() for s in sources):
        raise ClaryError(
            f"There is already a source named {source.name!r}. Choose another name, or "
            "remove that one first."
        )
    index = len(sources) if position is None else _index(sources, position, extra=1)
    return [*sources[:index], source, *sources[index:]]


def removed(sources: list[Source], name: str) -> list[Source]:
    source = find(sources, name)
    if len(sources) == 1:
        raise ClaryError(
            f"{source.name!r} is the only source, and files need at least one place to come "
            "from. Add another source first."
        )
    return [s for s in sources if s is not source]


def moved(sources: list[Source], name: str, position: int) -> list[Source]:
    source = find(sources, name)
    rest = [s for s in sources if s is not source]
    index = _index(sources, position)
    return [*rest[:index], source, *rest[index:]]


def find(sources: list[Source], name: str) -> Source:
    for source in sources:
        if source.name.lower() == name.strip().lower():
            return source
    listed = ", ".join(s.name for s in sources)
    raise ClaryError(f"There is no source named {name!r}; the sources are: {listed}.")


def _index(sources: list[Source], position: int, extra: int = 0) -> int:
    last = len(sources) + extra
    if not 1 <= position <= last:
        raise ClaryError(f"Position {position} is not in the list: choose 1 to {last}.")
    return position - 1
