"""Administrators' routes of a service's working calendar (`cppcc_common.workdays_store`):
`GET {prefix}/working-calendar/{year}` and `PUT` of the same path (If-Match), role `admin` only.

The schedule is the national one, so any organization's administrator may enter it; each service
that counts working days keeps its own copy in its own database (DESIGN.md §9).
"""

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from cppcc_common.auth import Permission, Principal
from cppcc_common.change import Change, Changing
from cppcc_common.db import ReadSessionDep
from cppcc_common.openapi import problems
from cppcc_common.validation import BoundedDate, CleanStr, RequestModel
from cppcc_common.versioning import ExpectedVersion, etag
from cppcc_common.workdays import FIRST_YEAR, LAST_YEAR, MAX_HOLIDAYS, MAX_WORKDAYS, ScheduleInvalid, Source
from cppcc_common.workdays_store import CalendarVersionMismatch, YearView, set_year, year_view

Year = Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR, description="公历年份 / the year", examples=[2027])]


class WorkingCalendarYear(BaseModel):
    """A year's official schedule and where it comes from (`unknown`: counts over it are provisional)."""

    year: int
    source: Source
    holidays: list[date]
    workdays: list[date] = Field(
        description="调休工作日：上班的周末 / make-up workdays: weekend days that work"
    )
    notice: str | None
    version: int
    updated_at: datetime | None
    updated_by: str | None


class WorkingCalendarYearWrite(RequestModel):
    """A year's whole schedule as the State Council published it; it replaces the year's."""

    holidays: list[BoundedDate] = Field(
        max_length=MAX_HOLIDAYS,
        description="放假日期（含假期中的周末）/ the days off, weekend days inside holiday periods included",
        examples=[["2027-01-01", "2027-01-02", "2027-01-03"]],
    )
    workdays: list[BoundedDate] = Field(
        max_length=MAX_WORKDAYS,
        description="调休上班的周末 / make-up workdays: weekend days that are working days",
        examples=[["2027-02-06"]],
    )
    notice: CleanStr | None = Field(
        None,
        max_length=200,
        description="依据的通知 / the notice it follows",
        examples=["国务院办公厅关于2027年部分节假日安排的通知"],
    )


def _respond(view: YearView, response: Response) -> WorkingCalendarYear:
    response.headers["ETag"] = etag(view.version)
    return WorkingCalendarYear(
        year=view.year,
        source=view.source,
        holidays=view.holidays,
        workdays=view.workdays,
        notice=view.notice,
        version=view.version,
        updated_at=view.updated_at,
        updated_by=str(view.updated_by) if view.updated_by else None,
    )


# What a service does, in the administrator's transaction, once a year's schedule is entered: count
# again the deadlines it stored as provisional (the year is known now).
YearEntered = Callable[[Change, int], Awaitable[None]]


def working_calendar_router(
    prefix: str,
    *,
    permission: Permission,
    tag: str = "working-calendar",
    on_entered: YearEntered | None = None,
) -> APIRouter:
    """The two routes under `prefix` (e.g. `/api/v1/proposals`), described by `tag`; who may read
    and enter the calendar is the mounting service's `permission` (its roles named there);
    `on_entered(change, year)` runs after a year is entered, in the same transaction."""
    router = APIRouter(prefix=prefix, tags=[tag])
    Admin = Annotated[Principal, Depends(permission)]
    Managing = Annotated[Change, Changing(permission)]

    @router.get(
        "/working-calendar/{year}",
        response_model=WorkingCalendarYear,
        summary="A year's holidays and make-up workdays, and their source (admin)",
    )
    async def get_year(
        year: Year, principal: Admin, session: ReadSessionDep, response: Response
    ) -> WorkingCalendarYear:
        return _respond(await year_view(session, year), response)

    @router.put(
        "/working-calendar/{year}",
        response_model=WorkingCalendarYear,
        responses=problems(ScheduleInvalid, CalendarVersionMismatch),
        summary="Enter a year's holidays and make-up workdays (admin, If-Match; 0 for a year not entered)",
    )
    async def put_year(
        year: Year,
        body: WorkingCalendarYearWrite,
        change: Managing,
        expected: ExpectedVersion,
        response: Response,
    ) -> WorkingCalendarYear:
        view = await set_year(
            change,
            year,
            holidays=body.holidays,
            workdays=body.workdays,
            notice=body.notice,
            expected=expected,
        )
        if on_entered is not None:
            await on_entered(change, year)
        return _respond(view, response)

    return router
