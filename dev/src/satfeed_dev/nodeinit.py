"""PID 1 of the test bed node's namespaces (started by :class:`satfeed_dev.node.Node`).

It runs inside fresh PID and mount namespaces (and the node's network namespace), puts
private tmpfs mounts over the runtime paths containerd and its shims hard-code, then only
reaps orphans. When it exits, the kernel kills every process left in its PID namespace
(containerd, shims, containers, kubelet) and drops its mount namespace with every mount
made in it: nothing of the node outlives it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

# containerd 1.6 puts shim sockets under /run/containerd and CNI network namespaces
# under /run/netns whatever its configuration says; here both are private to the node.
PRIVATE_RUNTIME_DIRS = ("/run/containerd", "/run/netns")


def main() -> None:
    ready_file = Path(sys.argv[1])
    for path in PRIVATE_RUNTIME_DIRS:
        Path(path).mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0711", "tmpfs", path], check=True)

    def stop(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # A handler (not the default "ignore") so that pause() returns when an orphan exits.
    signal.signal(signal.SIGCHLD, lambda _signum, _frame: None)
    ready_file.write_text(f"{os.getpid()}\n")
    while True:
        # As PID 1, adopt and reap every orphan (containerd's shims exit through here).
        try:
            os.wait()
        except ChildProcessError:
            signal.pause()


if __name__ == "__main__":
    main()
