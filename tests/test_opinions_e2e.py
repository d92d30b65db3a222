"""A public-opinion report end to end through the gateway (issue 12): the demo member's proposal is
not filed, he asks for it to become a report (rule 7: the link both ways), the reports office
adopts it at the city and then the province with the governor's written instruction (rule 27), and
member-svc's duty ledger — fed by the events on the bus — shows his opinions points rise, the
report scored once at its highest adoption."""

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest
from e2e_support import gateway_client

from cppcc_common.clock import SHANGHAI
from cppcc_devstack.demo import auth_headers
from cppcc_devstack.stack import Stack

pytestmark = pytest.mark.e2e
T = TypeVar("T")


@pytest.fixture(scope="module")
def gw(stack: Stack) -> Iterator[httpx.Client]:
    with gateway_client(stack) as client:
        yield client


def _eventually(check: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(0.3)


def _call(
    gw: httpx.Client, headers: dict[str, str], method: str, path: str, body: Any = None, expect: int = 200
) -> Any:
    response = gw.request(method, path, headers=headers, json=body)
    assert response.status_code == expect, (method, path, response.status_code, response.text)
    return response.json() if response.content else None


def test_rule_27_a_report_converted_under_rule_7_is_scored_at_its_highest_adoption_and_instruction(
    gw: httpx.Client,
) -> None:
    member = auth_headers(gw, "member")
    proposals_office = auth_headers(gw, "staff_proposals")
    office = auth_headers(gw, "staff_opinions")
    leader = auth_headers(gw, "leader")
    other_member = auth_headers(gw, "member_2")

    # The member's proposal, submitted and not filed (rule 6), no disposition chosen at review.
    body = {
        "title": "关于规范城区餐饮油烟排放的建议",
        "situation": "城区部分餐饮店油烟直排，周边居民投诉较多。",
        "suggestions": ["强制安装油烟净化设施", "建立油烟在线监测"],
    }
    proposal = _call(gw, member, "POST", "/api/v1/proposals", body, expect=201)
    pid = proposal["id"]
    _call(gw, member, "POST", f"/api/v1/proposals/{pid}/submit")
    refusal = {"reason": "内容空泛、没有具体建议", "disposition": "none"}
    assert (
        _call(gw, proposals_office, "POST", f"/api/v1/proposals/{pid}/not-file", refusal)["status"]
        == "not_filed"
    )

    # Rule 7: the member asks for it to become a public-opinion report; the link runs both ways.
    report = _call(
        gw,
        member,
        "POST",
        f"/api/v1/opinions/from-proposal/{pid}",
        {"note": "委员申请转为社情民意信息"},
        expect=201,
    )
    rid = report["id"]
    assert report["converted_from_proposal_id"] == pid and report["status"] == "submitted"
    assert _call(gw, member, "GET", f"/api/v1/proposals/{pid}")["opinion_report_id"] == rid
    assert gw.get(f"/api/v1/opinions/{rid}", headers=other_member).status_code == 404  # rule 28

    year = datetime.fromisoformat(report["submitted_at"]).astimezone(SHANGHAI).year

    def duty() -> dict[str, Any] | None:
        r = gw.get("/api/v1/duty/records/me", params={"year": year}, headers=member)
        return dict(r.json()) if r.status_code == 200 else None

    def entries_of(record: dict[str, Any]) -> dict[str, Decimal]:
        return {e["rule"]: Decimal(e["points"]) for e in record["entries"] if e["source_object_id"] == rid}

    # The converted report is recorded in the ledger (at 0 by the default table: the proposal's
    # text already earned its submission points).
    before = _eventually(
        lambda: (r := duty()) and "opinions.submitted" in entries_of(r) and r, "the report's entry"
    )
    assert entries_of(before) == {"opinions.submitted": Decimal(0)}
    points_before = Decimal(before["categories"]["opinions"])

    # The office edits it, adopts it at the city, then the province adopts it and the governor instructs.
    _call(
        gw,
        office,
        "POST",
        f"/api/v1/opinions/{rid}/edits",
        {"analysis": "油烟净化设施安装率低，监管手段不足。"},
    )
    _call(
        gw,
        office,
        "POST",
        f"/api/v1/opinions/{rid}/adopt",
        {"level": "municipal", "mode": "single", "adopted_by": "市政协办公室"},
    )
    forward = {"recipients": [{"kind": "provincial_cppcc", "name": "省政协办公厅"}]}
    _call(gw, office, "POST", f"/api/v1/opinions/{rid}/forwards", forward)
    adopted = _call(
        gw,
        office,
        "POST",
        f"/api/v1/opinions/{rid}/adopt",
        {"level": "provincial", "mode": "single", "adopted_by": "省政协办公厅"},
    )
    assert adopted["adoption_level"] == "provincial"
    instruction = {
        "level": "provincial",
        "leader": "副省长 王某",
        "text": "请省生态环境厅研究推广。",
        "instructed_on": adopted["adopted_at"][:10],
    }
    instructed = _call(gw, office, "POST", f"/api/v1/opinions/{rid}/instructions", instruction)
    assert (instructed["adoption_level"], instructed["instruction_level"]) == ("provincial", "provincial")
    # The leaders read it; the member reads the edited text and his report's record.
    assert _call(gw, leader, "GET", f"/api/v1/opinions/{rid}")["instructions"][0]["leader"] == "副省长 王某"
    mine = _call(gw, member, "GET", f"/api/v1/opinions/{rid}")
    assert mine["analysis"] == "油烟净化设施安装率低，监管手段不足。" and mine["edited"] is True

    # Rule 27: the ledger scores the report once, at its highest adoption and instruction.
    def scored() -> dict[str, Any] | None:
        r = duty()
        return r if r and {"opinions.adopted", "opinions.instructed"} <= set(entries_of(r)) else None

    after = _eventually(scored, "the adoption's entries")
    adopted_points = entries_of(after)["opinions.adopted"]
    assert adopted_points > 0
    assert Decimal(after["categories"]["opinions"]) == points_before + adopted_points
    assert Decimal(after["categories"]["opinions"]) > points_before
    sources = {e["source_type"] for e in after["entries"] if e["source_object_id"] == rid}
    assert sources == {"cppcc.opinion.submitted.v1", "cppcc.opinion.adopted.v1"}
