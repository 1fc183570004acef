"""Write every Kubernetes object satfeed deploys as YAML files, for an audit (``make checkov``).

What a cluster gets is more than deploy/'s files: each chart as ``helm template`` renders it
(with its defaults, and with the values ``make deploy`` uses: deploy/values/), and the
producer Deployments the operator makes at run time, built here by the operator's own pure
builders (a Satellite's and a SatelliteGroup shard's), exactly as it would send them.

    uv run --frozen python scripts/render_manifests.py build/audit

The directory is emptied first, so a chart or value that is gone leaves no stale file. helm
comes from the test bed's tools (``make setup`` builds it), or ``--helm PATH``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from satfeed_dev.sample_data import tle_file
from satfeed_operator.api import parse_satellite
from satfeed_operator.config import parse_config
from satfeed_operator.group_api import parse_group
from satfeed_operator.group_objects import (
    build_group_kafkauser,
    build_group_networkpolicy,
    build_shard_deployment,
    shard_env,
)
from satfeed_operator.kafka_users import Credentials
from satfeed_operator.objects import (
    ProducerPlan,
    build_deployment,
    build_networkpolicy,
    build_producer_kafkauser,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
CHARTS = {
    "satfeed-frontend": REPO_ROOT / "deploy" / "values" / "frontend.yaml",
    "satfeed-operator": REPO_ROOT / "deploy" / "values" / "operator.yaml",
}
NAMESPACE = "satfeed"  # deploy/'s namespace, where `make deploy` installs the charts


def find_helm() -> str:
    """helm on PATH, else the test bed's (built by ``make setup``)."""
    if found := shutil.which("helm"):
        return found
    from satfeed_dev.toolchain import SetupError, go_tools

    try:
        return str(go_tools(build=False).helm)
    except SetupError as error:
        raise SystemExit(f"render_manifests: no helm: {error}") from error


def render_chart(helm: str, chart: Path, values: Path | None) -> str:
    args = [helm, "template", "satfeed", str(chart), "--namespace", NAMESPACE]
    if values is not None:
        args += ["--values", str(values)]
    proc = subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode != 0:
        raise SystemExit(f"helm template {chart.name} failed:\n{proc.stderr}")
    return proc.stdout


def producer_objects() -> list[dict[str, Any]]:
    """A Satellite's producer and a group's shard, with their NetworkPolicies and
    KafkaUsers, as the operator builds them with its chart's default settings (the
    authenticating Kafka cluster of deploy/kafka/kafka.yaml)."""
    bootstrap = f"satfeed-kafka-bootstrap.{NAMESPACE}.svc:9093"
    config = parse_config(
        [], {"SATFEED_KAFKA_CLUSTER": "satfeed", "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    )
    line0, line1, line2 = tle_file("earth-observation.tle").read_text().splitlines()[:3]
    satellite = parse_satellite(
        {
            "metadata": {"name": "terra", "namespace": NAMESPACE, "uid": "u-1", "generation": 1},
            "spec": {"elements": {"tle": {"line1": line1, "line2": line2}}},
        }
    )
    plan = ProducerPlan(
        topic_name=f"satfeed.positions.{NAMESPACE}.terra",
        bootstrap_servers=bootstrap,
        display_name=line0.strip(),
        norad_id=int(line1[2:7]),
        elements_text=f"{line1}\n{line2}\n",
        credentials=Credentials("terra-producer", "satfeed", "0" * 16),
    )
    group = parse_group(
        {
            "metadata": {"name": "eo", "namespace": NAMESPACE, "uid": "u-2", "generation": 1},
            "spec": {"source": {"configMaps": [{"name": "eo"}]}},
        }
    )
    topic = f"satfeed.positions.{NAMESPACE}.eo"
    shard_credentials = Credentials(group.producer_user_name, "satfeed", "0" * 16)
    env = shard_env(group, 0, topic, bootstrap, config, shard_credentials)
    return [
        build_deployment(satellite, plan, 1, config),
        build_networkpolicy(satellite, plan, "satfeed"),
        build_producer_kafkauser(satellite, plan, "satfeed"),
        build_shard_deployment(group, 0, 1, 1, env, config, shard_credentials),
        build_group_networkpolicy(group, "satfeed", bootstrap),
        build_group_kafkauser(group, topic, "satfeed"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory to write into (emptied first)")
    parser.add_argument("--helm", help="helm binary (default: PATH, then the test bed's)")
    args = parser.parse_args()
    helm = args.helm or find_helm()
    out: Path = args.out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for name, deploy_values in CHARTS.items():
        chart = REPO_ROOT / "charts" / name
        (out / f"{name}.defaults.yaml").write_text(render_chart(helm, chart, None))
        (out / f"{name}.deploy.yaml").write_text(render_chart(helm, chart, deploy_values))
    (out / "producers.yaml").write_text(yaml.safe_dump_all(producer_objects(), sort_keys=False))
    print(f"render_manifests: {len(list(out.iterdir()))} files in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
