"""Options that keep an older spelling working without showing it in --help."""

from __future__ import annotations

import click


class HiddenAliases(click.Option):
    """A click option whose `aliases` (extra names in its declarations) work but are not listed in --help."""

    def __init__(self, *args, aliases: tuple[str, ...] = (), **kwargs) -> None:
        self.aliases = set(aliases)
        super().__init__(*args, **kwargs)

    def get_help_record(self, ctx: click.Context):
        opts, secondary = self.opts, self.secondary_opts
        self.opts = [o for o in opts if o not in self.aliases]
        self.secondary_opts = [o for o in secondary if o not in self.aliases]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts, self.secondary_opts = opts, secondary


def add_hidden_alias(command: click.Command, name: str, alias: str) -> None:
    """Let `command`'s option `name` also be spelled `alias`, without showing it in --help."""
    (option,) = [p for p in command.params if p.name == name]
    option.opts.append(alias)
    option.__class__ = HiddenAliases
    option.aliases = {alias}
