"""A fixed data set for the statistics tests, written as the lifecycle leaves its rows, with the
figures computed by hand (docs/proposal-statistics.md has the definitions)."""

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from proposal_svc.similar.indexing import row_values

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # 10:00 on 15 June 2026 in Beijing: "today"
AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # submitted in 2026


@dataclass
class World:
    org: uuid.UUID = field(default_factory=uuid.uuid4)
    child: uuid.UUID = field(default_factory=uuid.uuid4)
    other_org: uuid.UUID = field(default_factory=uuid.uuid4)
    u1: uuid.UUID = field(default_factory=uuid.uuid4)
    u2: uuid.UUID = field(default_factory=uuid.uuid4)
    s1: uuid.UUID = field(default_factory=uuid.uuid4)
    s2: uuid.UUID = field(default_factory=uuid.uuid4)
    c1: uuid.UUID = field(default_factory=uuid.uuid4)
    c2: uuid.UUID = field(default_factory=uuid.uuid4)
    a: uuid.UUID = field(default_factory=uuid.uuid4)  # sector s1, 民盟, committee c1
    b: uuid.UUID = field(default_factory=uuid.uuid4)  # sector s2, 中共, committees c1, c2
    c: uuid.UUID = field(default_factory=uuid.uuid4)  # no sector, 无党派, no committee
    session: uuid.UUID = field(default_factory=uuid.uuid4)
    p: dict[str, uuid.UUID] = field(default_factory=dict)
    child_proposal: uuid.UUID = field(default_factory=uuid.uuid4)


TEXTS = {
    "P1": ("关于加快老旧小区加装电梯的建议", "老旧小区居民上下楼困难，加装电梯协调难。"),
    "P2": ("关于完善中小学课后服务的建议", "课后服务时间与家长下班时间不衔接。"),
    "P3": ("关于优化公交线路的建议", "城郊公交线路少，换乘不便。"),
    "P4": ("关于治理校园周边交通拥堵的建议", "上下学高峰校园周边拥堵严重。"),
    "P5": ("关于推进垃圾分类的建议", "垃圾分类投放点设置不合理。"),
    "P6": ("关于发展社区养老服务的建议", "社区养老服务设施不足。"),
    "P7": ("关于个人职称评定的请求", "本人职称评定问题。"),
    "P8": ("关于老旧小区电梯改造的建议", "老旧小区电梯改造资金不足。"),
    "P9": ("关于设立夜市的建议", "夜间经济活力不足。"),
    "P10": ("关于保护古树名木的建议", "古树保护经费不足。"),
}


async def _exec(conn: AsyncConnection, sql: str, **params: Any) -> None:
    await conn.execute(text(sql), params)


async def _proposal(
    conn: AsyncConnection,
    w: World,
    name: str,
    status: str,
    who: uuid.UUID,
    *,
    submitted: datetime = AT,
    number: int | None = None,
    org: uuid.UUID | None = None,
    kind: str = "session",
) -> uuid.UUID:
    pid = uuid.uuid4()
    title, situation = TEXTS.get(name, ("关于县域公共文化服务的建议", "乡镇文化站活动少。"))
    filed = number is not None
    await _exec(
        conn,
        "INSERT INTO proposals (id, org_id, status, kind, title, situation, suggestions, first_proposer_id,"
        " created_at, updated_at, submitted_at, version, filing_series, filing_number, filed_at)"
        " VALUES (:id, :org, :status, :kind, :title, :situation, :suggestions, :who, :at, :at, :submitted, 3,"
        " :series, :number, :filed)",
        id=pid,
        org=org or w.org,
        status=status,
        kind=None if status == "draft" else kind,
        title=title,
        situation=situation,
        suggestions=json.dumps(["建议一"]),
        who=who,
        at=submitted,
        submitted=None if status == "draft" else submitted,
        series=f"year:{submitted.year}" if filed else None,
        number=number,
        filed=submitted + timedelta(days=5) if filed else None,
    )
    await _exec(
        conn,
        "INSERT INTO proposal_proposers (proposal_id, person_id, role, position, status)"
        " VALUES (:p, :who, 'first', 0, 'confirmed')",
        p=pid,
        who=who,
    )
    if status != "draft":
        values = row_values(
            proposal_id=pid,
            org_id=org or w.org,
            title=title,
            situation=situation,
            suggestions=["建议一"],
            series=f"year:{submitted.year}",
            version=3,
            now=submitted,
        )
        await _exec(
            conn,
            "INSERT INTO proposal_texts (proposal_id, org_id, series, title, title_terms, body_terms, document,"
            " version, indexed_at) VALUES (:proposal_id, :org_id, :series, :title, :title_terms, :body_terms,"
            " CAST(:document AS tsvector), :version, :indexed_at)",
            **values,
        )
    w.p[name] = pid
    return pid


async def _part(
    conn: AsyncConnection,
    pid: uuid.UUID,
    org: uuid.UUID,
    unit: uuid.UUID,
    role: str,
    status: str,
    due: date,
    *,
    late: bool = False,
) -> uuid.UUID:
    aid = uuid.uuid4()
    await _exec(
        conn,
        "INSERT INTO assignments (id, proposal_id, org_id, unit_id, role, status, assigned_at, updated_at,"
        " reply_due_on, version) VALUES (:id, :p, :o, :u, :role, :status, :at, :at, :due, 1)",
        id=aid,
        p=pid,
        o=org,
        u=unit,
        role=role,
        status=status,
        at=AT + timedelta(days=6),
        due=due,
    )
    if late:
        await _exec(
            conn,
            "INSERT INTO deadline_notices (assignment_id, due_on, kind, fire_at, fired_at, outcome)"
            " VALUES (:a, :due, 'overdue', :at, :at, 'fired')",
            a=aid,
            due=due,
            at=datetime(due.year, due.month, due.day, 16, 0, tzinfo=UTC),
        )
    return aid


async def _reply(
    conn: AsyncConnection,
    pid: uuid.UUID,
    aid: uuid.UUID,
    unit: uuid.UUID,
    result_class: str,
    rating: str | None,
    person: uuid.UUID,
) -> None:
    rid = uuid.uuid4()
    await _exec(
        conn,
        "INSERT INTO replies (id, proposal_id, assignment_id, unit_id, letter, signed_by, result_class,"
        " replied_at, version) VALUES (:id, :p, :a, :u, '答复函', '局长', :c, :at, 1)",
        id=rid,
        p=pid,
        a=aid,
        u=unit,
        c=result_class,
        at=AT + timedelta(days=60),
    )
    if rating is not None:
        await _exec(
            conn,
            "INSERT INTO evaluations (id, proposal_id, reply_id, assignment_id, unit_id, person_id, rating,"
            " evaluated_at) VALUES (:id, :p, :r, :a, :u, :who, :rating, :at)",
            id=uuid.uuid4(),
            p=pid,
            r=rid,
            a=aid,
            u=unit,
            who=person,
            rating=rating,
            at=AT + timedelta(days=65),
        )


async def build(conn: AsyncConnection) -> World:
    """The organization's proposals of 2026 (P1–P9), one of 2025 (P10), a draft (P11), a child
    organization's proposal and another organization's."""
    w = World()
    await _exec(
        conn,
        "INSERT INTO organizations (org_id, parent_id, name, level) VALUES"
        " (:o, NULL, '示例市政协', 'municipal'), (:c, :o, '示例县政协', 'county'), (:x, NULL, '他市政协', 'municipal')",
        o=w.org,
        c=w.child,
        x=w.other_org,
    )
    await _exec(
        conn,
        "INSERT INTO units (unit_id, org_id, name, kind) VALUES (:u1, :o, '市教育局', 'bureau'),"
        " (:u2, :o, '市交通运输局', 'bureau')",
        u1=w.u1,
        u2=w.u2,
        o=w.org,
    )
    await _exec(
        conn,
        "INSERT INTO sectors (sector_id, org_id, name) VALUES (:s1, :o, '经济界'), (:s2, :o, '教育界')",
        s1=w.s1,
        s2=w.s2,
        o=w.org,
    )
    await _exec(
        conn,
        "INSERT INTO committees (committee_id, org_id, name) VALUES (:c1, :o, '提案委员会'),"
        " (:c2, :o, '经济委员会')",
        c1=w.c1,
        c2=w.c2,
        o=w.org,
    )
    for person, name, sector, party, committees in (
        (w.a, "张明", w.s1, "民盟", [w.c1]),
        (w.b, "李华", w.s2, "中共", [w.c1, w.c2]),
        (w.c, "王芳", None, "无党派", []),
    ):
        await _exec(
            conn,
            "INSERT INTO members (member_id, person_id, org_id, term_id, term_starts_on, term_ends_on, status,"
            " version, name, sector_id, party, committee_ids) VALUES (:m, :p, :o, :t, '2023-01-01',"
            " '2027-12-31', 'active', 1, :name, :sector, :party, :committees)",
            m=uuid.uuid4(),
            p=person,
            o=w.org,
            t=uuid.uuid4(),
            name=name,
            sector=sector,
            party=party,
            committees=committees,
        )
    await _exec(
        conn,
        "INSERT INTO session_windows (session_id, org_id, opens_at, closes_at) VALUES (:s, :o, :a, :b)",
        s=w.session,
        o=w.org,
        a=datetime(2026, 1, 1, tzinfo=UTC),
        b=datetime(2026, 3, 31, tzinfo=UTC),
    )
    # P1: concluded; U1 replied on time (A); satisfied.
    p1 = await _proposal(conn, w, "P1", "concluded", w.a, number=1)
    a = await _part(conn, p1, w.org, w.u1, "lead", "replied", date(2026, 6, 20))
    await _reply(conn, p1, a, w.u1, "A", "satisfied", w.a)
    # P2: replied; U1 replied late (its overdue fired); basically satisfied.
    p2 = await _proposal(conn, w, "P2", "replied", w.a, number=2)
    a = await _part(conn, p2, w.org, w.u1, "lead", "replied", date(2026, 5, 1), late=True)
    await _reply(conn, p2, a, w.u1, "B", "basically_satisfied", w.a)
    # P3: re-handling; U2 replied, dissatisfied, re-opened with a new due date.
    p3 = await _proposal(conn, w, "P3", "rehandling", w.b, number=3)
    a = await _part(conn, p3, w.org, w.u2, "lead", "accepted", date(2026, 9, 1))
    await _reply(conn, p3, a, w.u2, "C", "dissatisfied", w.b)
    await _exec(
        conn,
        "INSERT INTO proposal_history (id, proposal_id, action, from_status, to_status, at)"
        " VALUES (:id, :p, 'dissatisfied', 'replied', 'rehandling', :at)",
        id=uuid.uuid4(),
        p=p3,
        at=AT + timedelta(days=65),
    )
    # P4: handling; U2 (lead) overdue since 2 June; U1 co-handles (not a part owing a reply).
    p4 = await _proposal(conn, w, "P4", "handling", w.b, number=4)
    await _part(conn, p4, w.org, w.u2, "lead", "accepted", date(2026, 6, 1))
    await _part(conn, p4, w.org, w.u1, "cohandler", "views_sent", date(2026, 5, 1))
    # P5: split between U1 (due 1 July) and U2 (overdue since 11 June); an ordinary proposal.
    p5 = await _proposal(conn, w, "P5", "assigned", w.c, number=5, kind="ordinary")
    await _part(conn, p5, w.org, w.u1, "split", "assigned", date(2026, 7, 1))
    await _part(conn, p5, w.org, w.u2, "split", "assigned", date(2026, 6, 10))
    await _proposal(conn, w, "P6", "submitted", w.c)
    await _proposal(conn, w, "P7", "not_filed", w.a)
    await _proposal(conn, w, "P8", "merged", w.b)
    await _proposal(conn, w, "P9", "withdrawn", w.a, kind="ordinary")
    await _proposal(conn, w, "P10", "filed", w.a, submitted=datetime(2025, 4, 1, 2, tzinfo=UTC), number=1)
    await _proposal(conn, w, "P11", "draft", w.a)
    # The child organization's: concluded and replied on time; another organization's.
    w.child_proposal = await _proposal(conn, w, "CHILD", "concluded", uuid.uuid4(), org=w.child, number=1)
    await _proposal(conn, w, "OTHER", "concluded", uuid.uuid4(), org=w.other_org, number=1)
    return w


# The hand-computed figures of 2026 (P1–P9).
ORGANIZATION_2026 = {
    "submitted": 9,
    "filed": 5,  # P1–P5
    "replied": 3,  # P1, P2, P3
    "reply_rate": 0.6,
    "on_time": 2,  # P1, P3
    "late": 1,  # P2
    "on_time_rate": 0.6667,
    "evaluations": 3,
    "satisfied": 2,
    "satisfaction_rate": 0.6667,
    "rehandled": 1,  # P3
    "overdue": 2,  # P4 (U2's lead part), P5 (U2's split part)
}
BY_STATUS_2026 = {
    "submitted": 1,
    "filed": 0,
    "not_filed": 1,
    "merged": 1,
    "assigned": 1,
    "handling": 1,
    "replied": 1,
    "rehandling": 1,
    "concluded": 1,
    "withdrawn": 1,
}
# By unit: the proposals each holds a lead or split part of (U1: P1, P2, P5; U2: P3, P4, P5).
U1_2026 = {
    "submitted": 3,
    "filed": 3,
    "replied": 2,
    "reply_rate": 0.6667,
    "on_time": 1,
    "late": 1,
    "on_time_rate": 0.5,
    "evaluations": 2,
    "satisfied": 2,
    "satisfaction_rate": 1.0,
    "rehandled": 0,
    "overdue": 0,  # its P5 part is due on 1 July
}
U2_2026 = {
    "submitted": 3,
    "filed": 3,
    "replied": 1,
    "reply_rate": 0.3333,
    "on_time": 1,
    "late": 0,
    "on_time_rate": 1.0,
    "evaluations": 1,
    "satisfied": 0,
    "satisfaction_rate": 0.0,
    "rehandled": 1,
    "overdue": 2,
}
