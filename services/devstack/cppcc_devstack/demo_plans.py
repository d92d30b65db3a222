"""Demo data of the annual consultation plan and its topics (docs/consultation-plans.md), made
through the gateway by the roles that make them in real life: the consultation office opens the
topic collection, members propose topics (one on behalf of a sector), the office records the Party
committee's topic, drafts this year's plan with entries of several forms, accepts two topics into
it, submits it; a leader approves it; the office publishes it. Next year's collection stays open
so members can propose from the app. Idempotent: nothing is made when this year's plan exists."""

from datetime import timedelta
from typing import Any

import httpx

from cppcc_common.clock import SHANGHAI, OffsetClock
from cppcc_devstack.stack import Stack

C = "/api/v1/consultations"

# (topic, form, month, participants, lead department)
ENTRIES: tuple[tuple[str, str, int, dict[str, Any], str], ...] = (
    ("审议政府工作报告和国民经济和社会发展计划", "plenary", 1, {"scope": "all"}, "政协办公室"),
    (
        "推进城市更新和老旧小区改造",
        "thematic_standing",
        4,
        {"scope": "standing", "note": "邀请市政府分管副市长、市住房城乡建设局负责同志"},
        "市住房和城乡建设局",
    ),
    (
        "优化营商环境、促进民营经济发展",
        "bimonthly_forum",
        6,
        {"scope": "sectors", "groups": [{"name": "经济界"}, {"name": "工商联界"}]},
        "市发展和改革委员会",
    ),
    (
        "加强基层医疗卫生服务能力建设",
        "counterpart",
        8,
        {"scope": "committees", "groups": [{"name": "教科卫体委员会"}]},
        "市卫生健康委员会",
    ),
    ("《市生活垃圾分类管理条例（草案）》", "written", 9, {"scope": "all"}, "市城市管理局"),
    (
        "乡村振兴重点项目推进情况",
        "inspection",
        10,
        {"scope": "committees", "groups": [{"name": "农业和农村委员会"}]},
        "市农业农村局",
    ),
)


def _headers(stack: Stack, client: httpx.Client, key: str) -> dict[str, str]:
    from cppcc_devstack.demo import _People  # the demo's shared sign-ins (demo.py imports this module)

    return _People(stack, client)[key]


def _ok(response: httpx.Response) -> dict[str, Any]:
    response.raise_for_status()
    return dict(response.json())


def _sector_id(client: httpx.Client, headers: dict[str, str], name: str) -> str:
    """member-svc's id of the sector of that name (any signed-in person lists them)."""
    sectors = _ok(client.get("/api/v1/sectors", params={"limit": 100}, headers=headers))["items"]
    return str(next(s["id"] for s in sectors if s["name"] == name))


def plans_demo(stack: Stack, client: httpx.Client) -> None:
    """This year's published plan with its entries and topics, and next year's open collection."""
    stack.say("  年度协商计划和议题 / the annual consultation plan and its topics …")
    now = OffsetClock(stack.clock_file).now()
    year = now.astimezone(SHANGHAI).year
    staff, leader = _headers(stack, client, "staff_consultation"), _headers(stack, client, "leader")
    if _ok(client.get(f"{C}/plans", params={"year": year}, headers=staff))["items"]:
        return  # loaded before: data survives restarts
    member, member_2 = _headers(stack, client, "member"), _headers(stack, client, "member_2")
    closes = (now + timedelta(days=14)).isoformat()
    for y in (year, year + 1):
        windows = _ok(client.get(f"{C}/topic-windows", params={"year": y}, headers=staff))["items"]
        if not windows:
            note = f"面向全体委员征集{y}年度协商议题"
            _ok(
                client.post(
                    f"{C}/topic-windows", json={"year": y, "closes_at": closes, "note": note}, headers=staff
                )
            )
    topic = {"year": year, "reason": "群众关切，亟待协商"}
    childcare = _ok(
        client.post(
            f"{C}/topics",
            json={
                **topic,
                "title": "发展普惠托育服务",
                "description": "托育机构少、收费高，双职工家庭负担重。",
                "source_kind": "member",
            },
            headers=member,
        )
    )
    client.post(
        f"{C}/topics",
        json={
            **topic,
            "title": "促进民营经济高质量发展",
            "description": "中小微企业融资难、涉企审批环节多，营商环境仍有短板。",
            "source_kind": "sector",
            "source_name": "经济界",  # 王强's sector: a member proposes only for a group of theirs
            "source_id": _sector_id(client, member_2, "经济界"),
        },
        headers=member_2,
    ).raise_for_status()
    business = _ok(
        client.post(
            f"{C}/topics/recorded",
            json={
                **topic,
                "title": "市委点题：打造一流营商环境",
                "description": "市委常委会确定的年度重点协商议题。",
                "source_kind": "party_committee",
                "source_name": "中共市委",
            },
            headers=staff,
        )
    )
    plan = _ok(
        client.post(
            f"{C}/plans",
            json={
                "year": year,
                "title": f"政协演示市委员会{year}年度协商工作计划",
                "notes": "围绕市委市政府中心工作，突出重点，统筹安排。",
            },
            headers=staff,
        )
    )
    pid = plan["id"]
    for title, form, month, participants, lead in ENTRIES:
        body = {
            "topic": title,
            "form": form,
            "planned_month": month,
            "participants": participants,
            "lead_department": lead,
        }
        _ok(client.post(f"{C}/plans/{pid}/entries", json=body, headers=staff))
    accept = {"plan_id": pid, "participants": {"scope": "all"}}
    _ok(
        client.post(
            f"{C}/topics/{business['id']}/accept",
            json={**accept, "form": "thematic", "planned_month": 7, "lead_department": "市发展和改革委员会"},
            headers=staff,
        )
    )
    _ok(
        client.post(
            f"{C}/topics/{childcare['id']}/accept",
            json={**accept, "form": "sector", "planned_month": 11, "lead_department": "市卫生健康委员会"},
            headers=staff,
        )
    )
    _ok(client.post(f"{C}/plans/{pid}/submit", headers=staff))
    record = f"经{year}年1月主席会议审议，报中共市委同意"
    _ok(client.post(f"{C}/plans/{pid}/approve", json={"record": record}, headers=leader))
    _ok(client.post(f"{C}/plans/{pid}/publish", headers=staff))
