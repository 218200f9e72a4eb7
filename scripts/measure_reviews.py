"""Measure a scheduled batch on a served stack: from its scheduled start to the last review run.

Run against a fresh `make serve` stack (its inbox empty, no runs yet):

    PREFECT_SERVER_API_PORT=4300 INVOICEBOT_DATA_DIR=/tmp/measure make serve
    uv run python scripts/measure_reviews.py --api http://127.0.0.1:4300/api \
        --inbox /tmp/measure/inbox --count 40
    INVOICEBOT_DATA_DIR=/tmp/measure make stop

Prints the seconds from the batch run's scheduled start to its end, to the last review run
created, and to the last review run suspended on its take form; and how many flow runs and
task runs the stack holds (only the runs that ran: the schedule's future runs are left out).

With ``--decide N`` it then plays an operator on N review runs, one after the other, through
the API as the Resume dialog does: takes the case, waits for the decision form, approves
after ``--think`` seconds, waits for the run to complete; and prints the seconds from the
take to the decision form and from the decision to the run's completion (median, max).
``uv run invoicebot report`` on the stack's data dir then shows the handling times.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from samples.invoices.generate import generate

POLL_S = 2.0


def api(client: httpx.Client, method: str, path: str, body: Any = None) -> Any:
    """Call the Prefect REST API and return its JSON answer."""
    response = client.request(method, path, json=body)
    response.raise_for_status()
    return response.json()


def when(text: str) -> datetime:
    """Return an API timestamp as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def wait(what: str, probe: Any, timeout: float) -> Any:
    """Return the first truthy answer of ``probe``; raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = probe()
        if answer:
            return answer
        time.sleep(POLL_S)
    raise TimeoutError(f"no {what} after {timeout:.0f} s")


def review_runs(client: httpx.Client) -> list[dict[str, Any]]:
    """Return every review run the server holds."""
    body = {"flow_runs": {"tags": {"all_": ["review"]}}, "limit": 200}
    return list(api(client, "POST", "/flow_runs/filter", body))


def waiting_on(client: httpx.Client, run_id: str, key: str) -> bool:
    """Return True when the run waits on the form of pause ``key``."""
    state = api(client, "GET", f"/flow_runs/{run_id}")["state"]
    return bool(state["type"] == "PAUSED" and state["state_details"]["pause_key"] == key)


def take_and_decide(
    client: httpx.Client, run_id: str, *, think: float, timeout: float
) -> tuple[float, float]:
    """Take one review run and approve it; return the seconds from the take to the decision
    form, and from the decision to the run's completion."""
    api(client, "POST", f"/flow_runs/{run_id}/resume", {"run_input": {"operator": "measure"}})
    taken = time.monotonic()
    wait("decision form", lambda: waiting_on(client, run_id, "decision-0-live"), timeout)
    form_after = time.monotonic() - taken
    time.sleep(think)
    api(client, "POST", f"/flow_runs/{run_id}/resume", {"run_input": {"decision": "approve"}})
    decided = time.monotonic()
    wait(
        "completed review",
        lambda: api(client, "GET", f"/flow_runs/{run_id}")["state"]["type"] == "COMPLETED",
        timeout,
    )
    return form_after, time.monotonic() - decided


def summary(values: list[float]) -> dict[str, float] | None:
    """Return the median and the maximum of ``values``, None for none."""
    if not values:
        return None
    return {"median": statistics.median(values), "max": max(values)}


def main() -> None:
    """Drop the samples in the inbox, run the batch deployment, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True, help="the stack's API URL")
    parser.add_argument("--inbox", required=True, type=Path, help="the stack's inbox")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--decide", type=int, default=0, help="review runs to take and approve")
    parser.add_argument("--think", type=float, default=5.0, help="seconds before deciding")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        for document in generate(Path(folder), count=args.count, seed=2026):
            shutil.copy2(document, args.inbox / document.name)
    with httpx.Client(base_url=args.api, timeout=30) as client:
        deployment = api(client, "GET", "/deployments/name/process-inbox/process-inbox")
        batch = api(client, "POST", f"/deployments/{deployment['id']}/create_flow_run", {})
        scheduled = when(batch["expected_start_time"])

        def finished() -> dict[str, Any] | None:
            run: dict[str, Any] = api(client, "GET", f"/flow_runs/{batch['id']}")
            return run if run["state"]["type"] in {"COMPLETED", "FAILED", "CRASHED"} else None

        batch = wait("finished batch", finished, args.timeout)
        reviews = review_runs(client)
        wait(
            "suspended reviews",
            lambda: all(r["state"]["type"] == "PAUSED" for r in review_runs(client)),
            args.timeout,
        )
        suspended = max(when(r["state"]["timestamp"]) for r in review_runs(client))
        ran = {"flow_runs": {"state": {"type": {"not_any_": ["SCHEDULED"]}}}}
        figures = {
            "documents": args.count,
            "batch_state": batch["state"]["type"],
            "review_runs": len(reviews),
            "seconds_schedule_to_batch_end": (when(batch["end_time"]) - scheduled).total_seconds(),
            "seconds_schedule_to_last_review_created": max(
                (when(r["created"]) - scheduled).total_seconds() for r in reviews
            )
            if reviews
            else None,
            "seconds_schedule_to_last_review_suspended": (suspended - scheduled).total_seconds(),
            "flow_runs": api(client, "POST", "/flow_runs/count", ran),
            "task_runs": api(client, "POST", "/task_runs/count", {}),
        }
        timings = [
            take_and_decide(client, run["id"], think=args.think, timeout=args.timeout)
            for run in reviews[: args.decide]
        ]
        figures["reviews_decided"] = len(timings)
        figures["seconds_take_to_decision_form"] = summary([form for form, _ in timings])
        figures["seconds_decision_to_completed"] = summary([done for _, done in timings])
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
