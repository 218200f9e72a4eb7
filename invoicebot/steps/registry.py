"""The step registry: the built-in steps, those packages register through the entry-point
group ``invoicebot.steps``, and local ones a configuration names as ``module:object``.

A registered step is a class (instantiated with its settings, validated by its
``settings_model`` when it has one) or a ready object (which takes no settings).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import BaseModel, ValidationError

from invoicebot.model import InvoiceError
from invoicebot.steps.document import PlannedStep, Scope, Step

ENTRY_POINT_GROUP = "invoicebot.steps"
BUILTIN_SOURCE = "built-in"


class StepConfigError(InvoiceError):
    """The steps' configuration names an unknown step, a step that cannot be loaded or be
    given its settings, or an order in which a step's needs are not met."""

    def __init__(self, reason: str, *, where: str = "steps configuration") -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class RegisteredStep:
    """A step before its settings: what registers it (imported by ``load``, only when a
    configuration or a listing needs it), and where it comes from."""

    name: str
    loader: Callable[[], object]
    source: str
    builtin: bool = False

    def load(self) -> object:
        """Return the class or object that registers the step; raise ``StepConfigError``."""
        return self.loader()

    def planned(self, settings: Mapping[str, Any] | None = None) -> PlannedStep:
        """Return the step made with ``settings``; raise ``StepConfigError``."""
        given = dict(settings or {})
        step = _instantiate(self.name, self.load(), given)
        planned = PlannedStep(step=step, source=self.source, settings=given, builtin=self.builtin)
        _check_shape(planned, self.name)
        return planned


def _instantiate(name: str, target: Any, settings: dict[str, Any]) -> Step:
    if not isinstance(target, type):
        if settings:
            raise StepConfigError(f"step {name!r} takes no settings (given {sorted(settings)})")
        ready: Step = target  # its shape is checked next
        return ready
    factory: Callable[..., Step] = target
    model = getattr(target, "settings_model", None)
    if isinstance(model, type) and issubclass(model, BaseModel):
        try:
            validated = model.model_validate(settings)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in item['loc']) or '(top)'}: {item['msg']}"
                for item in error.errors()
            )
            raise StepConfigError(f"step {name!r}: {problems}") from error
        return factory(validated)
    if settings:
        raise StepConfigError(f"step {name!r} takes no settings (given {sorted(settings)})")
    return factory()


def _check_shape(planned: PlannedStep, name: str) -> None:
    step = planned.step
    if not isinstance(getattr(step, "name", None), str) or not callable(getattr(step, "run", None)):
        raise StepConfigError(f"{name!r} is not a step: it needs a name and run(doc)")
    for attribute in ("needs", "adds"):
        value = getattr(step, attribute, None)
        if not isinstance(value, tuple | list) or not all(isinstance(v, str) for v in value):
            raise StepConfigError(f"step {name!r}: {attribute} must be a tuple of names")
    try:
        planned.scope  # noqa: B018  # raises on a scope that is not one of Scope's
    except ValueError as error:
        raise StepConfigError(f"step {name!r}: scope must be one of {list(Scope)}") from error
    if ":" not in name and step.name != name:
        raise StepConfigError(f"{name!r} registers a step named {step.name!r}")


class StepRegistry:
    """Steps by name: the built-in ones first, then the entry points' in name order."""

    def __init__(self, steps: Iterable[RegisteredStep]) -> None:
        self._steps: dict[str, RegisteredStep] = {}
        for step in steps:
            if step.name in self._steps:
                known = self._steps[step.name].source
                raise StepConfigError(
                    f"step {step.name!r} is registered twice ({known}, {step.source})"
                )
            self._steps[step.name] = step

    def all(self) -> list[RegisteredStep]:
        """Return every registered step."""
        return list(self._steps.values())

    def builtin_names(self) -> list[str]:
        """Return the built-in steps' names, in their order."""
        return [step.name for step in self._steps.values() if step.builtin]

    def get(self, name: str) -> RegisteredStep:
        """Return the step a configuration names: a registered name or ``module:object``."""
        if name in self._steps:
            return self._steps[name]
        if ":" in name:
            return load_dotted(name)
        known = ", ".join(self._steps)
        raise StepConfigError(
            f"unknown step {name!r}; registered: {known} (a local step is named as "
            "'module:object'; `invoicebot steps` lists them)"
        )


def builtin_steps(steps: Iterable[Step]) -> list[RegisteredStep]:
    """Return the built-in steps, registered."""
    return [
        RegisteredStep(step.name, functools.partial(_given, step), BUILTIN_SOURCE, builtin=True)
        for step in steps
    ]


def _given(step: object) -> object:
    return step


def entry_point_steps() -> list[RegisteredStep]:
    """Return the steps packages register in the ``invoicebot.steps`` entry-point group
    (their modules are not imported here)."""
    found = []
    for point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda point: point.name):
        package = f"{point.dist.name} {point.dist.version}" if point.dist else point.value
        found.append(RegisteredStep(point.name, functools.partial(_load, point, package), package))
    return found


def _load(point: EntryPoint, package: str) -> object:
    try:
        return point.load()
    except Exception as error:  # a broken package: say which, not a traceback
        raise StepConfigError(
            f"step {point.name!r} of {package} ({point.value}) cannot be loaded: {error!r}"
        ) from error


def load_dotted(path: str) -> RegisteredStep:
    """Return the local step ``module:object`` names."""
    module_name, _, attribute = path.partition(":")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        raise StepConfigError(f"step {path!r} cannot be imported: {error}") from error
    return RegisteredStep(path, functools.partial(_given, target), f"{module_name} (local)")
