"""The ``rerank-bench`` command line.

Each subcommand lives in its own module under ``harness.commands`` and
exports a ``click.Command`` named ``command``; this module collects them.
A ``HarnessError`` from any command is printed as one line on standard
error with exit status 1; other exceptions are bugs and keep their traceback.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys

import click
from rich.logging import RichHandler

from harness import commands, progress
from harness.errors import HarnessError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.option("-q", "--quiet", is_flag=True, help="Log warnings only and hide progress bars.")
def cli(verbose: bool, quiet: bool) -> None:
    """Measure where a search rerank path spends its latency, and what each
    optimization buys in p95 and costs in ranking quality."""
    level = logging.INFO
    if verbose:
        level = logging.DEBUG
    elif quiet:
        level = logging.WARNING
    logging.basicConfig(
        level=level, format="%(message)s", datefmt="[%X]",
        handlers=[RichHandler(console=progress.console, show_path=False)],
    )
    if quiet:
        progress.enabled = False


def _register_commands() -> None:
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        cli.add_command(module.command)


_register_commands()


def main() -> None:
    """Run the CLI and turn user errors into one line and exit status 1."""
    try:
        status = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("rerank-bench: aborted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        # One line like every other error; click's own form adds a usage block.
        command = exc.ctx.command_path if exc.ctx else "rerank-bench"
        message = exc.format_message().rstrip(".")
        click.echo(f"rerank-bench: error: {message}; see '{command} --help'", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"rerank-bench: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except HarnessError as exc:
        click.echo(f"rerank-bench: error: {exc}", err=True)
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":
    main()
