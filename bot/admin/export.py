"""`senbot export provision-map`: the provision map as CSV or an Excel workbook.

Why here: the SENCO's spreadsheets and governors' reports want the same figures as the bot shows, so
the file is written from the provision-map queries unchanged (money in pounds with two decimals,
hours with two decimals). CSV holds the three views one after another, each under its own title line;
the workbook has one sheet per view. The export is audited (ids only).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from storage.queries.provision_map import ClassLine, ProvisionLine, PupilLine

Cell = str | int | Decimal


@dataclass(frozen=True)
class Table:
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]


def pounds(pence: int) -> Decimal:
    return Decimal(pence) / 100


def hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def tables(
    pupils: Sequence[PupilLine], provisions: Sequence[ProvisionLine], classes: Sequence[ClassLine]
) -> list[Table]:
    return [
        Table(
            "Per pupil",
            [
                "Pupil id",
                "Given name",
                "Family name",
                "Year",
                "Sessions attended",
                "Attended hours",
                "Cost (GBP)",
                "Financial year to date (GBP)",
                "Notional threshold (GBP)",
                "At or over threshold",
            ],
            [
                [
                    p.pupil_id,
                    p.given_name,
                    p.family_name,
                    p.year_group,
                    p.sessions,
                    hours(p.attended_minutes),
                    pounds(p.cost_pence),
                    pounds(p.year_to_date_pence),
                    pounds(p.threshold_pence),
                    "yes" if p.over_threshold else "no",
                ]
                for p in pupils
            ],
        ),
        Table(
            "Per provision",
            ["Provision id", "Provision", "Sessions", "Pupils", "Attended hours", "Cost (GBP)"],
            [
                [
                    p.provision_id,
                    p.name,
                    p.sessions,
                    p.pupils,
                    hours(p.attended_minutes),
                    pounds(p.cost_pence),
                ]
                for p in provisions
            ],
        ),
        Table(
            "Per class",
            ["Class id", "Class", "Pupils", "Sessions", "Attended hours", "Cost (GBP)"],
            [
                [c.class_id, c.name, c.pupils, c.sessions, hours(c.attended_minutes), pounds(c.cost_pence)]
                for c in classes
            ],
        ),
    ]


def write_csv(path: Path, heading: str, data: Sequence[Table]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow([heading])
        for table in data:
            out.writerow([])
            out.writerow([table.title])
            out.writerow(table.header)
            out.writerows([_csv_cell(v) for v in row] for row in table.rows)


def _csv_cell(value: Cell) -> str | int:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        # Names that look like formulas must not run in the SENCO's spreadsheet.
        return "'" + value
    return value


def write_xlsx(path: Path, heading: str, data: Sequence[Table]) -> None:
    book = Workbook()
    first = True
    for table in data:
        sheet = book.active if first and book.active is not None else book.create_sheet()
        first = False
        sheet.title = table.title
        sheet.append([heading])
        sheet.append(list(table.header))
        for row in table.rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
        money_columns = [i + 1 for i, h in enumerate(table.header) if h.endswith("(GBP)")]
        for row_number in range(3, len(table.rows) + 3):
            for column_number in money_columns:
                sheet.cell(row=row_number, column=column_number).number_format = "#,##0.00"
        sheet.freeze_panes = "A3"
    book.save(path)


def describe(school_name: str, start: dt.date, end: dt.date) -> str:
    return f"Provision map, {school_name}, {start.isoformat()} to {end.isoformat()}"
