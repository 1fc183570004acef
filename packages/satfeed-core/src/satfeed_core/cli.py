"""Command-line flags that take their defaults from environment variables.

Every satfeed service is configured the same way: in Kubernetes through environment
variables, by hand through flags; a flag wins over its variable, and ``--help`` names both.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EnvFlag:
    """One flag, the environment variable that sets its default, and argparse keywords."""

    flag: str
    env: str
    help: str
    argparse_kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


def env_flag_parser(
    prog: str, description: str, flags: Sequence[EnvFlag]
) -> argparse.ArgumentParser:
    """A parser whose help shows each flag's variable in brackets."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=description,
        epilog="Every flag can also be set by the environment variable shown in brackets; "
        "a flag wins over its variable.",
    )
    for each in flags:
        parser.add_argument(each.flag, help=f"{each.help} [{each.env}]", **each.argparse_kwargs)
    return parser


def parse_env_flags(
    parser: argparse.ArgumentParser,
    flags: Sequence[EnvFlag],
    argv: Sequence[str] | None,
    environ: Mapping[str, str],
) -> argparse.Namespace:
    """Flags over environment over defaults; a variable that does not convert is a usage error.

    An empty variable counts as unset, as Kubernetes manifests often template empty values.
    """
    for each in flags:
        raw = environ.get(each.env, "")
        if raw == "":
            continue
        converter = each.argparse_kwargs.get("type", str)
        try:
            value = converter(raw)
        except ValueError:
            parser.error(f"{each.env}={raw!r} is not a valid {each.flag} value")
        choices = each.argparse_kwargs.get("choices")
        if choices is not None and value not in choices:
            parser.error(f"{each.env}={raw!r} is not one of {', '.join(map(str, choices))}")
        parser.set_defaults(**{each.dest: value})
    return parser.parse_args(argv)
