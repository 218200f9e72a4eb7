"""The steps' configuration: which steps run, in what order, with what settings.

Operators write it as YAML (``INVOICEBOT_STEPS_CONFIG``, example in
``config/steps.example.yaml``), a ``steps:`` list whose items are a step's name (registered,
or ``module:object`` for a local step) or a one-key mapping of the name to its settings::

    steps:
      - claim
      - extract
      - validate
      - classify
      - store
      - route
      - export: {folder: /data/exports}

Every built-in step must be listed; each step's needs must be added by a step before it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from invoicebot.steps.document import PlannedStep
from invoicebot.steps.registry import (
    RegisteredStep,
    StepConfigError,
    StepRegistry,
    builtin_steps,
    entry_point_steps,
)

# A step's name with its settings (an empty mapping: none).
StepEntry = tuple[str, dict[str, Any]]


def parse_steps_config(data: Any, *, where: str) -> list[StepEntry]:
    """Return the entries of a parsed YAML file; raise ``StepConfigError``."""
    if not isinstance(data, dict) or set(data) != {"steps"}:
        raise StepConfigError("the file must hold one key, steps: a list of steps", where=where)
    items = data["steps"]
    if not isinstance(items, list) or not items:
        raise StepConfigError("steps must be a list of step names", where=where)
    entries: list[StepEntry] = []
    for position, item in enumerate(items, start=1):
        if isinstance(item, str):
            entries.append((item, {}))
        elif isinstance(item, dict) and len(item) == 1:
            ((name, settings),) = item.items()
            if not isinstance(name, str) or not isinstance(settings, dict | None):
                raise StepConfigError(
                    f"item {position}: write `- name: {{setting: value}}`", where=where
                )
            entries.append((name, dict(settings or {})))
        else:
            raise StepConfigError(
                f"item {position}: a step's name, or one name with its settings", where=where
            )
    return entries


def read_steps_config(path: Path) -> list[StepEntry]:
    """Return the entries of the YAML file ``path``; raise ``StepConfigError``."""
    where = f"steps configuration {path}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise StepConfigError(f"cannot read it ({error.strerror})", where=where) from error
    except yaml.YAMLError as error:
        raise StepConfigError(f"not valid YAML: {error}", where=where) from error
    return parse_steps_config(data, where=where)


def build_plan(
    entries: Sequence[StepEntry], registry: StepRegistry, *, where: str = "steps configuration"
) -> tuple[PlannedStep, ...]:
    """Return the steps of ``entries`` made with their settings, checked: every step
    known, every built-in one present, each one's needs met by the steps before it."""
    names = [name for name, _settings in entries]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise StepConfigError(f"step(s) listed twice: {', '.join(repeated)}", where=where)
    missing = [name for name in registry.builtin_names() if name not in names]
    if missing:
        raise StepConfigError(
            f"the built-in step(s) {', '.join(missing)} must be listed: every document "
            f"goes through {' -> '.join(registry.builtin_names())}",
            where=where,
        )
    try:
        plan = tuple(registry.get(name).planned(settings) for name, settings in entries)
    except StepConfigError as error:
        raise StepConfigError(error.reason, where=where) from error
    check_order(plan, where=where)
    return plan


def check_order(plan: Sequence[PlannedStep], *, where: str = "steps configuration") -> None:
    """Raise ``StepConfigError`` unless each step's needs are added by a step before it:
    naming the missing name when no step adds it, the steps that need each other's names
    when no order can work (a cycle), or else the step to move."""
    every_added = {name for step in plan for name in step.adds}
    for step in plan:
        unknown = [need for need in step.needs if need not in every_added]
        if unknown:
            raise StepConfigError(
                f"step {step.name!r} needs {unknown[0]!r}, which no step adds", where=where
            )
    added: set[str] = set()
    for position, step in enumerate(plan):
        waiting = [need for need in step.needs if need not in added]
        if waiting:
            stuck = _unorderable(plan)
            if stuck:
                raise StepConfigError(
                    "steps that need each other's names, in a cycle: " + ", ".join(stuck),
                    where=where,
                )
            later = next(other.name for other in plan[position + 1 :] if waiting[0] in other.adds)
            raise StepConfigError(
                f"step {step.name!r} needs {waiting[0]!r}, which {later!r} adds after it: "
                f"list {step.name!r} after {later!r}",
                where=where,
            )
        added |= set(step.adds)


def _unorderable(plan: Sequence[PlannedStep]) -> list[str]:
    """Return the steps no order can place (each needs a name only they add), or none."""
    added: set[str] = set()
    left = list(plan)
    progress = True
    while left and progress:
        ready = [step for step in left if set(step.needs) <= added]
        progress = bool(ready)
        for step in ready:
            added |= set(step.adds)
        left = [step for step in left if step not in ready]
    return [step.name for step in left]


def default_entries(registry: StepRegistry) -> list[StepEntry]:
    """Return the default path: the built-in steps, without settings."""
    return [(name, {}) for name in registry.builtin_names()]


class StepPlanner:
    """Makes the registry and the configured plan once, and again when the file changes."""

    def __init__(self, builtins: Sequence[RegisteredStep] | None = None) -> None:
        self._builtins = list(builtins or [])
        self._lock = threading.Lock()
        self._registry: StepRegistry | None = None
        self._plans: dict[tuple[Path | None, int], tuple[PlannedStep, ...]] = {}

    def registry(self) -> StepRegistry:
        """Return the built-in steps and the entry points' (loaded once)."""
        with self._lock:
            if self._registry is None:
                self._registry = StepRegistry([*self._builtins, *entry_point_steps()])
            return self._registry

    def plan(self, path: Path | None) -> tuple[PlannedStep, ...]:
        """Return the steps the file ``path`` configures (None: the built-in path); kept
        until the file changes on disk, so calling this per document is cheap."""
        modified = 0
        if path is not None:
            try:
                modified = path.stat().st_mtime_ns
            except OSError as error:
                raise StepConfigError(
                    f"cannot read it ({error.strerror})", where=f"steps configuration {path}"
                ) from error
        key = (path, modified)
        with self._lock:
            cached = self._plans.get(key)
        if cached is not None:
            return cached
        registry = self.registry()
        if path is None:
            plan = build_plan(default_entries(registry), registry)
        else:
            entries = read_steps_config(path)
            plan = build_plan(entries, registry, where=f"steps configuration {path}")
        with self._lock:
            self._plans[key] = plan
        return plan


def builtin_planner(steps: Sequence[Any]) -> StepPlanner:
    """Return a planner over the built-in ``steps``."""
    return StepPlanner(builtin_steps(steps))
