"""The school calendar: what day it is at the school, and where years and terms begin.

Why one module: "today" must be the school's day (a session logged at 00:30 in London is that day
there, not the day before in UTC), and the academic year and the terms bound what counts as this
year's or recent work. Every flow and job asks here, so they cannot drift apart. Pure functions.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def school_today(now: dt.datetime, time_zone: str) -> dt.date:
    """The date at the school (`time_zone`, an IANA name) at the moment `now`."""
    return now.astimezone(ZoneInfo(time_zone)).date()


def academic_year_start(day: dt.date) -> dt.date:
    """1 September of the academic year that contains `day`."""
    return dt.date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def term_of(today: dt.date) -> tuple[dt.date, dt.date]:
    """The school term containing `today`: autumn Sep–Dec, spring Jan–Mar, summer Apr–Aug.

    Term dates differ by local authority and Easter moves; these boundaries hold every year and
    keep the figure comparable between pupils.
    """
    if today.month >= 9:
        return dt.date(today.year, 9, 1), dt.date(today.year, 12, 31)
    if today.month <= 3:
        return dt.date(today.year, 1, 1), dt.date(today.year, 3, 31)
    return dt.date(today.year, 4, 1), dt.date(today.year, 8, 31)


def previous_term_start(today: dt.date) -> dt.date:
    """Start of the term before the current one: "the last two terms" of evidence.

    English terms start in early September, early January and after Easter; 1 September, 1 January and
    15 April bound them well enough for choosing which sessions count as recent evidence.
    """
    starts = sorted(
        dt.date(year, month, d)
        for year in (today.year - 1, today.year)
        for month, d in ((1, 1), (4, 15), (9, 1))
    )
    current = max(s for s in starts if s <= today)
    return max(s for s in starts if s < current)
