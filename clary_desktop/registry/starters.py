"""The starter model of each task: what the window's welcome panel recommends first.

One rule, here: among the models the user's tier allows (not retired), the catalog's
`recommended` ones win; of those, the one of the highest tier the license includes (the
best the user has paid for), then the smaller, then by name. A task with no recommended
model gets its smallest model of a known size.
"""

from __future__ import annotations

from sqlalchemy import false, or_, select

from clary_desktop.db import Database
from clary_desktop.db.tables import ModelMetadata as M
from clary_desktop.domain.access import Tier


def starter_ids(database: Database, user_tier: Tier) -> dict[str, str]:
    """task (model type) -> the id of its starter model, for tasks that have one."""
    allowed = [t.key for t in Tier if t <= user_tier]
    rank = {t.key: int(t) for t in Tier}
    usable = (M.tier.in_(allowed), or_(M.retired.is_(None), M.retired == false()))
    chosen: dict[str, tuple[tuple[int, int, str], str]] = {}
    with database.read() as session:
        picks = session.execute(
            select(M.id, M.type, M.tier, M.size_bytes, M.name).where(M.recommended, *usable)
        )
        for model_id, task, tier, size, name in picks:
            key = (-rank.get(tier, 0), size if size is not None else 2**63, name)
            if task not in chosen or key < chosen[task][0]:
                chosen[task] = (key, model_id)
        starters = {task: model_id for task, (_key, model_id) in chosen.items()}
        tasks = session.scalars(select(M.type).distinct().where(*usable))
        for task in [t for t in tasks if t not in starters]:
            smallest = session.scalar(
                select(M.id)
                .where(M.type == task, M.size_bytes.is_not(None), *usable)
                .order_by(M.size_bytes, M.name)
                .limit(1)
            )
            if smallest is not None:
                starters[task] = smallest
    return dict(sorted(starters.items()))
