"""`invoicebot export facturx` without Ghostscript: a clear error, exit 2, nothing written
(never a Factur-X file that is not PDF/A)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from invoicebot.export_cli import EXIT_USAGE, export_app


def test_export_facturx_without_ghostscript_writes_nothing_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("INVOICEBOT_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "out"
    done = CliRunner().invoke(export_app, ["facturx", "--out", str(out)])
    assert done.exit_code == EXIT_USAGE
    assert "Ghostscript (gs) is needed to write Factur-X PDF/A-3 files" in done.stderr
    assert not out.exists() and not (tmp_path / "data").exists()
