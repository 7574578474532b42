"""The ``hue-ar`` command: set up, serve, work, import, and the pipeline and marker tools.

Each command's module is imported when that command runs, so the pipeline's and the markers'
tools start without loading the service (``hue-ar pipeline`` in 0.4 s instead of 1.1 s)."""

from __future__ import annotations

import gc
import importlib
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from hue_cli import errors_as_exit_codes, verbose_option

# Each command and where it lives ("module:attribute").
COMMANDS = {
    "init": "ar_service.commands:init",
    "serve": "ar_service.commands:serve",
    "worker": "ar_service.commands:worker",
    "import-site": "ar_service.commands:import_site_command",
    "demo": "ar_service.commands:demo",
    "plaque": "ar_service.commands:plaque_command",
    "pipeline": "pipeline.cli:pipeline_group",
    "markers": "markers.cli:markers_group",
}


FLASK_OPTIONS = ("env_file", "app", "debug")


class HueARGroup(FlaskGroup):
    """Flask's CLI group, with the commands above loaded on demand (not Flask's plugin or app
    commands: there are none) and project errors printed as one line with a matching exit code.
    Flask's --env-file, --app and --debug are left out: settings come from HUE_AR_* variables
    only, and the app is always ``create_app``."""

    def __init__(self, **extra: Any) -> None:
        super().__init__(load_dotenv=False, **extra)
        self.params = [p for p in self.params if p.name not in FLASK_OPTIONS]

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name].split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        with errors_as_exit_codes():
            return super().invoke(ctx)


def _create_app() -> Flask:
    from ar_service.app import create_app

    return create_app()


@click.group(cls=HueARGroup, create_app=_create_app, add_default_commands=False, add_version_option=False)
@verbose_option
def main() -> None:
    """Hue AR: augmented reality for heritage sites."""
    # The command's modules are loaded by now and live as long as the process: frozen out of the
    # collector, they are not walked again by each full collection, nor by the last one at exit
    # (45 ms of `hue-ar pipeline run`).
    gc.freeze()


if __name__ == "__main__":
    main()
