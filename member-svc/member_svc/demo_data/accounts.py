"""The demo accounts of `make run`, one per role, all with the password `Demo@2026`: seeded by
`member_svc.demo`, printed by `make run`, listed in the README, and signed in as by the tests
(`cppcc_devstack.demo.DEMO_ACCOUNTS`). Pure data, so that anything may import it."""

from dataclasses import dataclass

DEMO_PASSWORD = "Demo@2026"


@dataclass(frozen=True)
class DemoAccount:
    key: str  # how tests and tools name the account
    phone: str
    name: str
    label: str  # what `make run` prints
    roles: tuple[str, ...]
    scopes: tuple[str, ...] = ()
    unit: str | None = None  # a unit user's handling unit, by name


# 13800000001 and 13800000003 are members because the demo roster lists them (make_roster.py's
# DEMO_MEMBERS); member_3 and member_4 are two of the roster's own rows (民革, 民建) given an account,
# so that a meeting has more than two members who sign in (tests/test_consultation_e2e.py).
ACCOUNTS = (
    DemoAccount("member", "13800000001", "张明", "委员 / member", ("member",)),
    DemoAccount("member_2", "13800000003", "王强", "委员 / member", ("member",)),
    DemoAccount("member_3", "19900000021", "史莉伟", "委员 / member", ("member",)),
    DemoAccount("member_4", "19900000042", "郭晓", "委员 / member", ("member",)),
    DemoAccount(
        "staff_proposals",
        "13800000002",
        "李静",
        "提案委工作人员 / staff: proposals",
        ("staff",),
        ("proposals",),
    ),
    DemoAccount(
        "staff_consultation",
        "13800000004",
        "陈晓",
        "协商工作人员 / staff: consultation",
        ("staff",),
        ("consultation",),
    ),
    DemoAccount(
        "staff_members", "13800000005", "刘洋", "委员工作人员 / staff: members", ("staff",), ("members",)
    ),
    DemoAccount(
        "staff_opinions",
        "13800000010",
        "吴芳",
        "社情民意信息工作人员 / staff: public-opinion reports",
        ("staff",),
        ("opinions",),
    ),
    DemoAccount("leader", "13800000006", "周建国", "主席会议成员 / leader", ("leader",)),
    DemoAccount(
        "unit_user",
        "13800000007",
        "孙丽",
        "承办单位用户 / unit user (市教育局)",
        ("unit_user",),
        unit="市教育局",
    ),
    DemoAccount(
        "admin",
        "13800000009",
        "赵敏",
        "系统管理员 / administrator (all staff scopes)",
        ("admin", "staff"),
        ("proposals", "consultation", "members", "notify", "opinions"),
    ),
)
