"""Command line entry point: click parses, one API function runs, user errors print one line."""

from __future__ import annotations

import logging
import sys
import warnings

import click

from vidinvert import __version__
from vidinvert.errors import VidinvertError
from vidinvert.face.native_notices import filter_native_notices
from vidinvert.notices import NOTICE


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vidinvert")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Edit faces in real videos through a StyleGAN2 generator."""
    levels = (NOTICE, logging.INFO, logging.DEBUG)
    handler = _ProgressBarHandler()
    handler.setFormatter(logging.Formatter("%(message)s" if verbose < 2 else "%(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, _ProgressBarHandler)] + [handler]
    root.setLevel(levels[min(verbose, 2)])


def _register_commands() -> None:
    from vidinvert.commands import (
        batch_cmd,
        demo_cmd,
        directions_cmd,
        edit_cmd,
        hide_cmd,
        invert_cmd,
        mix_cmd,
        morph_cmd,
        preview_cmd,
        probe_cmd,
        restore_cmd,
        score_cmd,
        swap_cmd,
        train_cmd,
        weights_cmd,
    )
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
    cli.add_command(batch_cmd.batch)
    cli.add_command(preview_cmd.preview)
    cli.add_command(mix_cmd.mix)
    cli.add_command(morph_cmd.morph)
    cli.add_command(hide_cmd.hide)
    cli.add_command(hide_cmd.reveal)
    cli.add_command(restore_cmd.restore)
    cli.add_command(swap_cmd.swap)


_register_commands()


class _ProgressBarHandler(logging.Handler):
    """Log lines written above a running progress bar instead of through it ("warning: ...")."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm

        try:
            tqdm.write(f"{record.levelname.lower()}: {self.format(record)}", file=sys.stderr)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a VidinvertError becomes one line on stderr and exit status 1."""
    warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype", category=UserWarning)
    if argv is None:
        argv = sys.argv[1:]
        if "-vv" not in argv and argv.count("-v") + argv.count("--verbose") < 2:
            filter_native_notices()
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
