"""A directory laid out and updated as the kubelet does a projected (ConfigMap) volume.

Each file the pod sees is a symlink ``name -> ..data/name``; ``..data`` is a symlink to a
timestamped directory holding the real files. An update writes a new timestamped directory
and swaps ``..data`` to it with one rename, so readers see the old set or the new one, never a
mix of a half-written file (Kubernetes' AtomicWriter). Shared by the producer's unit and
integration tests.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

_DATA = "..data"


class ProjectedVolume:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._versions = itertools.count()
        path.mkdir(parents=True, exist_ok=True)

    def write(self, files: Mapping[str, str | bytes]) -> None:
        """Make ``files`` (name -> content) the volume's whole content, atomically."""
        version = self.path / f"..2026_12_02_{os.getpid()}_{next(self._versions):06d}"
        version.mkdir()
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            (version / name).write_bytes(data)
        old = os.readlink(self.path / _DATA) if (self.path / _DATA).is_symlink() else None
        staged = self.path / "..data_tmp"
        staged.unlink(missing_ok=True)
        staged.symlink_to(version.name)
        os.replace(staged, self.path / _DATA)
        for name in files:
            if not (self.path / name).is_symlink():
                (self.path / name).symlink_to(f"{_DATA}/{name}")
        for entry in self.path.iterdir():
            if entry.is_symlink() and not entry.name.startswith("..") and entry.name not in files:
                entry.unlink()
        if old is not None:
            shutil.rmtree(self.path / old)
