"""`loyalty import members FILE.csv`: members from the brand's old system, row by row through the
same use cases a storefront and an admin call — enrol (the identifiers find a member already
there), then the opening balance and tier (`services.opening`, once per member). Each row is
checked on its own; a refused row is reported with why and the rest go on. Running the same file
again changes nothing (every row finds its member and its opening balance already there), so an
import cut short is simply run again."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from msgspec import Struct, field
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chalicelib.contract.common import as_json
from chalicelib.contract.members import EnrollOut, EnrollRequest, enroll_out
from chalicelib.contract.opening import OpeningRequest, opening_out
from chalicelib.domain.errors import DomainError, IdempotencyKeyReused
from chalicelib.services import members, opening
from chalicelib.services.deps import Deps

COLUMNS = (
    "phone",
    "email",
    "external_id",
    "name",
    "birthday",
    "tags",
    "points",
    "points_expire_on",
    "tier",
)


class MemberRow(BaseModel):
    """One row of the file: the identifiers (one at least), the profile, the opening figures."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    phone: str | None = None
    email: str | None = None
    external_id: str | None = None
    name: str | None = None
    birthday: date | None = None
    tags: list[str] = Field(default_factory=list)
    points: int = Field(0, ge=0)
    points_expire_on: date | None = None
    tier: str | None = None

    @field_validator("tags", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [tag.strip() for tag in value.split(";") if tag.strip()]
        return value

    @model_validator(mode="after")
    def _identified(self) -> MemberRow:
        if not (self.phone or self.email or self.external_id):
            raise ValueError("a row needs a phone, an email or an external_id")
        return self


class Outcome(Struct):
    line: int
    status: str  # enrolled | existing | refused
    member_id: str | None = None
    opening: str | None = None  # opened | already | None (nothing to open)
    reason: str | None = None


class Report(Struct):
    rows: int = 0
    enrolled: int = 0
    existing: int = 0
    opened: int = 0
    already_opened: int = 0
    refused: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "row"
    return f"{where}: {first['msg']}"


def rows_of(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, cells) of each row; an unknown column refuses the whole file up front."""
    with path.open(newline="", encoding="utf-8-sig") as handle:  # Excel's byte order mark
        reader = csv.DictReader(handle)
        unknown = [c for c in reader.fieldnames or [] if c not in COLUMNS]
        if unknown or not reader.fieldnames:
            raise ValueError(
                f"unknown columns {', '.join(unknown) or '(none found)'}: the columns are "
                + ", ".join(COLUMNS)
            )
        for cells in reader:
            yield reader.line_num, {k: v for k, v in cells.items() if k and v not in (None, "")}


def import_row(deps: Deps, line: int, cells: dict[str, str], source: str) -> Outcome:
    try:
        row = MemberRow.model_validate(cells)
    except ValidationError as exc:
        return Outcome(line, "refused", reason=_problem(exc))
    program = deps.programs.require()
    opening_request = None
    try:
        if row.points or row.tier is not None:
            opening_request = OpeningRequest(
                points=row.points, expires_on=row.points_expire_on, tier=row.tier, source=source
            )
            opening.check(program, opening_request, deps.clock().astimezone(program.zone).date())
    except ValidationError as exc:
        return Outcome(line, "refused", reason=_problem(exc))
    except DomainError as exc:  # checked before enrolling: a refused row writes nothing
        param = {"expires_on": "points_expire_on"}.get(exc.param or "", exc.param)
        return Outcome(line, "refused", reason=f"{param or 'row'}: {exc}")
    try:
        enrol = EnrollRequest(
            phone=row.phone,
            email=row.email,
            external_id=row.external_id,
            name=row.name,
            birthday=row.birthday,
            tags=row.tags or None,
        )
        answer = members.enroll(deps, enrol, None, "admin", as_json(enroll_out))
    except ValidationError as exc:
        return Outcome(line, "refused", reason=_problem(exc))
    except DomainError as exc:
        return Outcome(line, "refused", reason=f"{exc.param or 'row'}: {exc}")
    member_id = EnrollOut.model_validate_json(answer.body).member_id
    outcome = Outcome(line, "enrolled" if answer.created else "existing", member_id)
    if opening_request is None:
        return outcome
    try:
        opened = opening.open_member(deps, member_id, opening_request, None, as_json(opening_out))
    except IdempotencyKeyReused:
        outcome.status, outcome.reason = (
            "refused",
            "an opening balance with other figures was already imported for this member",
        )
        return outcome
    except DomainError as exc:
        outcome.status, outcome.reason = "refused", f"{exc.param or 'row'}: {exc}"
        return outcome
    outcome.opening = "already" if opened.replayed else "opened"
    return outcome


def import_members(deps: Deps, path: Path, progress: Callable[[int], None] | None = None) -> Report:
    report = Report()
    for line, cells in rows_of(path):
        outcome = import_row(deps, line, cells, path.name)
        report.rows += 1
        report.outcomes.append(outcome)
        if outcome.status == "refused":
            report.refused += 1
        elif outcome.status == "enrolled":
            report.enrolled += 1
        else:
            report.existing += 1
        report.opened += outcome.opening == "opened"
        report.already_opened += outcome.opening == "already"
        if progress is not None:
            progress(report.rows)
    return report


def write_report(report: Report, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(("line", "status", "member_id", "opening", "reason"))
        for o in report.outcomes:
            writer.writerow((o.line, o.status, o.member_id or "", o.opening or "", o.reason or ""))
