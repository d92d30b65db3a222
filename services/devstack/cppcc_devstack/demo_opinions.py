"""Demo data of public-opinion reports (社情民意信息, docs/opinions.md), made through the gateway by
the roles that make them in real life: members draft and submit reports; the reports office (staff
with the `opinions` scope) edits one, adopts others at several levels (single and combined),
forwards them, records leaders' instructions and feedback, and declines one with a reason; the
proposals office does not file a proposal and converts it into a report (rule 7). A draft and a
withdrawn report complete every state. 张明 (`member`) has one submitted report and a draft only,
so that his opinions points (10 of the cap of 15) still rise when a report of his is adopted
(tests/test_opinions_e2e.py). Idempotent: nothing is made when the office has reports."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from cppcc_devstack.stack import Stack

OPINIONS = "/api/v1/opinions"


@dataclass(frozen=True)
class DemoReport:
    key: str
    author: str  # the demo account writing it
    title: str
    situation: str
    analysis: str
    suggestion: str
    # (who, route after /opinions/{id}/, body): each taken by its role; "author" is the author.
    steps: tuple[tuple[str, str, Any], ...] = field(default_factory=tuple)


_FORWARD = {
    "recipients": [
        {"kind": "party_committee", "name": "市委办公室"},
        {"kind": "government", "name": "市政府办公室"},
        {"kind": "department", "name": "市消防救援支队"},
    ]
}

DEMO_REPORTS: tuple[DemoReport, ...] = (
    DemoReport(
        "charging",
        "member_2",
        "关于整治老旧小区电动自行车违规充电的建议",
        "近期我市多个老旧小区出现电动自行车入户充电、飞线充电现象，今年以来已发生相关火情3起。",
        "集中充电设施不足、收费偏高，物业管理力量薄弱，居民消防安全意识不强。",
        "一是将集中充电设施纳入老旧小区改造内容并给予电价优惠；二是开展联合执法整治飞线充电；三是加强消防安全宣传。",
        steps=(
            ("author", "submit", None),
            (
                "staff_opinions",
                "edits",
                {"title": "关于加强电动自行车充电安全管理的建议", "note": "标题精简"},
            ),
            (
                "staff_opinions",
                "adopt",
                {"level": "municipal", "mode": "single", "adopted_by": "市政协办公室"},
            ),
            ("staff_opinions", "forwards", _FORWARD),
            (
                "staff_opinions",
                "instructions",
                {
                    "level": "municipal",
                    "leader": "市长",
                    "text": "请市消防救援支队会同市住建局研究落实。",
                    "instructed_on": "today",
                },
            ),
            (
                "staff_opinions",
                "feedback",
                {
                    "source": "市消防救援支队",
                    "text": "已在全市开展专项整治，新建集中充电点120处。",
                    "received_on": "today",
                },
            ),
        ),
    ),
    DemoReport(
        "elderly_meals",
        "member_2",
        "关于扩大社区老年助餐服务覆盖面的建议",
        "我市60岁以上老年人口占比已超过20%，但社区老年食堂覆盖率不足四成，独居老人就餐困难。",
        "助餐点运营成本高、补贴标准低，社会力量参与不足，部分助餐点难以持续运营。",
        "建议将老年助餐纳入民生实事项目，完善运营补贴机制，鼓励餐饮企业和物业企业参与。",
        steps=(
            ("author", "submit", None),
            (
                "staff_opinions",
                "adopt",
                {"level": "municipal", "mode": "combined", "adopted_by": "市政协办公室"},
            ),
            (
                "staff_opinions",
                "forwards",
                {"recipients": [{"kind": "provincial_cppcc", "name": "省政协办公厅"}]},
            ),
            (
                "staff_opinions",
                "adopt",
                {"level": "provincial", "mode": "combined", "adopted_by": "省政协办公厅"},
            ),
            (
                "staff_opinions",
                "instructions",
                {
                    "level": "provincial",
                    "leader": "副省长",
                    "text": "请省民政厅研究，在全省推广经验。",
                    "instructed_on": "today",
                },
            ),
        ),
    ),
    DemoReport(
        "school_traffic",
        "member_2",
        "关于缓解中小学校门口上下学交通拥堵的建议",
        "城区部分中小学校门口上下学时段交通拥堵严重，接送车辆占道停放。",
        "学校周边停车资源不足，错峰放学和交通疏导措施落实不到位。",
        "建议设置临时即停即走车位，推行错峰放学，组织志愿者协助疏导交通。",
        steps=(
            ("author", "submit", None),
            ("staff_opinions", "edits", {"analysis": "学校周边停车资源不足，交通疏导力量薄弱。"}),
        ),
    ),
    DemoReport(
        "night_noise",
        "member_2",
        "关于治理夜间施工噪声扰民的建议",
        "部分工地夜间违规施工，噪声扰民投诉较多。",
        "夜间施工审批把关不严，执法取证难。",
        "建议严格夜间施工审批，推广噪声在线监测。",
        steps=(
            ("author", "submit", None),
            ("staff_opinions", "not-adopt", {"reason": "与本年度已报送的同类信息重复，已合并参考。"}),
        ),
    ),
    DemoReport(
        "bus_routes",
        "member",
        "关于优化城乡公交线路的建议",
        "部分乡镇公交班次少、末班车早，群众出行不便。",
        "城乡公交运营补贴不足，线路规划未随人口变化调整。",
        "建议优化线路和班次，延长末班车时间。",
        steps=(("author", "submit", None),),
    ),
    DemoReport(
        "withdrawn",
        "member_2",
        "关于规范共享单车停放的建议",
        "共享单车乱停乱放影响市容。",
        "企业调度运维不到位。",
        "建议划定停放区域并加强监管。",
        steps=(
            ("author", "submit", None),
            ("author", "withdraw", {"reason": "已向有关部门反映并得到解决。"}),
        ),
    ),
    DemoReport(
        "draft",
        "member",
        "关于加强农村饮用水安全保障的建议",
        "部分农村地区供水管网老化。",
        "",
        "",
    ),
)

# A proposal the proposals office does not file and converts into a report (rule 7).
CONVERTED_PROPOSAL = {
    "title": "关于在小区设置快递智能柜的建议",
    "situation": "部分老旧小区没有快递收发设施，快递堆放在门岗，丢件、错拿时有发生。",
    "suggestions": ["将快递智能柜纳入老旧小区改造配套", "规范快递柜收费"],
}


def opinions_demo(
    stack: Stack,
    client: httpx.Client,
    headers: Callable[[str], dict[str, str]],
    when_known: Callable[..., dict[str, Any]],
    today: str,
) -> None:
    """Public-opinion reports in every state (the module docstring)."""
    office = headers("staff_opinions")
    listed = client.get(OPINIONS, params={"limit": 1}, headers=office)
    listed.raise_for_status()
    if listed.json()["items"]:
        return  # loaded before: data survives restarts
    stack.say("  社情民意信息 / demo public-opinion reports …")
    for report in DEMO_REPORTS:
        author = headers(report.author)
        body = {k: getattr(report, k) for k in ("title", "situation", "analysis", "suggestion")}
        created = when_known(client, "POST", OPINIONS, author, body)
        for who, route, step_body in report.steps:
            if isinstance(step_body, dict):
                step_body = {k: (today if v == "today" else v) for k, v in step_body.items()}
            who_headers = author if who == "author" else headers(who)
            when_known(client, "POST", f"{OPINIONS}/{created['id']}/{route}", who_headers, step_body)
    proposals = headers("staff_proposals")
    member = headers("member_2")
    proposal = when_known(client, "POST", "/api/v1/proposals", member, CONVERTED_PROPOSAL)
    when_known(client, "POST", f"/api/v1/proposals/{proposal['id']}/submit", member, None)
    not_filed = {"reason": "内容空泛、没有具体建议", "disposition": "convert_to_opinion"}
    when_known(client, "POST", f"/api/v1/proposals/{proposal['id']}/not-file", proposals, not_filed)
