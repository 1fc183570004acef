"""TEST-ONLY: a Deployment's one container as a process, as a kubelet would run it.

The integration test bed has no node; this plays the kubelet for the tests that need a
producer exactly as the operator's Deployment says (its command, env and volumes).
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .operator_bed import get
from .procs import ManagedProcess, free_port
from .testbed import TestBed


def pod_runner(testbed: TestBed, deployment: Mapping[str, Any], root: Path) -> ManagedProcess:
    """TEST-ONLY: the Deployment's one container as a process, as a kubelet would run it.

    Volumes become directories under ``root`` (ConfigMap keys as files); env values that
    point into a mount are pointed at its directory. The HTTP port is the one liberty
    taken: a pod has its own network namespace, a process here shares the machine's.
    """
    namespace = deployment["metadata"]["namespace"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    directories: dict[str, Path] = {}
    for volume in pod["volumes"]:
        directory = root / "volumes" / volume["name"]
        directory.mkdir(parents=True)
        if "configMap" in volume:
            configmap = get(testbed.kube, "configmap", namespace, volume["configMap"]["name"])
            assert configmap is not None, volume
            for key, value in configmap["data"].items():
                (directory / key).write_text(value)
        elif "secret" in volume:  # as the kubelet mounts one: the items chosen, decoded
            secret = get(testbed.kube, "secret", namespace, volume["secret"]["secretName"])
            assert secret is not None, volume
            for item in volume["secret"]["items"]:
                data = base64.b64decode(secret["data"][item["key"]])
                (directory / item["path"]).write_bytes(data)
        else:
            assert "emptyDir" in volume, f"the pod runner knows no volume like {volume}"
        directories[volume["name"]] = directory
    mounts = {m["mountPath"]: directories[m["name"]] for m in container["volumeMounts"]}

    def local(value: str) -> str:
        for mount_path, directory in mounts.items():
            if value == mount_path or value.startswith(mount_path + "/"):
                return str(directory) + value[len(mount_path) :]
        return value

    env = {item["name"]: local(item["value"]) for item in container["env"]}
    env["SATFEED_HTTP_PORT"] = str(free_port())
    command = [str(Path(sys.executable).parent / container["command"][0])]
    return ManagedProcess(
        name="producer-pod",
        argv=[*command, *container["command"][1:], *container.get("args", [])],
        run_dir=root,
        # The pod's /tmp emptyDir, as a directory of its own here.
        env={"PATH": str(Path(sys.executable).parent), "TMPDIR": str(mounts["/tmp"]), **env},  # noqa: S108
        cwd=root,
    )
