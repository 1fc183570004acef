"""A TLE catalogue as ConfigMaps a SatelliteGroup can take its members from.

A ConfigMap holds at most 1 MiB; the bundled 16,069-object catalogue is 2.6 MB of TLEs, so
it is cut at element-set boundaries into ConfigMaps of at most ``budget`` bytes:

    python -m satfeed_dev.catalogue --namespace satfeed | kubectl apply --server-side -f -

(server-side: a client-side apply would copy each ConfigMap into an annotation, which may
hold only 256 kB.) ``examples/groups/catalogue.yaml`` lists the ConfigMaps it makes.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Final

import yaml

from .sample_data import tle_file

DEFAULT_BUDGET: Final = 700_000


def catalogue_configmaps(
    path: Path, name: str, namespace: str | None = None, budget: int = DEFAULT_BUDGET
) -> list[dict[str, Any]]:
    """ConfigMaps ``<name>-0``, ``<name>-1``, ... holding the TLEs of ``path`` (key
    ``elements``), none over ``budget`` bytes."""
    lines = path.read_text().splitlines()
    chunks: list[list[str]] = [[]]
    size = 0
    for index in range(0, len(lines) - 2, 3):
        entry = "\n".join(lines[index : index + 3]) + "\n"
        if chunks[-1] and size + len(entry.encode()) > budget:
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += len(entry.encode())
    metadata: dict[str, Any] = {"namespace": namespace} if namespace else {}
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {**metadata, "name": f"{name}-{number}"},
            "data": {"elements": "".join(entries)},
        }
        for number, entries in enumerate(chunks)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=None, help="TLE file (default: bundled)")
    parser.add_argument("--name", default="catalogue", help="ConfigMap name prefix")
    parser.add_argument("--namespace", default=None)
    args = parser.parse_args()
    path = args.file or tle_file("catalog-large.tle")
    print(yaml.safe_dump_all(catalogue_configmaps(path, args.name, args.namespace)), end="")


if __name__ == "__main__":
    main()
