"""The ``hue-ar`` command loads a command's module only when that command runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ar_service.cli import COMMANDS, main

FUZE = Path(__file__).resolve().parents[1] / "data" / "fuze"

PIPELINE_ALONE = """
import json, sys
from ar_service.cli import main
main(["pipeline", "inspect", sys.argv[1], "--json"], standalone_mode=False)
service = ("ar_service.app", "ar_service.commands", "sqlalchemy", "markers")
print(json.dumps([name for name in service if name in sys.modules]))
"""


def test_a_pipeline_command_runs_without_loading_the_service() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PIPELINE_ALONE, str(FUZE)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    report, loaded = done.stdout.strip().rsplit("\n", 1)
    assert json.loads(report)["triangles"] == 1000
    assert json.loads(loaded) == []


def test_help_lists_every_command_and_an_unknown_one_is_refused() -> None:
    listed = CliRunner().invoke(main, ["--help"])
    assert listed.exit_code == 0
    assert all(name in listed.output for name in COMMANDS)
    # Settings come from HUE_AR_* variables only: Flask's own options would be silently ignored.
    assert not any(option in listed.output for option in ("--env-file", "--app", "--debug"))
    unknown = CliRunner().invoke(main, ["sevre"])
    assert unknown.exit_code == 2 and "No such command 'sevre'" in unknown.output


def test_an_error_is_one_line_and_verbose_anywhere_on_the_line_adds_its_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.obj"
    bad.write_text("this is not a mesh\n")
    runner = CliRunner()
    for args, words, verbose_here in (
        (["pipeline", "inspect", str(bad)], "error: ingest: bad.obj: ", ["pipeline", "inspect", "--verbose"]),
        (
            ["pipeline", "run", str(bad), "--out", str(tmp_path)],
            "error: ingest: bad.obj: ",
            ["pipeline", "run", "--verbose"],
        ),
        (["markers", "score", str(bad)], "error: image: bad.obj: ", ["markers", "--verbose", "score"]),
    ):
        plain = runner.invoke(main, args)
        error = plain.stderr.splitlines()[-1]
        assert plain.exit_code == 2 and error.startswith(words), plain.stderr
        assert "Traceback" not in plain.stderr
        for verbose in (["--verbose", *args], [*verbose_here, *args[2:]]):
            shown = runner.invoke(main, verbose)
            assert shown.exit_code == 2
            assert "Traceback (most recent call last)" in shown.stderr, verbose
            assert shown.stderr.splitlines()[-1] == error


def test_a_service_command_before_init_says_to_run_init(tmp_path: Path) -> None:
    runner = CliRunner(env={"HUE_AR_INSTANCE_PATH": str(tmp_path / "instance")})
    for args in (["plaque", "thien-mu", "-o", str(tmp_path / "p.pdf")], ["import-site", str(tmp_path)]):
        done = runner.invoke(main, args)
        assert done.exit_code == 2, done.output
        assert done.stderr.splitlines()[-1] == (
            "error: database: it has no tables yet; run `hue-ar init` to create or migrate it"
        )
