"""Propagation benchmarks for satfeed_core.propagation, on one CPU core.

(a) Throughput: our batch path (SGP4 + geodetic conversion) against python-sgp4's compiled
    ``SatrecArray.sgp4`` alone (TEME vectors only), same satellites and times, same run.
(b) Whole-catalogue sweep: one position for each of the 16,069 bundled objects, against one
    pyorbital ``Orbital`` per object and one ``get_lonlatalt`` call each.

Run from the repository root:  uv run --frozen python bench/propagation.py
Results go to docs/benchmarks.md by hand, with the machine they ran on.
"""

from __future__ import annotations

import collections
import os
import platform
import time
import warnings
from datetime import UTC, datetime

import numpy as np
from pyorbital.orbital import Orbital
from satfeed_core.elements import Elements, load_elements
from satfeed_core.propagation import Sgp4Propagator
from satfeed_dev.sample_data import CATALOGUE, tle_file
from satfeed_dev.timing import best_of
from sgp4.api import Satrec, SatrecArray

SWEEP_TIME = datetime(2026, 8, 23, 12, 0, tzinfo=UTC)  # half a day after the newest epochs
THROUGHPUT_TIMES = 20  # one a minute from SWEEP_TIME, for every object
REPEATS = 5
THROUGHPUT_TARGET = 0.5
SWEEP_TARGET_S = 0.25


def tle_lines(elements: Elements) -> tuple[str, str]:
    assert elements.tle_lines is not None, "the bundled catalogue is TLE text"
    return elements.tle_lines


def throughput(catalogue: list[Elements]) -> None:
    times = np.datetime64(SWEEP_TIME.replace(tzinfo=None), "us") + np.arange(
        THROUGHPUT_TIMES
    ) * np.timedelta64(1, "m")
    ours = Sgp4Propagator(catalogue)
    baseline = SatrecArray([Satrec.twoline2rv(*tle_lines(each)) for each in catalogue])
    days = (times - np.datetime64("1970-01-01T00:00")) / np.timedelta64(1, "D")
    jd, fraction = np.full(days.shape, 2440587.5), days

    our_s = best_of(REPEATS, lambda: ours.positions_at(times))
    baseline_s = best_of(REPEATS, lambda: baseline.sgp4(jd, fraction))
    count = len(catalogue) * len(times)
    ratio = baseline_s / our_s
    print(f"(a) throughput, {len(catalogue)} objects x {len(times)} times = {count} positions")
    for label, seconds in (
        ("satfeed batch path (lon/lat/alt/speed)", our_s),
        ("sgp4 SatrecArray.sgp4 (TEME only)", baseline_s),
    ):
        print(f"    {label + ':':41} {seconds:.3f} s, {count / seconds / 1e6:.2f} M positions/s")
    verdict = "meets" if ratio >= THROUGHPUT_TARGET else "MISSES"
    print(f"    ratio ours/sgp4: {ratio:.2f} ({verdict} the target of {THROUGHPUT_TARGET})")


def sweep(catalogue: list[Elements]) -> None:
    cold_s = best_of(REPEATS, lambda: Sgp4Propagator(catalogue).positions_at(SWEEP_TIME))
    propagator = Sgp4Propagator(catalogue)
    warm_s = best_of(REPEATS, lambda: propagator.positions_at(SWEEP_TIME))
    our_failures = collections.Counter(
        failure.code for failure in propagator.positions_at(SWEEP_TIME).failures()
    )

    naive_utc = SWEEP_TIME.replace(tzinfo=None)
    pyorbital_failures: collections.Counter[str] = collections.Counter()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyorbital warns about numerical edge cases
        for each in catalogue:
            line1, line2 = tle_lines(each)
            try:
                Orbital(each.name or "satellite", line1=line1, line2=line2).get_lonlatalt(naive_utc)
            except Exception as exc:  # pyorbital raises bare Exceptions too; count them all
                pyorbital_failures[f"{type(exc).__name__}: {exc}"[:60]] += 1
    pyorbital_s = time.perf_counter() - start

    print(f"(b) whole-catalogue sweep, one position for each of {len(catalogue)} objects")
    print(f"    satfeed, from parsed elements (build + propagate): {cold_s:.3f} s")
    print(f"    satfeed, propagator already built:                  {warm_s:.3f} s")
    print(f"    pyorbital, one Orbital + get_lonlatalt per object:  {pyorbital_s:.3f} s")
    verdict = "meets" if cold_s <= SWEEP_TARGET_S else "MISSES"
    print(f"    ratio pyorbital/satfeed: {pyorbital_s / cold_s:.1f}x "
          f"({verdict} the target of {SWEEP_TARGET_S} s)")  # fmt: skip
    print(f"    satfeed failures: {sum(our_failures.values())} {dict(sorted(our_failures.items()))}"
          " (sgp4 error codes)")  # fmt: skip
    print(f"    pyorbital failures: {sum(pyorbital_failures.values())} {dict(pyorbital_failures)}")


def cpu_model() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    return names[0] if names else platform.machine()


def main() -> None:
    # One core, as the targets are stated; numpy's element-wise work is single-threaded anyway.
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(f"python {platform.python_version()}, numpy {np.__version__}, {cpu_model()}")
    start = time.perf_counter()
    catalogue = load_elements(tle_file(CATALOGUE))
    print(f"parse and validate {len(catalogue)} TLEs: {time.perf_counter() - start:.3f} s")
    throughput(catalogue)
    sweep(catalogue)


if __name__ == "__main__":
    main()
