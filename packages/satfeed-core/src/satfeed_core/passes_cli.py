"""``satfeed-passes``: the passes of the satellites in an elements file over one station.

For people without a cluster: a TLE or OMM JSON file (the bundled
``data/tle/earth-observation.tle``, or one saved from CelesTrak), a station given by flags,
a window; out comes a table of passes in time order (or JSON with ``--json``), then the
satellites that never rise or never set over the station. Flags take their defaults from
environment variables, as every satfeed command's do (:mod:`satfeed_core.cli`).

Bad input exits with status 2 and a message saying what is wrong, where and what to do.
Needs the ``propagation`` extra (numpy), which says so if it is missing; this module
itself imports only the numpy-free parts, so the script is harmless where satfeed-core is
installed without extras.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from satfeed_core import contract
from satfeed_core.cli import EnvFlag, env_flag_parser, parse_env_flags
from satfeed_core.elements import Elements, ElementsError, load_elements, select_elements
from satfeed_core.stations import Station, StationError, parse_horizon_mask
from satfeed_core.usability import State, assess

if TYPE_CHECKING:
    from satfeed_core.passes import Pass, PassPrediction, SkyPoint

PROG = "satfeed-passes"
EXIT_USAGE = 2
DEFAULT_HOURS = 24.0
EXAMPLE = "data/tle/earth-observation.tle"

FLAGS: Sequence[EnvFlag] = (
    EnvFlag(
        "--elements-file",
        contract.ENV_ELEMENTS_FILE,
        f"TLE or CelesTrak OMM JSON file of one or many satellites (e.g. {EXAMPLE})",
        {"type": Path},
    ),
    EnvFlag(
        "--norad-id",
        contract.ENV_NORAD_ID,
        "only the satellite with this NORAD catalogue number (default: every one in the file)",
        {"type": int},
    ),
    EnvFlag(
        "--latitude",
        "SATFEED_STATION_LATITUDE",
        "station's geodetic latitude in degrees, north positive",
        {"type": float},
    ),
    EnvFlag(
        "--longitude",
        "SATFEED_STATION_LONGITUDE",
        "station's longitude in degrees, east positive, -180 to 180",
        {"type": float},
    ),
    EnvFlag(
        "--altitude-m",
        "SATFEED_STATION_ALTITUDE_M",
        "station's height above the WGS-84 ellipsoid in metres (default 0)",
        {"type": float, "default": 0.0},
    ),
    EnvFlag(
        "--station-name", "SATFEED_STATION_NAME", "a name for the station, shown in the output"
    ),
    EnvFlag(
        "--min-elevation",
        "SATFEED_MIN_ELEVATION",
        "elevation in degrees a satellite must exceed to count as in view, -5 to 90 (default 0)",
        {"type": float, "default": 0.0},
    ),
    EnvFlag(
        "--horizon-mask",
        "SATFEED_HORIZON_MASK",
        "the station's horizon as azimuth:elevation points in degrees, azimuths increasing "
        "from 0 (north), e.g. 0:5,90:12,180:3,270:8; interpolated linearly around the circle",
    ),
    EnvFlag(
        "--start",
        "SATFEED_PASSES_START",
        "start of the window, ISO 8601 (e.g. 2026-08-23T00:00:00Z; without an offset: UTC) "
        "(default: now)",
    ),
    EnvFlag(
        "--hours",
        "SATFEED_PASSES_HOURS",
        f"length of the window in hours (default {DEFAULT_HOURS:g}, at most 744)",
        {"type": float, "default": DEFAULT_HOURS},
    ),
    EnvFlag(
        "--frequency-mhz",
        "SATFEED_FREQUENCY_MHZ",
        "downlink frequency in MHz: show the Doppler-shifted frequency received at AOS, "
        "culmination and LOS",
        {"type": float},
    ),
    EnvFlag(
        "--output",
        "SATFEED_PASSES_OUTPUT",
        "table or json (default table; --json is short for --output json)",
        {"choices": ("table", "json"), "default": "table"},
    ),
)


def parser() -> argparse.ArgumentParser:
    described = env_flag_parser(
        PROG,
        "Print the passes of the satellites in an elements file over a ground station: AOS, "
        "culmination (maximum elevation and its azimuth) and LOS, with duration, whether the "
        "satellite is sunlit and, given a downlink frequency, its Doppler shift. Elevations "
        "are geometric (no refraction). Satellites that never rise or never set over the "
        "station are listed as such.",
        FLAGS,
    )
    described.add_argument(
        "--json", dest="output", action="store_const", const="json", help="print JSON"
    )
    return described


@dataclass(frozen=True)
class Request:
    elements_file: Path
    norad_id: int | None
    station: Station
    start: datetime
    end: datetime
    frequency_hz: float | None
    output: str


def parse_request(argv: Sequence[str] | None, environ: Mapping[str, str], now: datetime) -> Request:
    """The request the flags make; exits 2 with a usage error naming what is wrong."""
    described = parser()
    args = parse_env_flags(described, FLAGS, argv, environ)
    for flag in ("--elements-file", "--latitude", "--longitude"):
        dest = flag.lstrip("-").replace("-", "_")
        if getattr(args, dest) is None:
            env = next(each.env for each in FLAGS if each.flag == flag)
            example = f" (e.g. {EXAMPLE})" if flag == "--elements-file" else ""
            described.error(f"{flag} (or {env}) is required{example}")
    try:
        mask = parse_horizon_mask(args.horizon_mask) if args.horizon_mask else ()
        station = Station(
            latitude_deg=args.latitude,
            longitude_deg=args.longitude,
            altitude_m=args.altitude_m,
            min_elevation_deg=args.min_elevation,
            horizon_mask=mask,
            name=args.station_name or "",
        )
    except StationError as error:
        described.error(f"{_flag_of(error.field)}: {error}")
    start = now
    if args.start:
        try:
            start = datetime.fromisoformat(args.start)
        except ValueError:
            described.error(
                f"--start {args.start!r} is not an ISO 8601 date and time: give e.g. "
                "2026-08-23T00:00:00Z"
            )
        start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    if not 0.0 < args.hours <= 744.0:
        described.error(
            f"--hours {args.hours:g}: the window must last more than 0 and at most 744 hours "
            "(31 days; elements drift by kilometres a day)"
        )
    if args.frequency_mhz is not None and not args.frequency_mhz > 0.0:
        described.error(
            f"--frequency-mhz {args.frequency_mhz:g} is not a frequency: give the downlink's "
            "in MHz, e.g. 437.8"
        )
    return Request(
        elements_file=args.elements_file,
        norad_id=args.norad_id,
        station=station,
        start=start,
        end=start + timedelta(hours=args.hours),
        frequency_hz=None if args.frequency_mhz is None else args.frequency_mhz * 1e6,
        output=args.output,
    )


def _flag_of(field: str) -> str:
    """The flag that sets a station field."""
    for prefix, flag in (
        ("latitude", "--latitude"),
        ("longitude", "--longitude"),
        ("altitude", "--altitude-m"),
        ("minimum elevation", "--min-elevation"),
        ("horizon mask", "--horizon-mask"),
    ):
        if field.startswith(prefix):
            return flag
    return "station"


def load_satellites(
    request: Request, described: argparse.ArgumentParser
) -> tuple[list[Elements], list[tuple[Elements, str]], list[str]]:
    """Usable elements, those skipped with why, and warnings; exits 2 if none is usable."""
    origin = str(request.elements_file)
    try:
        candidates = load_elements(request.elements_file)
    except OSError as error:
        described.error(
            f"--elements-file {origin}: {error.strerror or error}: give a TLE or OMM JSON file "
            f"(e.g. {EXAMPLE})"
        )
    except ElementsError as error:
        described.error(f"--elements-file {origin}: {error}")
    if request.norad_id is not None:
        try:
            candidates = [select_elements(candidates, request.norad_id, origin)]
        except ElementsError as error:
            described.error(f"--norad-id {request.norad_id}: {error}")
    else:
        # The newest element set of each object, in the file's order.
        newest: dict[int, Elements] = {}
        for each in candidates:
            if each.norad_id not in newest or each.epoch > newest[each.norad_id].epoch:
                newest[each.norad_id] = each
        candidates = list(newest.values())
    usable, skipped, stale = [], [], []
    for each in candidates:
        verdict = assess(each, request.start)
        if not verdict.usable:
            skipped.append((each, verdict.message))
        else:
            usable.append(each)
            if verdict.state is State.STALE:
                stale.append(f"{each.name or each.norad_id} ({verdict.age.days} days)")
    if not usable:
        if len(skipped) == 1:
            described.error(f"{origin}: {skipped[0][1]}")
        described.error(
            f"{origin}: none of its {len(skipped)} satellites can be propagated at "
            f"{request.start.isoformat()} (e.g. {skipped[0][1]}); use fresh elements"
        )
    warnings = []
    if stale:
        listed = ", ".join(stale[:3]) + (f" and {len(stale) - 3} more" if len(stale) > 3 else "")
        warnings.append(
            f"warning: {len(stale)} element sets are older than 14 days at the window's start: "
            f"{listed}; their passes drift from the real ones by minutes or more: fetch fresh "
            "elements"
        )
    warnings += [f"warning: skipped {each.name or each.norad_id}: {why}" for each, why in skipped]
    return usable, skipped, warnings


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    now: datetime | None = None,
) -> int:
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    described = parser()
    request = parse_request(
        argv,
        os.environ if environ is None else environ,
        (now or datetime.now(UTC)).replace(microsecond=0),
    )
    try:
        from satfeed_core.passes import PassPredictionError, predict_passes
    except ImportError as error:  # numpy: the propagation extra
        print(
            f"{PROG}: error: {error}: pass prediction needs the propagation extra: "
            "pip install 'satfeed-core[propagation]'",
            file=err,
        )
        return EXIT_USAGE
    satellites, skipped, warnings = load_satellites(request, described)
    for warning in warnings:
        print(warning, file=err)
    predictions = []
    for each in satellites:
        try:
            predictions.append(predict_passes(each, request.station, request.start, request.end))
        except PassPredictionError as error:  # the window was checked: elements failing
            print(f"warning: skipped {each.name or each.norad_id}: {error}", file=err)
            skipped.append((each, str(error)))
    if request.output == "json":
        json.dump(as_json(request, predictions, skipped), out, indent=1, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(as_table(request, predictions))
    return 0


# --- output --------------------------------------------------------------------------------


def _time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _point(point: SkyPoint, frequency_hz: float | None) -> dict[str, Any]:
    described: dict[str, Any] = {
        "time": _time(point.time),
        "azimuth_deg": round(point.azimuth_deg, 4),
        "elevation_deg": round(point.elevation_deg, 4),
        "range_km": round(point.range_km, 3),
        "range_rate_km_s": round(point.range_rate_km_s, 5),
        "sunlit": point.sunlit,
    }
    if frequency_hz is not None:
        described["frequency_hz"] = round(point.doppler_hz(frequency_hz), 1)
    return described


def _pass(each: Pass, frequency_hz: float | None) -> dict[str, Any]:
    return {
        "aos": None if each.aos is None else _point(each.aos, frequency_hz),
        "culmination": _point(each.culmination, frequency_hz),
        "los": None if each.los is None else _point(each.los, frequency_hz),
        "first": _time(each.first.time),
        "last": _time(each.last.time),
        "duration_s": round(each.duration.total_seconds(), 3),
        "sunlit": each.sunlit,
    }


def as_json(
    request: Request, predictions: list[PassPrediction], skipped: list[tuple[Elements, str]]
) -> dict[str, Any]:
    station = request.station
    return {
        "station": {
            "name": station.name,
            "latitude_deg": station.latitude_deg,
            "longitude_deg": station.longitude_deg,
            "altitude_m": station.altitude_m,
            "min_elevation_deg": station.min_elevation_deg,
            "horizon_mask": [list(point) for point in station.horizon_mask],
        },
        "start": _time(request.start),
        "end": _time(request.end),
        "elements_file": str(request.elements_file),
        "frequency_hz": request.frequency_hz,
        "elevation": "geometric, no refraction",
        "satellites": [
            {
                "name": each.elements.name,
                "norad_id": each.elements.norad_id,
                "elements_epoch": _time(each.elements.epoch),
                "visibility": each.visibility.value,
                "reason": each.reason,
                "at_start": _point(each.at_start, request.frequency_hz),
                "sampled_elevation_range_deg": [
                    round(value, 4) for value in each.sampled_elevation_range_deg
                ],
                "propagation_error": None if each.failure is None else str(each.failure),
                "passes": [_pass(one, request.frequency_hz) for one in each.passes],
            }
            for each in predictions
        ],
        "skipped": [
            {"name": each.name, "norad_id": each.norad_id, "reason": why} for each, why in skipped
        ],
    }


def _clock(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _duration(length: timedelta) -> str:
    seconds = round(length.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _shift(point: SkyPoint, frequency_hz: float) -> str:
    return f"{(point.doppler_hz(frequency_hz) - frequency_hz) / 1e3:+.2f}"


def as_table(request: Request, predictions: list[PassPrediction]) -> str:
    from satfeed_core.passes import Visibility

    station = request.station
    lines = [
        f"Passes over {station.describe()}",
        f"from {_clock(request.start)} to {_clock(request.end)} UTC, "
        "geometric elevation (no refraction)",
        "",
    ]
    header = (
        f"{'satellite':<24} {'NORAD':>6}  {'AOS (UTC)':<19} {'az':>5}  {'culmination':<11} "
        f"{'elev':>5} {'az':>5}  {'LOS':<8} {'az':>5}  {'duration':>8}  {'sunlit':<7}"
    )
    if request.frequency_hz is not None:
        header += f"  Doppler kHz at AOS/culm./LOS ({request.frequency_hz / 1e6:g} MHz)"
    rows = sorted(
        ((each, one) for each in predictions for one in each.passes),
        key=lambda pair: pair[1].first.time,
    )
    if rows:
        lines += [header, "-" * len(header)]
    for prediction, one in rows:
        # The date once, at AOS; a pass that goes on past midnight shows its duration.
        aos = _clock(one.aos.time) if one.aos else "(up at the start)"
        los = _clock(one.los.time)[11:] if one.los else "(up)"
        top = one.culmination
        row = (
            f"{prediction.elements.name[:24]:<24} {prediction.elements.norad_id:>6}  "
            f"{aos:<19} {one.first.azimuth_deg:5.1f}  {_clock(top.time)[11:]:<11} "
            f"{top.elevation_deg:5.1f} {top.azimuth_deg:5.1f}  {los:<8} "
            f"{one.last.azimuth_deg:5.1f}  {_duration(one.duration):>8}  {one.sunlit:<7}"
        )
        if request.frequency_hz is not None:
            row += "  " + "/".join(
                _shift(point, request.frequency_hz) for point in (one.first, top, one.last)
            )
        lines.append(row)
    if not rows:
        lines.append("No pass in the window.")
    notes = []
    for prediction in predictions:
        label = f"{prediction.elements.name or 'NORAD'} ({prediction.elements.norad_id})"
        start = prediction.at_start
        if prediction.visibility is Visibility.NEVER_SETS:
            low, high = prediction.sampled_elevation_range_deg
            notes.append(
                f"never sets:   {label}: azimuth {start.azimuth_deg:.1f}°, elevation "
                f"{low:.1f}° to {high:.1f}°; {prediction.reason}"
            )
        elif prediction.visibility is Visibility.NEVER_RISES:
            notes.append(f"never rises:  {label}: {prediction.reason}")
        elif not prediction.passes:
            notes.append(f"no pass:      {label}: none in this window")
        if prediction.failure is not None:
            notes.append(f"cut short:    {label}: {prediction.failure}")
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
