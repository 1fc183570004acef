"""Render a ground station's passes table and sky plot in Chromium, with live data from a
test bed of its own, into PNGs (for docs/ground-stations.md and docs/frontend.md).

    uv run --frozen python -m satfeed_dev.station_screenshot [--output-dir DIR]

Starts the test bed under ``build/station-screenshot-testbed``; creates a Satellite and its
elements ConfigMap for every object of ``data/tle/earth-observation.tle`` (the station
follows them all), a KafkaTopic and a real producer for a few of them (their cards), and a
GroundStation at Svalbard (78.23° N 15.41° E, where the polar orbiters pass every orbit)
with downlinks; runs the frontend as a ServiceAccount that may read them; opens the page
with the station picked and waits until a satellite is in the station's sky; saves the
station panel and the whole page; stops everything it started.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any, Final

from playwright.sync_api import Page
from satfeed_core.elements import parse_elements

from .browser import launch_chromium
from .frontend_bed import (
    FrontendRunner,
    create_ready_topic,
    elements_configmap,
    grant_reader,
    kafkatopic,
)
from .operator_bed import install_crd
from .page_bench import LONG_TASKS, SETTLE_S, PageLoad, PageMeter
from .sample_data import tle_file
from .testbed import TestBed
from .tle_edit import three_line_sets
from .toolchain import REPO_ROOT, build_dir, ensure_all
from .waiting import wait_for

DEFAULT_OUTPUT_DIR: Final = REPO_ROOT / "docs" / "images"
NAMESPACE: Final = "earth-observation"
STATION: Final = "svalbard"
WITH_CARDS: Final = {"terra": "TERRA", "aqua": "AQUA", "noaa-19": "NOAA 19", "metop-b": "METOP-B"}
DOWNLINKS_MHZ: Final = {"terra": 8212.5, "aqua": 8160.0, "noaa-19": 137.1, "metop-b": 1701.3}
IN_VIEW_WITHIN_S: Final = 1800
"""A polar orbiter of the two dozen is in Svalbard's sky most of the time; at worst wait."""


def satellite_name(tle_name: str) -> str:
    """A Kubernetes name for an object: ``NOAA 20 (JPSS-1)`` -> ``noaa-20-jpss-1``."""
    return re.sub(r"[^a-z0-9]+", "-", tle_name.lower()).strip("-")


def satellite_manifest(name: str, tle: list[str]) -> dict[str, Any]:
    (elements,) = parse_elements("\n".join(tle))
    return {
        "apiVersion": "satfeed.io/v1alpha1",
        "kind": "Satellite",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"site": STATION}},
        "spec": {
            "displayName": tle[0].strip(),
            "noradId": elements.norad_id,
            "intervalSeconds": 1,
            "elements": {"tle": {"line1": tle[1], "line2": tle[2]}},
        },
    }


def svalbard() -> dict[str, Any]:
    return {
        "apiVersion": "satfeed.io/v1alpha1",
        "kind": "GroundStation",
        "metadata": {"name": STATION, "namespace": NAMESPACE},
        "spec": {
            "displayName": "Svalbard",
            "latitude": 78.2297,
            "longitude": 15.4078,
            "altitudeMeters": 500,
            "minElevation": 5,
            "satelliteSelector": {"matchLabels": {"site": STATION}},
            "lookAheadHours": 12,
            "downlinks": [
                {"satellite": name, "frequencyMHz": mhz} for name, mhz in DOWNLINKS_MHZ.items()
            ],
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument(
        "--measure-seconds",
        type=float,
        default=0.0,
        help="afterwards, measure a page's main thread this long without a station picked, "
        "then with Svalbard picked (satfeed_dev.page_bench.PageMeter)",
    )
    args = parser.parse_args(argv)
    ensure_all()
    bed = TestBed(build_dir() / "station-screenshot-testbed")
    bed.destroy()  # a clean slate
    bed.start()
    runner = FrontendRunner(bed, bed.run_dir / "frontend")
    try:
        bed.kube.kubectl_ok("create", "namespace", NAMESPACE)
        install_crd(bed.kube)
        tle_sets = three_line_sets(tle_file("earth-observation.tle"))
        elements_dir = bed.run_dir / "elements"
        elements_dir.mkdir(parents=True, exist_ok=True)
        for tle_name, tle in tle_sets.items():
            name = satellite_name(tle_name)
            text = "\n".join(tle) + "\n"
            bed.kube.apply(elements_configmap(name, NAMESPACE, text))
            bed.kube.apply(satellite_manifest(name, tle))
            if name in WITH_CARDS:
                path = elements_dir / f"{name}.tle"
                path.write_text(text)
                manifest = kafkatopic(name, NAMESPACE, display_name=tle_name, satellite=name)
                runner.start_producer(create_ready_topic(bed, manifest), name, path)
        bed.kube.apply(svalbard())
        kubeconfig = grant_reader(bed.kube, NAMESPACE, elements=True, stations=True)
        frontend = runner.start(kubeconfig=kubeconfig, namespaces=[NAMESPACE])
        picks = "&".join(f"sat={name}" for name in WITH_CARDS)
        shoot(f"{frontend.url}?{picks}&station={NAMESPACE}/{STATION}", args.output_dir)
        if args.measure_seconds:
            measure(f"{frontend.url}?{picks}", args.measure_seconds)
    finally:
        runner.stop_all()
        bed.stop()
    print(f"wrote {args.output_dir}/ground-station.png and ground-station-page.png")
    return 0


def measure(url: str, seconds: float) -> None:
    """One page's main thread, the same picks, without and then with the station picked."""
    with launch_chromium() as browser:
        for label, station in (("no station", False), ("Svalbard picked", True)):
            address = f"{url}&station={NAMESPACE}/{STATION}" if station else url
            page = browser.new_page(viewport={"width": 1440, "height": 1200})
            load = page_load(page, address, station, seconds)
            print(
                f"{label}: main thread busy {load.busy:.0%} (scripts {load.script:.0%}), "
                f"longest task {load.longest_task_ms:.0f} ms ({load.long_tasks} over 50 ms "
                f"in {load.seconds:.0f} s)"
            )
            page.close()


def page_load(page: Page, address: str, station: bool, seconds: float) -> PageLoad:
    page.add_init_script(LONG_TASKS)
    page.goto(address)
    wait_for(lambda: page.eval_on_selector_all(".card", "c => c.length") == 4, 60, "cards")
    if station:
        wait_for(
            lambda: "rx " in page.inner_text('.card[data-satellite="terra"] .card-look'),
            60,
            "look angles on the cards",
        )
    page.wait_for_timeout(SETTLE_S * 1000)  # the first drawing's work is done
    meter = PageMeter(page)
    meter.start()
    page.wait_for_timeout(seconds * 1000)  # the span measured, not a synchronisation
    return meter.stop()


def shoot(url: str, output_dir: Path) -> None:
    with launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1200})
        page.goto(url)

        def in_view() -> bool:
            names: list[str] = page.evaluate(
                "Array.from(((document.querySelector('#sky .js-plotly-plot')?.data || [])"
                ".find(t => t.uid === 'live') || {}).text || [])"
            )
            return bool(names)

        wait_for(
            lambda: page.eval_on_selector_all(".passes-table tr.pass", "rows => rows.length") > 0,
            120,
            "the passes table",
        )
        wait_for(in_view, IN_VIEW_WITHIN_S, "a satellite in Svalbard's sky", interval=5)
        wait_for(
            lambda: "rx " in page.inner_text('.card[data-satellite="terra"] .card-look'),
            30,
            "look angles on the cards",
        )
        output_dir.mkdir(parents=True, exist_ok=True)
        page.locator("#station-panel").screenshot(path=str(output_dir / "ground-station.png"))
        page.screenshot(path=str(output_dir / "ground-station-page.png"), full_page=True)


if __name__ == "__main__":
    sys.exit(main())
