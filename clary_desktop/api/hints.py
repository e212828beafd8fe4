"""The API's form of an error's next step: data for the calling program, not words.

`{"action": "cancel_download", "job_id": 3}`: the action names the step (the values of
`errors.Action`), the other keys are its parameters.
"""

from __future__ import annotations

from clary_desktop.errors import ClaryError


def hint_body(error: ClaryError) -> dict[str, str | int] | None:
    hint = error.hint
    return {"action": str(hint.action), **hint.params()} if hint else None
