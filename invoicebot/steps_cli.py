"""``invoicebot steps``: the flow steps, in the order each document goes through them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from invoicebot.settings import Settings

EXIT_BAD_CONFIG = 1

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="check this steps configuration (YAML) instead of INVOICEBOT_STEPS_CONFIG",
        dir_okay=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="print a JSON list of the steps")]


def steps(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """List the registered flow steps: those configured in run order, then the others;
    each with its source (built-in, or the package that registers it) and settings."""
    from invoicebot.steps import StepConfigError

    path = config if config is not None else Settings().steps_config
    try:
        rows = step_rows(path)
    except StepConfigError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(EXIT_BAD_CONFIG) from error
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, default=str))
        return
    table = Table(title=f"Flow steps ({path or 'built-in path'})")
    for column in ("order", "step", "source", "scope", "needs", "adds"):
        table.add_column(column, no_wrap=column != "source")
    table.add_column("settings", overflow="fold")
    for row in rows:
        table.add_row(
            str(row["order"]) if row["order"] is not None else "[dim]off[/]",
            row["name"],
            row["source"],
            row["scope"],
            ", ".join(row["needs"]),
            ", ".join(row["adds"]),
            json.dumps(row["settings"], default=str) if row["settings"] else "",
        )
    Console().print(table)


def step_rows(path: Path | None) -> list[dict[str, Any]]:
    """Return one row per registered step: the configured ones in run order (``order``
    from 1), then the registered ones not configured (``order`` null); raise
    ``StepConfigError`` for a wrong configuration or a step that cannot be loaded."""
    from invoicebot.pipeline import PLANNER

    plan = PLANNER.plan(path)
    rows: list[dict[str, Any]] = [
        {
            "name": step.name,
            "order": order,
            "source": step.source,
            "scope": step.scope.value,
            "needs": list(step.needs),
            "adds": list(step.adds),
            "settings": dict(step.settings),
        }
        for order, step in enumerate(plan, start=1)
    ]
    configured = {step.name for step in plan}
    for registered in PLANNER.registry().all():
        if registered.name in configured:
            continue
        # Not made: a step that needs settings is listed without them.
        target = registered.load()
        rows.append(
            {
                "name": registered.name,
                "order": None,
                "source": registered.source,
                "scope": str(getattr(target, "scope", "document")),
                "needs": list(getattr(target, "needs", ())),
                "adds": list(getattr(target, "adds", ())),
                "settings": {},
            }
        )
    return rows
