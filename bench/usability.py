"""What the usable-elements test costs, and what it finds in the bundled catalogue.

(a) Counts: each of the 16,069 bundled objects judged by ``satfeed_core.usability.assess``
    (now and over the next orbit) at the snapshot's newest epoch and 100 days later:
    usable, stale, unusable by cause.
(b) Cost of the plausibility check inside the batch path (``Sgp4Propagator.positions_at``):
    the whole-catalogue sweep and one satellite's single sample, each with the check and
    with the check replaced by a pass-through, same run; printed as ratios.
(c) Cost of ``assess`` per object (what the operator pays per reconcile of a Satellite).

Run from the repository root:  uv run --frozen python bench/usability.py
Results go to docs/benchmarks.md by hand, with the machine's load.
"""

from __future__ import annotations

import collections
import os
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from satfeed_core import propagation
from satfeed_core.elements import Elements, load_elements
from satfeed_core.propagation import PyorbitalPropagator, Sgp4Propagator
from satfeed_core.usability import PROBLEMS, assess
from satfeed_dev.sample_data import CATALOGUE, tle_file
from satfeed_dev.timing import best_of

REPEATS = 7
SINGLE_SAMPLES = 1000
PAIRS = 5


@contextmanager
def without_check() -> Iterator[None]:
    """The batch path with the plausibility check replaced by SGP4's codes alone."""
    original = propagation._implausible

    def sgp4_codes_only(
        codes: NDArray[np.uint8], r: object, v: object, bounds: object
    ) -> NDArray[np.uint8]:
        return codes

    propagation._implausible = sgp4_codes_only  # type: ignore[assignment]
    try:
        yield
    finally:
        propagation._implausible = original


def counts(catalogue: list[Elements]) -> None:
    snapshot = max(each.epoch for each in catalogue)
    for label, when in (("snapshot", snapshot), ("+100 days", snapshot + timedelta(days=100))):
        found: collections.Counter[str] = collections.Counter()
        for elements in catalogue:
            verdict = assess(elements, when)
            cause = f" ({PROBLEMS[verdict.code]})" if verdict.code else ""
            found[f"{verdict.state.value}: {verdict.reason}{cause}"] += 1
        print(f"\n(a) {label} ({when:%Y-%m-%d %H:%M} UTC), {len(catalogue)} objects")
        for key, count in sorted(found.items()):
            print(f"    {count:6d}  {key}")


def ratios(repeats: int, run: Callable[[], object], pairs: int = PAIRS) -> tuple[float, float]:
    """Median with/without ratio over alternating pairs of measurements (so drift in the
    machine's load hits both sides), and the median time with the check, in seconds."""
    found = []
    for _ in range(pairs):
        with_s = best_of(repeats, run)
        with without_check():
            without_s = best_of(repeats, run)
        found.append((with_s / without_s, with_s))
    ratio = statistics.median(each[0] for each in found)
    return ratio, statistics.median(each[1] for each in found)


def check_cost(catalogue: list[Elements]) -> None:
    when = np.array([max(each.epoch for each in catalogue).replace(tzinfo=None)], "datetime64[us]")
    sweep = Sgp4Propagator(catalogue)
    ratio, with_s = ratios(REPEATS, lambda: sweep.positions_at(when))
    print(f"\n(b) whole-catalogue sweep, {len(catalogue)} objects x 1 time: {with_s * 1e3:.2f} ms")
    print(f"    ratio with/without check (median of {PAIRS} alternating pairs): {ratio:.3f}")

    terra = next(each for each in catalogue if each.norad_id == 25994)
    single = PyorbitalPropagator(terra)
    start = terra.epoch

    def samples() -> None:
        for second in range(SINGLE_SAMPLES):
            single.positions_at(start + timedelta(seconds=second))

    ratio, with_s = ratios(3, samples)
    print(
        f"    one satellite (TERRA, pyorbital path), one sample per call: "
        f"{with_s / SINGLE_SAMPLES * 1e6:.0f} us"
    )
    print(f"    ratio with/without check (median of {PAIRS} alternating pairs): {ratio:.3f}")


def assess_cost(catalogue: list[Elements]) -> None:
    when = max(each.epoch for each in catalogue)
    sample = catalogue[::16]
    took = best_of(3, lambda: [assess(each, when) for each in sample]) / len(sample)
    print(f"\n(c) assess() per object (17 SGP4 calls): {took * 1e6:.0f} us")


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}")
    catalogue = load_elements(tle_file(CATALOGUE))
    counts(catalogue)
    check_cost(catalogue)
    assess_cost(catalogue)
    print(f"\nrun at {datetime.now():%Y-%m-%d %H:%M}, load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
