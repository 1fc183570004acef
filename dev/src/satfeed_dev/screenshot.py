"""Render the dashboard in Chromium with live data from a test bed of its own, into a PNG.

    uv run --frozen python -m satfeed_dev.screenshot [--output PATH]   (`make screenshot`)

Starts the test bed (Kafka, Kubernetes, the KafkaTopic stand-in) under
``build/screenshot-testbed``, one KafkaTopic, elements ConfigMap and real producer per
satellite, and the frontend as a ServiceAccount that may read them; waits until every
satellite is on the page and moving; saves the page; stops everything it started.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Final

from .browser import launch_chromium
from .frontend_bed import (
    FrontendRunner,
    create_ready_topic,
    elements_configmap,
    grant_reader,
    kafkatopic,
)
from .sample_data import tle_file
from .testbed import TestBed
from .tle_edit import three_line_sets
from .toolchain import REPO_ROOT, build_dir, ensure_all
from .waiting import wait_for

DEFAULT_OUTPUT: Final = REPO_ROOT / "docs" / "images" / "dashboard.png"
NAMESPACE: Final = "earth-observation"
SATELLITES: Final = {
    "iss": "ISS (ZARYA)",
    "terra": "TERRA",
    "aqua": "AQUA",
    "noaa-19": "NOAA 19",
    "metop-b": "METOP-B",
    "sentinel-2a": "SENTINEL-2A",
    "landsat-9": "LANDSAT 9",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    ensure_all()
    bed = TestBed(build_dir() / "screenshot-testbed")
    bed.destroy()  # a clean slate: no topics or records of an earlier run
    bed.start()
    runner = FrontendRunner(bed, bed.run_dir / "frontend")
    try:
        bed.kube.kubectl_ok("create", "namespace", NAMESPACE)
        tle_sets = three_line_sets(tle_file("earth-observation.tle"))
        with tempfile.TemporaryDirectory() as elements_dir:
            for satellite, tle_name in SATELLITES.items():
                elements = "\n".join(tle_sets[tle_name]) + "\n"
                path = Path(elements_dir) / f"{satellite}.tle"
                path.write_text(elements)
                bed.kube.apply(elements_configmap(satellite, NAMESPACE, elements))
                manifest = kafkatopic(
                    satellite, NAMESPACE, display_name=tle_name, satellite=satellite
                )
                topic = create_ready_topic(bed, manifest)
                # 15 minutes of track behind each satellite.
                runner.start_producer(topic, satellite, path, "--backfill", "900")
            kubeconfig = grant_reader(bed.kube, NAMESPACE, elements=True)
            frontend = runner.start(
                "--history", "900", kubeconfig=kubeconfig, namespaces=[NAMESPACE]
            )
            shoot(frontend.url, args.output)
    finally:
        runner.stop_all()
        bed.stop()
    print(f"wrote {args.output}")
    return 0


def shoot(url: str, output: Path) -> None:
    with launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1100})
        page.goto(url)

        def every_satellite_moving() -> bool:
            count: int = page.eval_on_selector_all(".card", "cards => cards.length")
            predicted: int = page.evaluate(
                "(document.querySelector('#map .js-plotly-plot')?.data || [])"
                ".filter(t => (t.name || '').endsWith('(predicted)')"
                " && (t.x || t.lon || []).length).length"
            )
            return count == len(SATELLITES) and predicted == len(SATELLITES)

        wait_for(every_satellite_moving, 120, "every satellite with its predicted track")
        before = page.inner_text(".card-values")
        wait_for(lambda: page.inner_text(".card-values") != before, 10, "a live update")
        output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(output), full_page=True)


if __name__ == "__main__":
    sys.exit(main())
