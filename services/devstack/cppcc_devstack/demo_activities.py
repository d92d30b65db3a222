"""Demo consultation activities, made through the gateway by the consultation office and the
members, the way the app makes them: an upcoming bimonthly forum with its notice and materials, an
upcoming thematic consultation whose notice went out late with a reason (rule 21), one still being
prepared, one cancelled, and two past meetings, each closed with its attendance — so the demo
members' duty records show it:

- a bimonthly forum about four and a half months ago: member_2's leave approved, member_4's refused
  (rule 24), the member and member_3 checked in, member_4 not there; its recommendation (建议案) was
  sent, instructed and answered (feedback received), its brief (协商专报) sent and never answered —
  its feedback date passed, so the scanner reports it overdue once the clock is back (rule 22);
- a standing-committee meeting a month ago: member_2's leave approved, the member there from the
  start to 40 minutes before the end; its recommendation is awaiting feedback with a leader's
  instruction, its minutes (会议纪要) still a draft.

The past is made with the stack's clock moved back (`Stack.clock_file`), as the proposal demo does."""

import time
from datetime import datetime, timedelta
from typing import Any

import httpx

from consultation_svc.outcomes.policy import DEFAULT_POLICY as OUTCOME_POLICY
from cppcc_common.clock import OffsetClock
from cppcc_common.workdays import local_date, start_of_day
from cppcc_devstack.stack import Stack

ACTIVITIES = "/api/v1/consultations/activities"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
# What consultation-svc answers until it has learned (by event) the organization's members.
_NOT_YET = {"consultation.not_current_members"}


def activities_demo(stack: Stack, client: httpx.Client) -> None:
    """Loads the demo activities once (a stack that has them already is left as it is)."""
    from cppcc_devstack.demo import _People, _person_id  # the demo's sign-ins (imports this module)

    people = _People(stack, client)
    office = people["staff_consultation"]
    existing = client.get(ACTIVITIES, headers=office)
    existing.raise_for_status()
    if existing.json()["items"]:
        return
    members = [_person_id(client, people[key]) for key in ("member", "member_2")]
    others = [_person_id(client, people[key]) for key in ("member_3", "member_4")]
    clock = OffsetClock(stack.clock_file)
    today = local_date(clock.now())

    def at(days: int, hour: int = 9) -> datetime:
        return start_of_day(today + timedelta(days=days)) + timedelta(hours=hour)

    forum = _schedule(client, office, "bimonthly_forum", "双月协商座谈会：优化营商环境", at(14), hours=3)
    _invite(
        client,
        office,
        forum,
        {
            "person_ids": members,
            "guests": [{"name": "王局长", "kind": "official", "affiliation": "市发展改革委"}],
        },
    )
    _post(client, office, f"{ACTIVITIES}/{forum}/notice", None)
    upload = {
        **office,
        "Content-Type": "application/pdf",
        "X-Filename": "%E4%BC%9A%E8%AE%AE%E6%9D%90%E6%96%99.pdf",
    }
    client.post(f"{ACTIVITIES}/{forum}/materials", content=PDF, headers=upload).raise_for_status()
    _post(client, office, f"{ACTIVITIES}/{forum}/materials/publish", None)
    _put(client, people["member"], f"{ACTIVITIES}/{forum}/answer", {"answer": "attend"})

    thematic = _schedule(
        client, office, "thematic", "专题协商会：城市更新中的历史街区保护", at(5, 14), hours=2
    )
    _invite(client, office, thematic, {"person_ids": members})
    _post(client, office, f"{ACTIVITIES}/{thematic}/notice", {"late_reason": "市委确定协商议题时间较晚"})

    _schedule(client, office, "inspection", "调研视察：农村饮水安全工程", at(40), hours=6)
    cancelled = _schedule(client, office, "sector", "界别协商：民营企业融资", at(20), hours=2)
    _post(
        client, office, f"{ACTIVITIES}/{cancelled}/cancel", {"reason": "与市政府常务会议时间冲突，另行安排"}
    )

    _past_forum(stack, client, clock, [*members, *others])
    _past_meeting(stack, client, clock, members)


OUTCOMES = "/api/v1/consultations/outcomes"
# The forum's outcomes are sent this many days ago: the policy's feedback months (rule 22; a month
# is at most 31 days) and six weeks more, so the brief's feedback is overdue — 135 by default.
FORUM_DAYS_AGO = OUTCOME_POLICY.feedback_due_months * 31 + 42


def _past_forum(stack: Stack, client: httpx.Client, clock: OffsetClock, people_ids: list[str]) -> None:
    """The bimonthly forum of about four and a half months ago and its outcomes (see the module)."""
    from cppcc_devstack.demo import _People

    member, member_2, member_3, member_4 = people_ids
    back = timedelta(days=FORUM_DAYS_AGO + 3)
    clock.move(-back)
    try:
        people = _People(stack, client)
        office = people["staff_consultation"]
        starts = start_of_day(local_date(clock.now()) + timedelta(days=3)) + timedelta(hours=14, minutes=30)
        forum = _schedule(
            client, office, "bimonthly_forum", "双月协商座谈会：推进老旧小区改造", starts, hours=3
        )
        _invite(client, office, forum, {"person_ids": people_ids})
        url = f"{ACTIVITIES}/{forum}"
        _post(client, office, url + "/notice", {"late_reason": "市政府调整专题汇报时间，通知顺延"})
        excused = _post(client, people["member_2"], url + "/leave", {"reason": "赴省政协参加培训"})
        _post(client, office, f"{url}/leaves/{excused['id']}/approve", None)
        refused = _post(client, people["member_4"], url + "/leave", {"reason": "单位事务"})
        _post(client, office, f"{url}/leaves/{refused['id']}/refuse", {"reason": "座谈会须出席"})
        held = (starts + timedelta(hours=3, minutes=30)) - clock.now()
        clock.move(held)
        back -= held
        office = people["staff_consultation"]
        whole = {"arrived_at": (starts - timedelta(minutes=10)).isoformat()}
        for person in (member, member_3):
            _put(client, office, f"{url}/attendances/{person}", whole)
        _post(client, office, url + "/close", None)
        sent_at_day = local_date(clock.now())
        recommendation = _outcome(
            client,
            office,
            forum,
            "recommendation",
            "关于加快推进老旧小区改造的建议案",
            "一、统筹加装电梯和管线改造；二、建立居民出资和长效管护机制；三、将完整社区建设纳入改造范围。",
        )
        brief = _outcome(
            client,
            office,
            forum,
            "brief",
            "协商专报：老旧小区改造中的居民意见",
            "座谈会上委员反映，部分小区改造方案征求居民意见不充分，建议改造前公示并召开居民议事会。",
        )
        for outcome in (recommendation, brief):
            _post(client, office, f"{OUTCOMES}/{outcome}/submit", None)
        _post(
            client,
            office,
            f"{OUTCOMES}/{recommendation}/instructions",
            {
                "level": "municipal",
                "leader": "市委书记",
                "text": "建议案很有针对性，请市住建局会同有关部门认真研究吸收。",
                "instructed_on": sent_at_day.isoformat(),
            },
        )
        # Two months later the responsible department answers the recommendation (not the brief).
        answered = timedelta(days=60)
        clock.move(answered)
        back -= answered
        office = people["staff_consultation"]
        _post(
            client,
            office,
            f"{OUTCOMES}/{recommendation}/feedback",
            {
                "text": "已将加装电梯纳入年度改造计划，出台居民出资指引，今年完成改造小区42个。",
                "received_on": local_date(clock.now()).isoformat(),
            },
        )
    finally:
        clock.move(back)


def _outcome(
    client: httpx.Client, office: dict[str, str], activity: str, kind: str, title: str, text: str
) -> str:
    body = {
        "activity_id": activity,
        "kind": kind,
        "title": title,
        "text": text,
        "recipients": [
            {"kind": "party_committee", "name": "中共示例市委"},
            {"kind": "government", "name": "示例市人民政府"},
            {"kind": "department", "name": "市住房和城乡建设局", "responsible": True},
        ],
    }
    return str(_post(client, office, OUTCOMES, body)["id"])


def _past_meeting(stack: Stack, client: httpx.Client, clock: OffsetClock, members: list[str]) -> None:
    """A standing-committee meeting 30 days ago: noticed 15 days before it, member_2's leave approved,
    the member there from the start to 40 minutes before the end, closed by the office."""
    from cppcc_devstack.demo import _People

    back = timedelta(days=45)
    clock.move(-back)
    try:
        people = _People(stack, client)
        office = people["staff_consultation"]
        starts = start_of_day(local_date(clock.now()) + timedelta(days=15)) + timedelta(hours=9)
        meeting = _schedule(
            client, office, "thematic_standing", "专题议政性常委会议：营商环境“十五五”规划", starts, hours=3
        )
        _invite(client, office, meeting, {"person_ids": members})
        _post(client, office, f"{ACTIVITIES}/{meeting}/notice", None)
        leave = _post(
            client, people["member_2"], f"{ACTIVITIES}/{meeting}/leave", {"reason": "参加全国政协调研活动"}
        )
        _post(client, office, f"{ACTIVITIES}/{meeting}/leaves/{leave['id']}/approve", None)
        held = (starts + timedelta(hours=4)) - clock.now()
        clock.move(held)
        back -= held
        office = people["staff_consultation"]
        came = {
            "arrived_at": (starts - timedelta(minutes=5)).isoformat(),
            "left_at": (starts + timedelta(hours=2, minutes=20)).isoformat(),
        }
        _put(client, office, f"{ACTIVITIES}/{meeting}/attendances/{members[0]}", came)
        _post(client, office, f"{ACTIVITIES}/{meeting}/close", None)
        recommendation = _outcome(
            client,
            office,
            meeting,
            "recommendation",
            "关于优化营商环境“十五五”规划的建议案",
            "一、推进涉企审批“一件事一次办”；二、完善民营企业诉求直达机制。",
        )
        _post(client, office, f"{OUTCOMES}/{recommendation}/submit", None)
        _post(
            client,
            office,
            f"{OUTCOMES}/{recommendation}/instructions",
            {
                "level": "municipal",
                "leader": "市长",
                "text": "请市发展改革委牵头研究，三个月内反馈办理情况。",
                "instructed_on": local_date(clock.now()).isoformat(),
            },
        )
        _outcome(
            client,
            office,
            meeting,
            "minutes",
            "专题议政性常委会议纪要",
            "会议听取了市政府关于营商环境“十五五”规划编制情况的通报，委员围绕涉企服务提出意见建议。",
        )
    finally:
        clock.move(back)


def _schedule(
    client: httpx.Client, office: dict[str, str], form: str, title: str, starts: datetime, *, hours: int
) -> str:
    body = {
        "form": form,
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=hours)).isoformat(),
        "venue": "市政协机关会议室",
        "organizer_name": "市政协办公室",
    }
    return str(_post(client, office, ACTIVITIES, body)["id"])


def _invite(
    client: httpx.Client, office: dict[str, str], activity: str, body: dict[str, Any], timeout: float = 60.0
) -> None:
    """Invites, again while consultation-svc does not yet know the members (a fresh stack)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.post(f"{ACTIVITIES}/{activity}/invitees", json=body, headers=office)
        not_yet = response.status_code == 422 and response.json().get("code") in _NOT_YET
        if not not_yet or time.monotonic() > deadline:
            response.raise_for_status()
            return
        time.sleep(0.2)


def _post(client: httpx.Client, headers: dict[str, str], path: str, body: Any) -> dict[str, Any]:
    response = client.post(path, json=body, headers=headers)
    response.raise_for_status()
    return dict(response.json())


def _put(client: httpx.Client, headers: dict[str, str], path: str, body: Any) -> dict[str, Any]:
    response = client.put(path, json=body, headers=headers)
    response.raise_for_status()
    return dict(response.json())
