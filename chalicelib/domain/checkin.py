"""签到: the check-in streak, pure. The member keeps its runs of consecutive check-in days that
a make-up could still change (those ending on or after the last day of the previous month: a
make-up is for a day of the current month), so making up a missed day joins the runs on either
side of it exactly; the days themselves are the check-in records.

A streak bonus is paid once per run, by the check-in that brings the streak to or past its day:
a make-up pays no bonus itself, and the bonuses it carries the streak past are paid by the next
check-in. A run remembers how far it was paid, and two runs a make-up joins keep the larger, so
no bonus is paid twice for one streak.
"""

from __future__ import annotations

from datetime import date, timedelta

from msgspec import Struct
from msgspec.structs import replace

from .errors import MakeUpRefused
from .program import Checkin, StreakBonus

ONE_DAY = timedelta(days=1)


class Run(Struct, frozen=True):
    start: date
    end: date
    paid_through: int = 0  # the streak length up to which its bonuses were paid

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1


class Streak(Struct, frozen=True):
    """What a member's check-ins add up to; `Streak()` before the first."""

    runs: tuple[Run, ...] = ()  # oldest first; the last is the latest
    makeup_month: str | None = None  # "2026-11": the month `makeups` counts
    makeups: int = 0

    @property
    def latest(self) -> Run | None:
        return self.runs[-1] if self.runs else None

    def current(self, today: date) -> int:
        """The streak as of `today`: alive while the last check-in was today or yesterday."""
        run = self.latest
        if run is None or run.end < today - ONE_DAY:
            return 0
        return run.length

    def checked_in(self, today: date) -> bool:
        run = self.latest
        return run is not None and run.end == today

    def makeups_left(self, rules: Checkin, today: date) -> int:
        used = self.makeups if self.makeup_month == _month(today) else 0
        return max(rules.makeups_per_month - used, 0)


class Outcome(Struct, frozen=True):
    streak: Streak
    length: int  # the streak after this check-in
    bonuses: tuple[StreakBonus, ...]


def _month(day: date) -> str:
    return day.isoformat()[:7]


def _kept(runs: list[Run], today: date) -> tuple[Run, ...]:
    """The runs a make-up this month could still join: ending on the previous month's last day
    or later."""
    horizon = today.replace(day=1) - ONE_DAY
    return tuple(run for run in runs if run.end >= horizon)


def check_in(streak: Streak, today: date, rules: Checkin) -> Outcome:
    """Today's check-in (the caller has made sure it is the first today)."""
    runs = list(streak.runs)
    if runs and runs[-1].end == today - ONE_DAY:
        run = replace(runs.pop(), end=today)
    else:
        run = Run(today, today)
    length = run.length
    bonuses = sorted(rules.streak_bonuses, key=lambda b: b.day)
    due = tuple(b for b in bonuses if run.paid_through < b.day <= length)
    runs.append(replace(run, paid_through=max(run.paid_through, length)))
    return Outcome(replace(streak, runs=_kept(runs, today)), length, due)


def make_up(streak: Streak, day: date, today: date, rules: Checkin) -> Outcome:
    """Check in for `day`, a missed past day of this month (the caller has made sure it was
    missed): one of the month's make-ups. It joins the runs it touches and pays no bonus."""
    month = _month(today)
    if not (day < today and _month(day) == month):
        raise MakeUpRefused(
            f"only a past day of this month ({month}) can be made up", param="make_up"
        )
    if streak.makeups_left(rules, today) == 0:
        raise MakeUpRefused(
            f"no make-ups left this month (checkin.makeups_per_month is {rules.makeups_per_month})",
            param="make_up",
        )
    before = next((r for r in streak.runs if r.end == day - ONE_DAY), None)
    after = next((r for r in streak.runs if r.start == day + ONE_DAY), None)
    joined = Run(
        before.start if before else day,
        after.end if after else day,
        max(before.paid_through if before else 0, after.paid_through if after else 0),
    )
    runs = sorted(
        [r for r in streak.runs if r is not before and r is not after] + [joined],
        key=lambda r: r.start,
    )
    used = streak.makeups + 1 if streak.makeup_month == month else 1
    mended = Streak(_kept(runs, today), month, used)
    return Outcome(mended, mended.current(today), ())


def next_bonus(streak: Streak, today: date, rules: Checkin) -> StreakBonus | None:
    """The next bonus check-ins pay (one a make-up carried the streak past is paid next)."""
    length = streak.current(today)
    run = streak.latest
    paid = run.paid_through if run is not None and length else 0
    ahead = [b for b in rules.streak_bonuses if b.day > paid]
    return min(ahead, key=lambda b: b.day, default=None)


class CheckinDay(Struct, frozen=True):
    day: str
    points: int
    bonus_points: int
    streak: int
    makeup: bool
    response: str
