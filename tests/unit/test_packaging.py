"""Each deployable's Dockerfile installs its own package and runs its console script."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from satfeed_dev.toolchain import REPO_ROOT

DEPLOYABLES = {
    "producer": REPO_ROOT / "services" / "producer",
    "frontend": REPO_ROOT / "services" / "frontend",
    "operator": REPO_ROOT / "operator",
}


@pytest.mark.parametrize("package_dir", DEPLOYABLES.values(), ids=DEPLOYABLES.keys())
def test_dockerfile_runs_the_packages_console_script(package_dir: Path) -> None:
    project = tomllib.loads((package_dir / "pyproject.toml").read_text())["project"]
    dockerfile = (package_dir / "Dockerfile").read_text()
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", dockerfile, re.M).group(1))  # type: ignore[union-attr]
    assert entrypoint[0] in project["scripts"], (
        f"{entrypoint[0]} is no console script of {project['name']}"
    )
    assert f"--package {project['name']} " in dockerfile


@pytest.mark.parametrize("package_dir", DEPLOYABLES.values(), ids=DEPLOYABLES.keys())
def test_image_runs_as_non_root_from_the_lock_file(package_dir: Path) -> None:
    dockerfile = (package_dir / "Dockerfile").read_text()
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    user = re.search(r"^USER (\S+)$", final_stage, re.M)
    assert user is not None
    assert user.group(1).split(":")[0] not in ("0", "root")
    assert "uv export --frozen" in dockerfile  # exactly the versions in uv.lock
    assert "--no-dev" in dockerfile
    assert "COPY --from=build /opt/satfeed /opt/satfeed" in final_stage  # no build tools
