"""The steps' task runs leave out their routine log lines, never their failures."""

from __future__ import annotations

import logging

from flows.step_tasks import QUIET, TASK_PREFIX, quiet_step_runs


def record(level: int, task_name: str) -> logging.LogRecord:
    made = logging.LogRecord("prefect.task_runs", level, __file__, 1, "Finished", None, None)
    made.task_name = task_name
    return made


def test_routine_lines_of_steps_are_left_out_and_failures_kept() -> None:
    assert not QUIET.filter(record(logging.INFO, f"{TASK_PREFIX}claim"))
    assert QUIET.filter(record(logging.ERROR, f"{TASK_PREFIX}claim"))
    assert QUIET.filter(record(logging.INFO, "process-documents"))


def test_the_filter_is_installed_once() -> None:
    quiet_step_runs()
    quiet_step_runs()
    assert logging.getLogger("prefect.task_runs").filters.count(QUIET) == 1
