"""What a test of one download source found, in plain words for the fronts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

CheckState = Literal["works", "doubtful", "unreachable"]


class SourceCheck(BaseModel):
    """`state`: "works" (it answered as a source of its kind should), "doubtful" (it
    answered, but not as expected: `detail` says how) or "unreachable"."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: str
    address: str
    state: CheckState
    detail: str

    @property
    def works(self) -> bool:
        return self.state == "works"
