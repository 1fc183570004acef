"""Write (or check) the "## Values" table of a chart's README from its values.yaml.

Every key documented with ``## @param <key> <text>`` (grouped by ``## @section``) becomes a
row with its default, as Bitnami's readme generator does; the README's prose above
"## Values" is kept.

    uv run --frozen python scripts/chart_readme.py charts/satfeed-frontend [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

_SECTION = re.compile(r"\s*## @section (.+)")
_PARAM = re.compile(r"\s*## @param (\S+) (.+)")
_HEADING = "## Values"


def documented_params(values_text: str) -> list[tuple[str | None, str, str]]:
    """(section, key, description) for every ``@param``, in file order."""
    section: str | None = None
    params = []
    for line in values_text.splitlines():
        if match := _SECTION.match(line):
            section = match.group(1).strip()
        elif match := _PARAM.match(line):
            params.append((section, match.group(1), match.group(2).strip()))
    return params


def _default(values: dict[str, Any], key: str) -> str:
    node: Any = values
    for part in key.split("."):
        node = node[part]
    if isinstance(node, str):
        return f'`"{node}"`'
    # One line, however long: a table row cannot wrap.
    text = yaml.safe_dump(node, default_flow_style=True, width=float("inf")).strip()
    text = text.removesuffix("\n...")
    return "`" + text.removesuffix("...").strip().replace("|", "\\|") + "`"


def values_table(values_text: str) -> str:
    values = yaml.safe_load(values_text)
    lines = [_HEADING]
    current: str | None = None
    for section, key, description in documented_params(values_text):
        if section != current or len(lines) == 1:
            current = section
            lines += [
                "",
                f"### {section}",
                "",
                "| Name | Description | Default |",
                "| --- | --- | --- |",
            ]
        lines.append(f"| `{key}` | {description} | {_default(values, key)} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chart", type=Path)
    parser.add_argument("--check", action="store_true", help="fail if the README is out of date")
    args = parser.parse_args()
    readme = args.chart / "README.md"
    current = readme.read_text()
    prose = current.split(_HEADING, 1)[0]
    wanted = prose + values_table((args.chart / "values.yaml").read_text())
    if args.check:
        if current != wanted:
            print(f"{readme} is out of date: run python scripts/chart_readme.py {args.chart}")
            return 1
        return 0
    readme.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
