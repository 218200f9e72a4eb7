"""The steps' configuration: the default path, entry points, local steps, and clear errors."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from invoicebot.pipeline import BUILTIN_STEPS, PLANNER
from invoicebot.steps import StepConfigError, StepResult
from invoicebot.steps.config import StepPlanner, build_plan, parse_steps_config
from invoicebot.steps.document import DocumentContext
from invoicebot.steps.registry import (
    ENTRY_POINT_GROUP,
    RegisteredStep,
    StepRegistry,
    builtin_steps,
    entry_point_steps,
)

BUILTIN = ["claim", "extract", "validate", "classify", "store", "route"]


@dataclass(frozen=True)
class Fake:
    """A step that only declares."""

    name: str
    needs: tuple[str, ...] = ()
    adds: tuple[str, ...] = ()

    def run(self, doc: DocumentContext) -> StepResult:
        return StepResult()


def registry(*extra: Fake) -> StepRegistry:
    steps = builtin_steps(BUILTIN_STEPS)
    return StepRegistry([*steps, *(RegisteredStep(s.name, lambda s=s: s, "tests") for s in extra)])


def plan_of(yaml_steps: list[object], *extra: Fake) -> list[str]:
    entries = parse_steps_config({"steps": yaml_steps}, where="test")
    return [step.name for step in build_plan(entries, registry(*extra))]


def test_the_default_path_is_the_builtin_steps() -> None:
    plan = PLANNER.plan(None)
    assert [step.name for step in plan] == BUILTIN
    assert {step.source for step in plan} == {"built-in"}
    assert all(step.builtin for step in plan)


def test_the_optional_steps_come_from_the_entry_point_group() -> None:
    found = {step.name: step for step in PLANNER.registry().all()}
    assert found["export"].source.startswith("invoicebot ")
    assert found["notify"].source.startswith("invoicebot ")
    assert not found["export"].builtin


def test_an_example_configuration_file_is_valid(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[3] / "config" / "steps.example.yaml"
    assert [step.name for step in StepPlanner(builtin_steps(BUILTIN_STEPS)).plan(example)] == (
        BUILTIN
    )
    with_export = tmp_path / "steps.yaml"
    text = example.read_text().replace(
        "  # - export: {folder: /data/exports", "  - export: {folder: /x"
    )
    with_export.write_text(text)
    plan = StepPlanner(builtin_steps(BUILTIN_STEPS)).plan(with_export)
    assert plan[-1].name == "export"
    assert plan[-1].settings == {"folder": "/x", "formats": ["csv", "parquet"]}


def test_steps_take_their_place_and_settings() -> None:
    note = Fake("note", needs=("outcomes",), adds=("noted",))
    assert plan_of([*BUILTIN, "note"], note) == [*BUILTIN, "note"]
    early = Fake("early", adds=("early",))
    assert plan_of(["early", *BUILTIN], early)[0] == "early"


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([*BUILTIN, "nope"], "unknown step 'nope'"),
        (["claim", "extract", "validate", "store", "route"], "classify must be listed"),
        ([*BUILTIN, "route"], "listed twice: route"),
        ([*BUILTIN, "lonely"], "step 'lonely' needs 'nothing', which no step adds"),
        (["claim", "validate", "extract", *BUILTIN[3:]], "list 'validate' after 'extract'"),
        ([*BUILTIN, "chicken", "egg"], "in a cycle: chicken, egg"),
        ([*BUILTIN, {"export": {"colour": "red"}}], "colour: Extra inputs are not permitted"),
        ([*BUILTIN, {"lonely": {"x": 1}}], "'lonely' takes no settings"),
        ([*BUILTIN, "nowhere.at.all:Step"], "'nowhere.at.all:Step' cannot be imported"),
        ([*BUILTIN, 3], "item 7: a step's name"),
    ],
)
def test_a_wrong_configuration_is_refused_with_its_reason(
    steps: list[object], message: str
) -> None:
    extra = (
        Fake("lonely", needs=("nothing",)),
        Fake("chicken", needs=("egg",), adds=("chicken",)),
        Fake("egg", needs=("chicken",), adds=("egg",)),
    )
    reg = registry(*extra)
    reg._steps["export"] = PLANNER.registry().get("export")
    with pytest.raises(StepConfigError, match=message.replace("(", r"\(")):
        build_plan(parse_steps_config({"steps": steps}, where="test"), reg)


def test_a_file_that_is_not_a_steps_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "steps.yaml"
    path.write_text("rules: {}\n")
    with pytest.raises(StepConfigError, match=f"steps configuration {path}: the file must hold"):
        StepPlanner().plan(path)
    with pytest.raises(StepConfigError, match="cannot read it"):
        StepPlanner().plan(tmp_path / "missing.yaml")


def test_a_local_step_is_named_by_its_import_path() -> None:
    plan = build_plan(
        parse_steps_config({"steps": [*BUILTIN, "tests.unit.steps.test_config:LOCAL"]}, where="t"),
        registry(),
    )
    assert plan[-1].name == "local"
    assert plan[-1].source == "tests.unit.steps.test_config (local)"


LOCAL = Fake("local", needs=("outcomes",))


def test_a_broken_entry_point_names_its_package(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = EntryPoint(name="broken", value="nowhere.at.all:Step", group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(
        "invoicebot.steps.registry.entry_points", lambda group: [broken] if group else []
    )
    (registered,) = entry_point_steps()  # listed without being imported
    with pytest.raises(StepConfigError, match=r"step 'broken' of nowhere.at.all:Step .* cannot"):
        registered.planned()
