"""Command line entry point: click parses, one API function runs, user errors print one line."""

from __future__ import annotations

import logging
import os
import sys
import warnings

import click

from vidinvert import __version__
from vidinvert.errors import VidinvertError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vidinvert")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Edit faces in real videos through a StyleGAN2 generator."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _register_commands() -> None:
    from vidinvert.commands import (demo_cmd, directions_cmd, edit_cmd, invert_cmd, probe_cmd, score_cmd, train_cmd,
                                    weights_cmd)
    from vidinvert.commands.eval_cmd import eval_command

    cli.add_command(edit_cmd.edit)
    cli.add_command(invert_cmd.invert)
    cli.add_command(probe_cmd.probe)
    cli.add_command(eval_command)
    cli.add_command(score_cmd.score)
    cli.add_command(directions_cmd.directions)
    cli.add_command(weights_cmd.weights)
    cli.add_command(train_cmd.train)
    cli.add_command(demo_cmd.demo)


_register_commands()


def _quiet_native_libraries(argv: list[str]) -> None:
    """Keep mediapipe's C++ start-up notices (TFLite, absl) off the terminal.

    Python keeps writing to the real stderr through a duplicate of it, while the process-level
    stderr that native code writes to goes to /dev/null. `-vv` keeps everything.
    """
    warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype", category=UserWarning)
    if "-vv" in argv or argv.count("-v") + argv.count("--verbose") >= 2:
        return
    try:
        sys.stderr.flush()
        real = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = os.fdopen(real, "w", buffering=1, encoding=sys.stderr.encoding, errors="backslashreplace")
    except (OSError, AttributeError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a VidinvertError becomes one line on stderr and exit status 1."""
    if argv is None:
        argv = sys.argv[1:]
        _quiet_native_libraries(argv)
    try:
        cli.main(args=argv, prog_name="vidinvert", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except VidinvertError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
