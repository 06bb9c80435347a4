"""Every fault of the generated world, in order: the faults of data_faults.py and the
registries' habits of habits.py (which builds on data_faults' helpers)."""
from __future__ import annotations

from .data_faults import (
    Ctx, deceased_paid, deceased_suspect, hard_negatives, invalid_ids, id_name_mismatch, id_attr_mismatch, duplicate_benefit, not_in_registry, moved_out, household_size_changed, gradual_exit, malformed_rows, roster_birth_date_deaths, ambiguous_namesakes,
)
from .habits import inject_habits


def inject_all(ctx: Ctx) -> None:
    """All faults, in an order where later ones cannot disturb earlier ones."""
    deceased_rows = deceased_paid(ctx)
    deceased_suspect(ctx)
    hard_negatives(ctx)
    deceased_rows += inject_habits(ctx)
    invalid_ids(ctx)
    id_name_mismatch(ctx)
    id_attr_mismatch(ctx)
    duplicate_benefit(ctx)
    not_in_registry(ctx)
    moved_out(ctx)
    household_size_changed(ctx, deceased_rows)
    gradual_exit(ctx)
    malformed_rows(ctx)
    # Added last, from a random stream of their own (spawning it draws nothing from
    # ctx.rng), so the faults above and the files' random styles stay as they were.
    used = ctx.households["used"].to_numpy().copy()
    main_rng, ctx.rng = ctx.rng, ctx.rng.spawn(1)[0]
    roster_birth_date_deaths(ctx)
    ambiguous_namesakes(ctx)
    ctx.rng = main_rng
    # The poverty registry chooses its covered households among those no earlier fault
    # used, as before these two were added, so that it stays what it was for the seed.
    ctx.households["late_fault"] = ctx.households["used"].to_numpy() & ~used
