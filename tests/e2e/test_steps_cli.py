"""`invoicebot steps` as developers and scripts run it: a real process."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli import invoicebot, isolated_env

BUILTIN = ["claim", "extract", "validate", "classify", "store", "route"]


def test_steps_lists_the_path_in_order_with_sources_and_settings(tmp_path: Path) -> None:
    config = tmp_path / "steps.yaml"
    config.write_text("steps: [" + ", ".join(BUILTIN) + ", {notify: {attempts: 5}}]\n")
    env = isolated_env(tmp_path) | {"INVOICEBOT_STEPS_CONFIG": str(config)}
    done = invoicebot("steps", "--json", env=env)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(row["name"], row["order"]) for row in rows] == [
        *((name, order) for order, name in enumerate(BUILTIN, start=1)),
        ("notify", 7),
        ("export", None),
    ]
    assert {row["source"] for row in rows[:6]} == {"built-in"}
    assert rows[6]["source"].startswith("invoicebot ") and rows[6]["settings"] == {"attempts": 5}
    assert rows[2] | {"source": ""} == {
        "name": "validate",
        "order": 3,
        "source": "",
        "scope": "invoice",
        "needs": ["extractions"],
        "adds": ["results"],
        "settings": {},
    }


def test_steps_refuses_a_wrong_configuration(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: [claim, extract, validate, classify, route, store]\n")
    done = invoicebot("steps", "--config", str(bad), env=isolated_env(tmp_path))
    assert done.returncode == 1
    assert "step 'route' needs 'stored', which 'store' adds after it" in done.stderr
