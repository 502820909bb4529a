"""The gate every later step asks: did anything in this run fail?

Dagster skips the assets downstream of a failed blocking check, but it can still run the
dbt step for the models the failure does not reach, and a step that merely depends on
assets still runs after that. tepat's rule is stricter: after any failed check or step,
nothing more is built and nothing is published.

A roster or BPS file that fails its raw gate is held back, not a failure (DESIGN §4): the
loader records it instead of failing its asset, and the GE check passes after writing it to
meta.held_back_files (orchestration/quality/holdback.py), so it never reaches this list and
the night publishes everything else. What every mart stands on still fails here.
"""

from collections.abc import Iterable

import dagster as dg


def failures_in_run(
    instance: dg.DagsterInstance, run_id: str, must_be_built: Iterable[dg.AssetKey] = ()
) -> list[str]:
    """Failed steps and checks of the run so far, and required assets it did not build."""
    from dagster import DagsterEventType

    reasons = [
        f"step {record.step_key} failed"
        for record in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
    ]
    for record in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = record.dagster_event.event_specific_data
        if not evaluation.passed:
            reasons.append(
                f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed"
            )
    built = {
        record.dagster_event.asset_key
        for record in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
    }
    reasons += [
        f"{key.to_user_string()} was not rebuilt" for key in sorted(set(must_be_built) - built)
    ]
    return reasons
