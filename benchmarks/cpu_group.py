"""CPU seconds of a command and every process it starts, the ended ones included.

A cpuacct cgroup (cgroup v1) or a cgroup v2 holds the command from its first instruction;
its children (a fork server, the processes it forks, tesseract) are born in it, so the
group's usage counts them all, whoever reaps them. Needs root.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CGROUP_V1 = Path("/sys/fs/cgroup/cpuacct")
CGROUP_V2 = Path("/sys/fs/cgroup")


class CpuGroup:
    """A cgroup whose processes' CPU time, ended processes included, can be read."""

    def __init__(self, name: str) -> None:
        if (CGROUP_V1 / "cpuacct.usage").exists():
            self.path = CGROUP_V1 / name
            self.usage_file, self.scale = "cpuacct.usage", 1e-9
        elif (CGROUP_V2 / "cgroup.controllers").exists():
            self.path = CGROUP_V2 / name
            self.usage_file, self.scale = "cpu.stat", 1e-6
        else:
            raise RuntimeError("no cpuacct cgroup (v1) nor cgroup v2 under /sys/fs/cgroup")
        self.path.mkdir(exist_ok=True)

    def seconds(self) -> float:
        """Return the CPU seconds of every process that was ever in the group."""
        text = (self.path / self.usage_file).read_text()
        if self.usage_file == "cpu.stat":
            usage = next(line for line in text.splitlines() if line.startswith("usage_usec"))
            return int(usage.split()[1]) * self.scale
        return int(text) * self.scale

    def remove(self) -> None:
        """Move what still runs in the group out of it, then remove the group (a process
        that has just exited may hold it a moment longer)."""
        deadline = time.monotonic() + 30
        while True:
            for pid in (self.path / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError):
                    (self.path.parent / "cgroup.procs").write_text(pid)
            try:
                self.path.rmdir()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def start_in(group: CpuGroup, argv: Sequence[str], **popen: Any) -> subprocess.Popen[Any]:
    """Start ``argv`` inside ``group`` (the shell enters it, then becomes the command)."""
    enter = f'echo $$ > {group.path / "cgroup.procs"} && exec "$0" "$@"'
    return subprocess.Popen(["sh", "-c", enter, *argv], **popen)
