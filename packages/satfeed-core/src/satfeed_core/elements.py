"""Orbital element sets: TLE and CelesTrak OMM JSON, parsed, validated and described.

Pure Python on purpose: the operator validates element sets with this module and must not
pull numpy or the propagators. Turning elements into positions is
:mod:`satfeed_core.propagation` (the ``propagation`` extra).

Every rejected input raises an :class:`ElementsError` saying where (TLE line and column,
or OMM field), what is wrong and what to do about it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Final, NoReturn

TLE_LINE_LENGTH: Final = 69

# WGS-72: the Earth model element sets are fitted with and SGP4 propagates them with.
EARTH_RADIUS_KM: Final = 6378.135
_MU_KM3_PER_S2: Final = 398600.8
_J2: Final = 0.001082616
_XKE_PER_MINUTE: Final = 60.0 / math.sqrt(EARTH_RADIUS_KM**3 / _MU_KM3_PER_S2)
_MINUTES_PER_DAY: Final = 1440.0

# Alpha-5 puts a letter in front of four digits for catalogue numbers 100000..339999.
# I and O are left out, being too easily read as 1 and 0.
_ALPHA5_LETTERS: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ"

_FETCH_AGAIN: Final = (
    "the element set was altered or cut short on its way here: fetch it again from its source"
)


class ElementsError(ValueError):
    """An input that is not a usable element set.

    ``problem`` says what is wrong, ``hint`` what to do; ``str()`` gives both.
    """

    def __init__(self, problem: str, hint: str) -> None:
        self.problem = problem
        self.hint = hint
        super().__init__(self._message())

    def _message(self) -> str:
        return f"{self.problem}\n{self.hint}"


class TleError(ElementsError):
    """A TLE line that breaks the format; ``line`` is 1 or 2, ``column`` 1-based.

    The message starts ``line 1, column 69: ...`` (TLE numbering) and shows the line
    with a caret under the column. ``input_line`` is the line's 1-based position in
    the text that was parsed, to find it in a file of many element sets.
    """

    def __init__(
        self,
        problem: str,
        *,
        line: int,
        column: int,
        text: str,
        input_line: int,
        name: str = "",
        hint: str = _FETCH_AGAIN,
    ) -> None:
        self.line = line
        self.column = column
        self.text = text
        self.input_line = input_line
        self.name = name
        super().__init__(problem, hint)

    def _message(self) -> str:
        caret = " " * (self.column - 1) + "^"
        context = f"input line {self.input_line}"
        if self.name:
            context += f", element set {self.name!r}"
        return (
            f"line {self.line}, column {self.column}: {self.problem} ({context})\n"
            f"  {self.text}\n  {caret}\n{self.hint}"
        )


class OmmError(ElementsError):
    """An OMM record with a missing or bad field; ``record`` is its 1-based position."""

    def __init__(self, problem: str, *, field: str, record: int, hint: str) -> None:
        self.field = field
        self.record = record
        super().__init__(f"OMM record {record}, field {field}: {problem}", hint)


@dataclass(frozen=True, slots=True)
class Elements:
    """One satellite's mean orbital elements at an epoch, as SGP4 takes them.

    Made by :func:`parse_elements` and friends, which validate every value; the source
    text is kept in ``tle_lines`` (for TLEs) or ``omm`` (for OMM records), never both.
    """

    name: str
    """Display name from the TLE name line or OMM ``OBJECT_NAME``; may be empty."""
    norad_id: int
    epoch: datetime
    """Aware, in UTC."""
    mean_motion_rev_per_day: float
    eccentricity: float
    inclination_deg: float
    raan_deg: float
    """Right ascension of the ascending node."""
    arg_of_perigee_deg: float
    mean_anomaly_deg: float
    bstar_per_earth_radius: float
    """SGP4's drag term B*."""
    mean_motion_dot: float
    """Half the first time derivative of the mean motion, rev/day² (the TLE field)."""
    mean_motion_ddot: float
    """A sixth of the second time derivative of the mean motion, rev/day³ (the TLE field)."""
    tle_lines: tuple[str, str] | None = None
    omm: Mapping[str, object] | None = field(default=None, hash=False)

    @property
    def semi_major_axis_km(self) -> float:
        """SGP4's mean semi-major axis: from the TLE's Kozai mean motion turned Brouwer's."""
        kozai = self.mean_motion_rev_per_day * 2.0 * math.pi / _MINUTES_PER_DAY
        cos_i = math.cos(math.radians(self.inclination_deg))
        one_minus_e2 = 1.0 - self.eccentricity**2
        d1 = 0.75 * _J2 * (3.0 * cos_i * cos_i - 1.0) / (math.sqrt(one_minus_e2) * one_minus_e2)
        a1 = math.pow(_XKE_PER_MINUTE / kozai, 2.0 / 3.0)
        delta1 = d1 / (a1 * a1)
        a0 = a1 * (1.0 - delta1 * delta1 - delta1 * (1.0 / 3.0 + 134.0 * delta1 * delta1 / 81.0))
        brouwer = kozai / (1.0 + d1 / (a0 * a0))
        return math.pow(_XKE_PER_MINUTE / brouwer, 2.0 / 3.0) * EARTH_RADIUS_KM

    @property
    def period_minutes(self) -> float:
        """Orbital period as CelesTrak and trackers show it: a day over the mean motion."""
        return _MINUTES_PER_DAY / self.mean_motion_rev_per_day

    @property
    def apogee_altitude_km(self) -> float:
        """Highest point above the equatorial radius, from the mean elements."""
        return self.semi_major_axis_km * (1.0 + self.eccentricity) - EARTH_RADIUS_KM

    @property
    def perigee_altitude_km(self) -> float:
        """Lowest point above the equatorial radius, from the mean elements."""
        return self.semi_major_axis_km * (1.0 - self.eccentricity) - EARTH_RADIUS_KM

    def age_at(self, when: datetime) -> timedelta:
        """How old the element set is at ``when`` (negative before the epoch)."""
        if when.tzinfo is None:
            raise ValueError(f"{when.isoformat()} has no time zone: give an aware datetime")
        return when - self.epoch


def parse_elements(text: str | bytes) -> list[Elements]:
    """Element sets from TLE text (2- or 3-line) or CelesTrak OMM JSON, told apart by content."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ElementsError(
                f"input is not UTF-8 text (byte {exc.start} is {text[exc.start]:#04x})",
                "give TLE text or CelesTrak OMM JSON (FORMAT=JSON), not a binary file",
            ) from None
    if text.lstrip().startswith(("{", "[")):
        return parse_omm_json(text)
    return parse_tle(text)


def load_elements(path: str | Path) -> list[Elements]:
    """Element sets from a TLE or OMM JSON file."""
    return parse_elements(Path(path).read_bytes())


def parse_tle(text: str) -> list[Elements]:
    """Every element set in TLE text: 2-line sets, or 3-line sets with a name line first.

    A name line may carry the ``0 `` prefix of the 3LE format. Blank lines are skipped.
    """
    lines = [(number, line.rstrip()) for number, line in enumerate(text.splitlines(), 1)]
    lines = [(number, line) for number, line in lines if line]
    if not any(line.startswith(("1 ", "2 ")) for _, line in lines):
        first = lines[0][1][:40] if lines else ""
        raise ElementsError(
            f"input is neither TLE text nor OMM JSON: no line starts with '1 ' or '2 ' "
            f"(first line: {first!r})",
            "give 2-line or 3-line TLEs, or CelesTrak's OMM JSON (gp.php?...&FORMAT=JSON)",
        )
    parsed = []
    index = 0
    while index < len(lines):
        name = ""
        if _is_name_line(lines, index):
            name = lines[index][1].removeprefix("0 ").strip()
            index += 1
        missing = 1 if index == len(lines) else 2 if index + 1 == len(lines) else 0
        if missing:
            raise TleError(
                f"missing: the input ends before line {missing}",
                line=missing,
                column=1,
                text="",
                input_line=lines[-1][0] + 1,
                name=name,
            )
        (input_line, line1), (_, line2) = lines[index], lines[index + 1]
        parsed.append(_parse_tle_lines(name, line1, line2, input_line))
        index += 2
    return parsed


def _is_name_line(lines: Sequence[tuple[int, str]], index: int) -> bool:
    line = lines[index][1]
    if line.startswith("1 "):
        return False
    # A full-length line just before a line 2 is a line 1 with a broken start, not a name.
    before_line2 = index + 1 < len(lines) and lines[index + 1][1].startswith("2 ")
    return not (len(line) == TLE_LINE_LENGTH and before_line2)


def tle_elements(line1: str, line2: str, name: str = "") -> Elements:
    """One element set from its two TLE lines (trailing whitespace is ignored)."""
    return _parse_tle_lines(name.strip(), line1.rstrip(), line2.rstrip(), first_input_line=1)


def _parse_tle_lines(name: str, line1: str, line2: str, first_input_line: int) -> Elements:
    tle1 = _TleLine(1, line1, first_input_line, name)
    tle2 = _TleLine(2, line2, first_input_line + 1, name)
    norad_id = tle1.catalogue_number()
    if line2[2:7] != line1[2:7]:
        tle2.fail(
            3,
            f"catalogue number {line2[2:7]!r} differs from line 1's {line1[2:7]!r}",
            hint="the two lines belong to different satellites: keep each line 2 with its line 1",
        )
    tle1.expect_spaces(2, 9, 18, 33, 44, 53, 62, 64)
    tle2.expect_spaces(2, 8, 17, 26, 34, 43, 52)
    return Elements(
        name=name,
        norad_id=norad_id,
        epoch=tle1.epoch(),
        mean_motion_rev_per_day=tle2.number(53, 63, "mean motion", _ABOVE_ZERO),
        eccentricity=tle2.eccentricity(),
        inclination_deg=tle2.number(9, 16, "inclination", _HALF_TURN),
        raan_deg=tle2.number(18, 25, "right ascension of the node", _FULL_TURN),
        arg_of_perigee_deg=tle2.number(35, 42, "argument of perigee", _FULL_TURN),
        mean_anomaly_deg=tle2.number(44, 51, "mean anomaly", _FULL_TURN),
        bstar_per_earth_radius=tle1.implied_decimal(54, "B* drag term"),
        mean_motion_dot=tle1.number(34, 43, "mean motion derivative", _ANY),
        mean_motion_ddot=tle1.implied_decimal(45, "mean motion second derivative"),
        tle_lines=(line1, line2),
    )


@dataclass(frozen=True)
class _Range:
    """Where a value must lie; an open end excludes its bound."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def problem(self, value: float) -> str | None:
        """None if ``value`` is in range, else what the range is."""
        if math.isfinite(value) and (
            (value > self.low if self.low_open else value >= self.low)
            and (value < self.high if self.high_open else value <= self.high)
        ):
            return None
        if math.isinf(self.low) and math.isinf(self.high):
            return "must be a finite number"
        low = f"above {self.low:g}" if self.low_open else f"at least {self.low:g}"
        if math.isinf(self.high):
            return f"must be {low}"
        high = f"below {self.high:g}" if self.high_open else f"at most {self.high:g}"
        return f"must be {low} and {high}"


_ANY: Final = _Range()
_ABOVE_ZERO: Final = _Range(low=0.0, low_open=True)
_HALF_TURN: Final = _Range(0.0, 180.0)
_FULL_TURN: Final = _Range(0.0, 360.0)
_ECCENTRICITY: Final = _Range(0.0, 1.0, high_open=True)


class _TleLine:
    """One TLE line being checked; fields are addressed by 1-based TLE columns."""

    def __init__(self, number: int, text: str, input_line: int, name: str) -> None:
        self.line_number = number
        self.text = text
        self.input_line = input_line
        self.name = name
        if text[:1] != str(number):
            self.fail(1, f"line number is {text[:1]!r}, expected '{number}'")
        if len(text) != TLE_LINE_LENGTH:
            self.fail(
                min(len(text), TLE_LINE_LENGTH) + 1,
                f"line is {len(text)} characters long, expected {TLE_LINE_LENGTH}",
            )
        if not _is_digits(text[68]):
            self.fail(69, f"checksum {text[68]!r} is not a digit")
        computed = _tle_checksum(text)
        if int(text[68]) != computed:
            self.fail(69, f"checksum is {text[68]}, expected {computed}")

    def fail(self, column: int, problem: str, hint: str = _FETCH_AGAIN) -> NoReturn:
        raise TleError(
            problem,
            line=self.line_number,
            column=column,
            text=self.text,
            input_line=self.input_line,
            name=self.name,
            hint=hint,
        )

    def expect_spaces(self, *columns: int) -> None:
        for column in columns:
            if self.text[column - 1] != " ":
                self.fail(
                    column,
                    f"expected a space between fields, found {self.text[column - 1]!r}",
                    hint="the fields are shifted: every field has fixed columns in a TLE",
                )

    def number(self, first: int, last: int, what: str, allowed: _Range) -> float:
        """The decimal field in columns first..last."""
        raw = self.text[first - 1 : last].strip()
        try:
            value = float(raw) if raw.isascii() else math.nan
        except ValueError:
            value = math.nan
        if math.isnan(value):
            self.fail(first, f"{what} {raw!r} is not a number")
        problem = allowed.problem(value)
        if problem:
            self.fail(first, f"{what} {raw} is out of range: it {problem}")
        return value

    def implied_decimal(self, first: int, what: str) -> float:
        """An 8-column field like ``-12345-6`` meaning -0.12345e-6."""
        raw = self.text[first - 1 : first + 7]
        sign, mantissa, exponent_sign, exponent = raw[0], raw[1:6], raw[6], raw[7]
        if not (
            sign in " +-"
            and _is_digits(mantissa)
            and exponent_sign in " +-"
            and _is_digits(exponent)
        ):
            self.fail(first, f"{what} {raw!r} is not of the form ' 12345-6' (meaning .12345e-6)")
        return float(f"{sign.strip()}0.{mantissa}e{exponent_sign.strip()}{exponent}")

    def catalogue_number(self) -> int:
        raw = self.text[2:7]
        if _is_digits(raw):
            return int(raw)
        if raw[0] in _ALPHA5_LETTERS and _is_digits(raw[1:]):
            return (_ALPHA5_LETTERS.index(raw[0]) + 10) * 10000 + int(raw[1:])
        self.fail(
            3,
            f"catalogue number {raw!r} is neither 5 digits nor Alpha-5 (a letter and 4 digits)",
            hint="catalogue numbers above 339999 do not fit a TLE: use the OMM JSON form",
        )

    def epoch(self) -> datetime:
        raw_year = self.text[18:20]
        if not _is_digits(raw_year):
            self.fail(19, f"epoch year {raw_year!r} is not two digits")
        # The TLE convention: 57..99 are 1957..1999 (Sputnik was 1957), 00..56 are 2000..2056.
        year = int(raw_year) + (1900 if int(raw_year) >= 57 else 2000)
        days_in_year = 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365
        day_of_year = _Range(1.0, days_in_year + 1.0, high_open=True)
        day = self.number(21, 32, "epoch day of year", day_of_year)
        return datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=day - 1.0)

    def eccentricity(self) -> float:
        raw = self.text[26:33]
        if not _is_digits(raw):
            self.fail(27, f"eccentricity {raw!r} is not 7 digits (the decimal point is implied)")
        return int(raw) * 1e-7


def _is_digits(text: str) -> bool:
    """Only 0-9 (``str.isdigit`` also takes '²' and other scripts' digits)."""
    return text.isascii() and text.isdigit()


# Byte value -> what it adds to a TLE checksum: digits their value, '-' one, the rest nothing.
_CHECKSUM_WEIGHTS: Final = bytes(
    int(chr(byte)) if _is_digits(chr(byte)) else 1 if chr(byte) == "-" else 0 for byte in range(256)
)


def _tle_checksum(line: str) -> int:
    """The mod-10 checksum of columns 1-68."""
    return sum(line[:68].encode().translate(_CHECKSUM_WEIGHTS)) % 10


# Values SGP4 cannot use: other frames, time scales or theories (such as SGP4-XP).
_OMM_REQUIRED_TEXT: Final[Mapping[str, str]] = {
    "REF_FRAME": "TEME",
    "TIME_SYSTEM": "UTC",
    "MEAN_ELEMENT_THEORY": "SGP4",
    "CENTER_NAME": "EARTH",
}
_OMM_HINT: Final = (
    "give CelesTrak GP data as OMM JSON (gp.php?...&FORMAT=JSON): each record needs "
    "NORAD_CAT_ID, EPOCH and the SGP4 mean elements"
)


def parse_omm_json(text: str | bytes) -> list[Elements]:
    """Element sets from OMM JSON: a list of GP records or a single record.

    Numbers may be JSON numbers or numeric strings (Space-Track writes strings).
    """
    try:
        document = json.loads(text, parse_constant=_reject_json_constant)
    except ValueError as exc:  # JSONDecodeError is a ValueError, and so is NaN's rejection
        raise ElementsError(f"input is not valid JSON: {exc}", _OMM_HINT) from None
    records = document if isinstance(document, list) else [document]
    return [_OmmRecord(record, number).elements() for number, record in enumerate(records, 1)]


def omm_elements(record: Mapping[str, object]) -> Elements:
    """One element set from an OMM record already decoded from JSON."""
    return _OmmRecord(record, 1).elements()


def _reject_json_constant(constant: str) -> float:
    raise ValueError(f"{constant} is not a number JSON allows")


class _OmmRecord:
    """One OMM record being checked; ``number`` is its 1-based position in the input."""

    def __init__(self, record: object, number: int) -> None:
        if not isinstance(record, Mapping):
            raise ElementsError(
                f"OMM record {number} is not a JSON object: {json.dumps(record)[:60]}", _OMM_HINT
            )
        self.record: Mapping[str, object] = record
        self.position = number

    def fail(self, field_name: str, problem: str, hint: str = _OMM_HINT) -> NoReturn:
        raise OmmError(problem, field=field_name, record=self.position, hint=hint)

    def elements(self) -> Elements:
        for field_name, expected in _OMM_REQUIRED_TEXT.items():
            value = self.record.get(field_name, expected)
            if value != expected:
                self.fail(
                    field_name,
                    f"is {value!r}; SGP4 takes only {expected!r}",
                    hint="ask for standard SGP4 GP data, not SGP4-XP or another frame or theory",
                )
        return Elements(
            name=self.text("OBJECT_NAME", default="").strip(),
            norad_id=self.norad_id(),
            epoch=self.epoch(),
            mean_motion_rev_per_day=self.number("MEAN_MOTION", _ABOVE_ZERO),
            eccentricity=self.number("ECCENTRICITY", _ECCENTRICITY),
            inclination_deg=self.number("INCLINATION", _HALF_TURN),
            raan_deg=self.number("RA_OF_ASC_NODE", _FULL_TURN),
            arg_of_perigee_deg=self.number("ARG_OF_PERICENTER", _FULL_TURN),
            mean_anomaly_deg=self.number("MEAN_ANOMALY", _FULL_TURN),
            bstar_per_earth_radius=self.number("BSTAR", _ANY),
            # SGP4 does not use the derivatives, so records without them are still usable.
            mean_motion_dot=self.number("MEAN_MOTION_DOT", _ANY, default=0.0),
            mean_motion_ddot=self.number("MEAN_MOTION_DDOT", _ANY, default=0.0),
            omm=MappingProxyType(dict(self.record)),
        )

    def number(self, field_name: str, allowed: _Range, default: float | None = None) -> float:
        if field_name not in self.record and default is not None:
            return default
        raw = self.record.get(field_name)
        if raw is None:
            self.fail(field_name, "is missing")
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            self.fail(field_name, f"is {raw!r}, expected a number")
        try:
            value = float(raw)
        except ValueError:
            self.fail(field_name, f"{raw!r} is not a number")
        problem = allowed.problem(value)
        if problem:
            self.fail(field_name, f"{raw!r} is out of range: it {problem}")
        return value

    def text(self, field_name: str, default: str | None = None) -> str:
        raw = self.record.get(field_name, default)
        if raw is None:
            self.fail(field_name, "is missing")
        if not isinstance(raw, str):
            self.fail(field_name, f"is {raw!r}, expected a string")
        return raw

    def norad_id(self) -> int:
        raw = self.record.get("NORAD_CAT_ID")
        if raw is None:
            self.fail("NORAD_CAT_ID", "is missing")
        if isinstance(raw, str) and _is_digits(raw.strip()):
            raw = int(raw)
        if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
            self.fail("NORAD_CAT_ID", f"{raw!r} is not a positive whole number")
        return raw

    def epoch(self) -> datetime:
        raw = self.text("EPOCH")
        try:
            epoch = datetime.fromisoformat(raw)
        except ValueError:
            self.fail("EPOCH", f"{raw!r} is not an ISO 8601 date and time")
        if "T" not in raw:
            self.fail("EPOCH", f"{raw!r} has no time of day (expected YYYY-MM-DDTHH:MM:SS.ffffff)")
        # OMM epochs are UTC (TIME_SYSTEM is checked) and usually written without an offset.
        return epoch.replace(tzinfo=UTC) if epoch.tzinfo is None else epoch.astimezone(UTC)


def select_elements(candidates: Sequence[Elements], norad_id: int | None, origin: str) -> Elements:
    """The element set of one object out of ``candidates`` (parsed from ``origin``).

    The one rule every part follows: the sets of ``norad_id``, and of those the newest
    epoch; without a NORAD id the input must hold a single object. Raises
    :class:`ElementsError` naming ``origin`` when that picks nothing or is ambiguous.
    """
    if norad_id is not None:
        matching = [each for each in candidates if each.norad_id == norad_id]
        if not matching:
            found = ", ".join(str(each.norad_id) for each in candidates[:5]) or "none"
            more = f" and {len(candidates) - 5} more" if len(candidates) > 5 else ""
            raise ElementsError(
                f"{origin} holds no element set for NORAD {norad_id} (it has: {found}{more})",
                "give the elements of the satellite with that NORAD id, or correct the id",
            )
        return max(matching, key=lambda each: each.epoch)
    ids = sorted({each.norad_id for each in candidates})
    if len(ids) != 1:
        listed = ", ".join(map(str, ids[:5])) + (" ..." if len(ids) > 5 else "")
        raise ElementsError(
            f"{origin} holds element sets of {len(ids)} objects ({listed})",
            "give the NORAD id of the one to track, or a single element set",
        )
    return max(candidates, key=lambda each: each.epoch)


def elements_text(elements: Elements) -> str:
    """One element set as text that parses back to it: its TLE (with its name line, if it
    has a name) or its OMM record as a one-record JSON list."""
    if elements.tle_lines is not None:
        line1, line2 = elements.tle_lines
        return f"{elements.name}\n{line1}\n{line2}\n" if elements.name else f"{line1}\n{line2}\n"
    assert elements.omm is not None, "parsed elements keep their TLE lines or OMM record"
    return json.dumps([dict(elements.omm)], indent=1, sort_keys=True) + "\n"
