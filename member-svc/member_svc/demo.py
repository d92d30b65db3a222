"""Demo data for `make run`: one municipal organization and a few accounts (idempotent).

The demo password is for local demos only; nothing seeds it outside `seed-demo`.
"""

import uuid

from cppcc_common.db import create_engine, create_sessionmaker, session_scope
from cppcc_common.settings import ServiceSettings
from member_svc.people.service import ensure_organization, register_person

DEMO_NAMESPACE = uuid.UUID("5f0c1c2e-8d53-4c5e-9a57-0c2f3c1d9e01")
DEMO_ORG_ID = uuid.uuid5(DEMO_NAMESPACE, "org:demo-city")
DEMO_PASSWORD = "Demo@2026"

DEMO_PEOPLE = [
    # phone, name, roles, scopes
    ("13800000001", "张明（委员）", ["member"], []),
    ("13800000002", "李静（提案委工作人员）", ["staff"], ["proposals"]),
    ("13800000003", "王强（委员）", ["member"], []),
    (
        "13800000009",
        "赵敏（系统管理员）",
        ["admin", "staff"],
        ["proposals", "consultation", "members", "notify"],
    ),
]


def demo_person_id(phone: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, f"person:{phone}")


async def seed_demo(settings: ServiceSettings) -> None:
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            await ensure_organization(session, id=DEMO_ORG_ID, name="示例市政协", level="municipal")
            for phone, name, roles, scopes in DEMO_PEOPLE:
                await register_person(
                    session,
                    id=demo_person_id(phone),
                    org_id=DEMO_ORG_ID,
                    name=name,
                    phone=phone,
                    password=DEMO_PASSWORD,
                    roles=roles,
                    scopes=scopes,
                )
    finally:
        await engine.dispose()
