"""A real Prometheus on loopback for the tests: scrapes the given targets and evaluates
satfeed's rules file, as a cluster's Prometheus would (built by ``make setup``)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .procs import ManagedProcess, free_port
from .toolchain import REPO_ROOT, go_tools

RULES = REPO_ROOT / "charts" / "satfeed-operator" / "files" / "prometheus-rules.yaml"


@dataclass
class PrometheusServer:
    run_dir: Path
    targets: Mapping[str, Sequence[str]]
    """Job name -> ``host:port`` targets (each serving ``/metrics``)."""
    interval: str = "2s"
    """Scrape and rule evaluation interval."""
    port: int = 0

    def __post_init__(self) -> None:
        self.port = self.port or free_port()

    @property
    def process(self) -> ManagedProcess:
        config = self.run_dir / "prometheus.yml"
        return ManagedProcess(
            name="prometheus",
            argv=[
                str(go_tools(build=False).prometheus),
                f"--config.file={config}",
                f"--storage.tsdb.path={self.run_dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            run_dir=self.run_dir,
        )

    def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        config = {
            "global": {"scrape_interval": self.interval, "evaluation_interval": self.interval},
            "rule_files": [str(RULES)],
            "scrape_configs": [
                {"job_name": job, "static_configs": [{"targets": list(targets)}]}
                for job, targets in self.targets.items()
            ],
        }
        (self.run_dir / "prometheus.yml").write_text(yaml.safe_dump(config))
        process = self.process
        process.start()
        process.wait_until(self.ready, 60, "did not become ready")

    def stop(self) -> None:
        self.process.stop()

    def ready(self) -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2) as r:
            return bool(r.status == 200)

    def api(self, path: str) -> Any:
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.loads(response.read())["data"]

    def alerts(self, name: str) -> list[dict[str, Any]]:
        """The active alerts called ``name`` (pending or firing)."""
        return [a for a in self.api("alerts")["alerts"] if a["labels"].get("alertname") == name]
