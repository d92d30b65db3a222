"""Demo data: accounts are seeded by member-svc; proposals and the partner client are created
through the gateway, the way the app and an administrator create them, so the demo exercises
the real path. Also the helpers the tests use to sign in as each demo role."""

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from cppcc_common.clock import SHANGHAI, OffsetClock
from cppcc_devstack.demo_opinions import opinions_demo
from cppcc_devstack.demo_plans import plans_demo
from cppcc_devstack.stack import SERVICES, Stack, StartupFailed
from member_svc.demo_data.accounts import ACCOUNTS, DEMO_PASSWORD

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DEMO_PROPOSALS",
    "auth_headers",
    "login",
    "login_as",
    "RosterLoad",
    "seed",
    "seed_statistics",
    "seed_stories",
]

# The phone of each demo account by role key: member, member_2, member_3, member_4, staff_proposals,
# staff_consultation, staff_members, staff_opinions, leader, unit_user, admin (password DEMO_PASSWORD). The
# partner client has no phone: see `partner_credentials`.
DEMO_ACCOUNTS: dict[str, str] = {a.key: a.phone for a in ACCOUNTS}
DEMO_LOGINS = [(a.phone, a.label, a.name) for a in ACCOUNTS]

# The demo partner system (client credentials) of the unit user's handling unit. Its secret is
# made at seed time and written to the data folder, never committed.
DEMO_PARTNER_NAME = "演示对接系统 / demo partner system"
DEMO_PARTNER_UNIT = next(a.unit for a in ACCOUNTS if a.unit)
PARTNER_FILE = "demo-partner.json"


@dataclass(frozen=True)
class DemoProposal:
    """A demo proposal and the steps that bring it to its state, each taken by the role that takes
    it in real life, through the gateway (see `_STEPS`)."""

    key: str
    author: str  # the demo account of the first proposer
    title: str
    situation: str
    suggestions: tuple[str, ...]
    cosigners: tuple[str, ...] = ()  # demo accounts invited to co-sign
    steps: tuple[str, ...] = ()
    # Taken that many days ago: the stack's clock is moved back for them (`Stack.clock_file`), so
    # a deadline passed since then fires by itself once the clock is back.
    days_ago: int = 0


# A draft; a joint key proposal, filed; one assigned to a lead unit with a co-handler; one assigned
# to the demo unit user's unit (市教育局), which accepted it, talked with the proposer and replied,
# rated satisfied and so concluded, and published with the proposer's consent; one the unit's partner system handled, rated dissatisfied,
# handled again and replied a second time; one assigned a hundred days ago and now overdue; one
# returned for revision, one not filed, one merged into the key proposal, one withdrawn.
DEMO_PROPOSALS = (
    DemoProposal(
        "lift",
        "member",
        "关于加快老旧小区加装电梯的建议",
        "我市建成于2000年前的老旧小区中，多层住宅普遍没有电梯，老年居民上下楼困难。",
        ("简化加装电梯审批流程，推行“一窗受理”", "设立专项补贴，对低收入家庭给予倾斜"),
        cosigners=("member_2",),
        steps=("submit", "confirm", "file", "key"),
    ),
    DemoProposal(
        "waterlogging",
        "member",
        "关于加快城市易涝点改造的建议",
        "每逢暴雨，城区多处下穿通道和老旧小区严重积水，影响出行安全。",
        ("编制易涝点改造清单并限期完成", "市级财政设立排水设施改造专项资金"),
        steps=("submit", "file", "assign_with_cohandler"),
    ),
    DemoProposal(
        "elderly",
        "member",
        "关于完善社区养老服务设施的建议",
        "社区养老服务设施分布不均，部分街道日间照料中心使用率低。",
        ("按人口密度优化布点", "引入专业机构运营"),
    ),
    DemoProposal(
        "after_school",
        "member",
        "关于规范中小学课后服务的建议",
        "课后服务内容单一、收费标准不一，家长反映较多。",
        ("制定课后服务内容清单", "统一收费标准并公开"),
        steps=(
            "submit",
            "file",
            "assign",
            "accept",
            "communicate",
            "reply",
            "satisfied",
            "consent",
            "publish",
        ),
    ),
    DemoProposal(
        "school_meals",
        "member_2",
        "关于提升中小学校园配餐质量的建议",
        "部分学校配餐企业资质参差不齐，家长对饭菜质量和价格意见较大。",
        ("建立配餐企业准入和退出机制", "推行家长代表陪餐制度"),
        steps=(
            "submit",
            "file",
            "assign",
            "partner_accept",
            "partner_communicate",
            "partner_reply_c",
            "dissatisfied",
            "partner_reply_again",
        ),
    ),
    DemoProposal(
        "parking",
        "member_2",
        "关于缓解背街小巷停车难的建议",
        "老城区背街小巷车位不足，占道停车影响通行和消防安全。",
        ("利用边角地块建设停车设施",),
        steps=("submit", "return"),
    ),
    DemoProposal(
        "personal",
        "member_2",
        "关于解决本人亲属工作调动问题的建议",
        "本人亲属在外地工作，希望调回本市。",
        ("协调有关部门办理调动",),
        steps=("submit", "not_file"),
    ),
    DemoProposal(
        "lift_subsidy",
        "member_2",
        "关于提高既有住宅加装电梯补贴标准的建议",
        "加装电梯费用较高，现行补贴标准偏低，居民筹资困难。",
        ("提高市级补贴标准", "允许提取住房公积金用于加装电梯"),
        steps=("submit", "merge"),
    ),
    DemoProposal(
        "night_market",
        "member",
        "关于规范夜间经济街区管理的建议",
        "部分夜市噪声和油烟扰民，管理主体不清。",
        ("明确夜市管理主体", "设定经营时段"),
        steps=("submit", "withdraw"),
    ),
    DemoProposal(
        "school_bus",
        "member",
        "关于开通农村中小学校车线路的建议",
        "农村学生上学路途远，部分家长骑电动车接送，存在安全隐患。",
        ("按学区开通定制校车线路", "落实校车运营补贴"),
        steps=("submit", "file", "assign", "accept"),
        days_ago=100,
    ),
)


@dataclass(frozen=True)
class PartnerCredentials:
    client_id: str
    client_secret: str
    unit_id: str


def seed(stack: Stack) -> None:
    """Loads the whole demo (idempotent: every start calls it), saying what it does: the stories,
    then the statistics' template proposals (`make run` loads those once it is ready)."""
    seed_stories(stack)
    seed_statistics(stack)


class RosterLoad:
    """member-svc's demo data (accounts, term, units, the roster of 300 members), loaded by its
    `seed-demo` command straight into its database: it can run while the services start (its
    events wait in member-svc's outbox until the relay publishes them)."""

    def __init__(self, stack: Stack) -> None:
        stack.say("加载演示数据 / loading demo data: accounts, term, units, the roster of 300 members …")
        self.stack, self.started = stack, time.monotonic()
        member = SERVICES[0]
        # Its output goes to a file, not a pipe nobody reads until it ends (a full pipe would stop it).
        self.log = stack.log_dir / "member-seed-demo.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", member.module, "seed-demo"],
                env=stack.env_for(member),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait(self) -> None:
        if self.process.wait() != 0:
            output = self.log.read_text(errors="replace")
            raise StartupFailed(f"demo data of member-svc failed:\n{output[-3000:]}")
        self.stack.say(f"  委员名单已导入 / roster loaded ({time.monotonic() - self.started:.1f}s)")


def seed_stories(stack: Stack, roster: RosterLoad | None = None) -> None:
    """The accounts, the roster (`roster`, if started already), and each demo story in its state
    (proposals, reports, plans, activities): what a user of `make run` signs in to see."""
    with _one_loading():
        _stories(stack, roster)


def _stories(stack: Stack, roster: RosterLoad | None) -> None:
    (roster or RosterLoad(stack)).wait()
    with httpx.Client(base_url=stack.gateway_url, timeout=10.0) as client:
        stack.say("  对接系统 / demo partner client …")
        _partner(stack, client)
        stack.say("  示例提案 / demo proposals …")
        people = _People(stack, client)
        _proposals(stack, client, people)
        _opinions(stack, client, people)
        plans_demo(stack, client)
        _activities(stack, client)


def seed_statistics(stack: Stack) -> None:
    """A few hundred more proposals, so the office's list, search and statistics show something
    (made only while the organization has fewer; after the stories, whose clock moves they avoid)."""
    with _one_loading(), httpx.Client(base_url=stack.gateway_url, timeout=10.0) as client:
        _proposals_for_statistics(stack, client, _People(stack, client))


def _opinions(stack: Stack, client: httpx.Client, people: "_People") -> None:
    """Public-opinion reports in every state, a converted proposal among them (demo_opinions.py)."""
    today = OffsetClock(stack.clock_file).now().astimezone(SHANGHAI).date().isoformat()
    opinions_demo(stack, client, people.__getitem__, _when_known, today)


def _activities(stack: Stack, client: httpx.Client) -> None:
    from cppcc_devstack.demo_activities import activities_demo  # imports this module's sign-ins

    stack.say("  协商活动 / demo consultation activities …")
    activities_demo(stack, client)


def _proposals(stack: Stack, client: httpx.Client, people: "_People") -> None:
    clock = OffsetClock(stack.clock_file)
    mine = client.get("/api/v1/proposals", params={"mine": "true"}, headers=people["member"])
    mine.raise_for_status()
    if mine.json()["items"]:
        return  # loaded before: data survives restarts
    ids = {key: _person_id(client, people[key]) for key in ("member_2", "leader")}
    ids["unit"] = _me(client, people["unit_user"])["unit_id"]
    units = client.get("/api/v1/units", params={"limit": "100"}, headers=people["staff_proposals"])
    ids |= {f"unit:{u['name']}": u["id"] for u in _items(units)}
    made: dict[str, str] = {}
    for proposal in DEMO_PROPOSALS:
        if proposal.days_ago:
            clock.move(-timedelta(days=proposal.days_ago))
        try:
            _make(client, proposal, people, ids, made, clock.now().astimezone(SHANGHAI).date().isoformat())
        finally:
            if proposal.days_ago:
                clock.move(timedelta(days=proposal.days_ago))


def _proposals_for_statistics(stack: Stack, client: httpx.Client, people: "_People") -> None:
    """The statistics' template proposals (cppcc_devstack/demo_proposals.py)."""
    from cppcc_devstack.demo_proposals import bulk_proposals

    ids = {"leader": _person_id(client, people["leader"])}
    units = client.get("/api/v1/units", params={"limit": "100"}, headers=people["staff_proposals"])
    ids |= {f"unit:{u['name']}": u["id"] for u in _items(units)}
    bulk_proposals(stack, client, people.__getitem__, ids)


# The sign-ins of one loading of the demo (`_one_loading`), shared by every `_People` meanwhile.
_loading: dict[tuple[float, str], dict[str, str]] | None = None


@contextmanager
def _one_loading() -> Iterator[None]:
    """Every part of the demo loaded inside shares its sign-ins; the next loading signs in afresh
    (a token kept longer could have been revoked, by a sign-out or a test, or have expired)."""
    global _loading
    outer = _loading
    _loading = {} if outer is None else outer
    try:
        yield
    finally:
        _loading = outer


class _People:
    """The demo accounts' (and the partner client's) authorization headers, each signed in once per
    position of the stack's clock (a token is judged by the moved time, so one signed at another
    offset is refused) and shared by every part of one loading of the demo: the gateway limits
    sign-ins per address (20 a minute), and every sign-in past that waited out a Retry-After of
    seconds."""

    def __init__(self, stack: Stack, client: httpx.Client) -> None:
        self.stack, self.client = stack, client
        self._clock = OffsetClock(stack.clock_file)
        self._own: dict[tuple[float, str], dict[str, str]] = {}

    def __getitem__(self, who: str) -> dict[str, str]:
        signed = _loading if _loading is not None else self._own
        key = (round(self._clock.offset().total_seconds()), who)
        headers = signed.get(key)
        if headers is None:
            token = (
                partner_token(self.client, partner_credentials(self.stack))
                if who == "partner"
                else login_as(self.client, who)
            )
            headers = signed[key] = {"Authorization": f"Bearer {token}"}
        return headers


def _make(
    client: httpx.Client,
    proposal: DemoProposal,
    people: _People,
    ids: dict[str, str],
    made: dict[str, str],
    today: str,
) -> None:
    """The proposal, and each of its steps taken by its role, through the gateway."""
    body = {
        "title": proposal.title,
        "situation": proposal.situation,
        "suggestions": list(proposal.suggestions),
        "cosigner_ids": [ids[key] for key in proposal.cosigners],
    }
    created = _when_known(client, "POST", "/api/v1/proposals", people[proposal.author], body)
    key = made[proposal.key] = created["id"]
    for step in proposal.steps:
        role, action, step_body, *method = _STEPS[step](Steps(ids, made, proposal.key, today))
        who = people[proposal.author if role == "author" else role]
        verb = method[0] if method else "POST"
        answer = _when_known(client, verb, f"/api/v1/proposals/{key}/{action}", who, step_body)
        if "assignments" in answer:  # the assignment the unit's steps act on
            made[f"{proposal.key}:lead"] = answer["assignments"][0]["id"]
        if action.endswith("/replies"):  # the reply the proposers rate
            made[f"{proposal.key}:reply"] = answer["id"]


@dataclass(frozen=True)
class Steps:
    """What a step's body is made from: the people's and units' ids, what was made so far, the
    proposal taking the step, and today (Asia/Shanghai, in the stack's clock)."""

    ids: dict[str, str]
    made: dict[str, str]
    key: str
    today: str

    @property
    def lead(self) -> str:
        return f"assignments/{self.made[self.key + ':lead']}"

    @property
    def reply(self) -> str:
        return f"replies/{self.made[self.key + ':reply']}"


# step -> (who takes it: a demo account, "partner" or "author"; the route after /proposals/{id}/;
# its body; the method when not POST).
_STEPS: dict[str, Any] = {
    "submit": lambda s: ("author", "submit", None),
    "confirm": lambda s: ("member_2", "cosign", {"answer": "confirm"}),
    "file": lambda s: ("staff_proposals", "file", None),
    "key": lambda s: (
        "staff_proposals",
        "key",
        {"meeting": "市政协主席会议", "meeting_on": s.today, "supervisor_ids": [s.ids["leader"]]},
    ),
    "return": lambda s: (
        "staff_proposals",
        "return",
        {"note": "请补充具体路段和停车缺口数据后再提交。"},
    ),
    "not_file": lambda s: (
        "staff_proposals",
        "not-file",
        {"reason": "属于个人或亲属的事项", "disposition": "forward_as_letter"},
    ),
    "merge": lambda s: ("staff_proposals", "merge", {"into_id": s.made["lift"]}),
    "withdraw": lambda s: ("author", "withdraw", {"reason": "已与有关部门沟通解决。"}),
    "assign": lambda s: ("staff_proposals", "assignments", {"lead_unit_id": s.ids["unit"]}),
    "assign_with_cohandler": lambda s: (
        "staff_proposals",
        "assignments",
        {"lead_unit_id": s.ids["unit:市住房和城乡建设局"], "cohandler_unit_ids": [s.ids["unit:市财政局"]]},
    ),
    "accept": lambda s: ("unit_user", f"{s.lead}/accept", None),
    "communicate": lambda s: (
        "unit_user",
        f"{s.lead}/communications",
        {
            "kind": "visit",
            "communicated_on": s.today,
            "summary": "上门走访提案人，听取对课后服务收费的意见。",
        },
    ),
    "reply": lambda s: (
        "unit_user",
        f"{s.lead}/replies",
        {
            "letter": "您提出的关于规范中小学课后服务的建议收悉。我局已制定课后服务内容清单，收费标准将于下学期统一公开。",
            "signed_by": "市教育局局长",
            "result_class": "A",
        },
    ),
    "satisfied": lambda s: (
        "author",
        f"{s.reply}/evaluations",
        {"rating": "satisfied", "comment": "答复具体，措施可行。"},
    ),
    "consent": lambda s: ("author", "publication/consent", {"consent": True}, "PUT"),
    "publish": lambda s: ("staff_proposals", "publication", {}),
    "partner_accept": lambda s: ("partner", f"{s.lead}/accept", None),
    "partner_communicate": lambda s: (
        "partner",
        f"{s.lead}/communications",
        {"kind": "phone", "communicated_on": s.today, "summary": "电话联系提案人，了解配餐企业存在的问题。"},
    ),
    "partner_reply_c": lambda s: (
        "partner",
        f"{s.lead}/replies",
        {
            "letter": "您的建议已收悉。配餐企业准入办法正在研究中，将在条件成熟时出台。",
            "signed_by": "市教育局局长",
            "result_class": "C",
        },
    ),
    "dissatisfied": lambda s: (
        "author",
        f"{s.reply}/evaluations",
        {"rating": "dissatisfied", "comment": "答复没有时间表，请明确准入办法出台时间。"},
    ),
    "partner_reply_again": lambda s: (
        "partner",
        f"{s.lead}/replies",
        {
            "letter": "经再次研究，我局将于明年春季学期前出台配餐企业准入和退出办法，并在全市推行家长陪餐制度。",
            "signed_by": "市教育局局长",
            "result_class": "A",
        },
    ),
}


def _me(client: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    me = client.get("/api/v1/me", headers=headers)
    me.raise_for_status()
    return dict(me.json())


def _person_id(client: httpx.Client, headers: dict[str, str]) -> str:
    return str(_me(client, headers)["id"])


# What proposal-svc answers until it has learned (by event) who the organization's current
# members and its units are: the demo waits for it rather than failing on a fresh stack.
_NOT_YET = {
    "proposal.not_a_current_member",
    "proposal.cosigners_invalid",
    "handling.assignment_invalid",
    "proposal.supervisor_not_a_leader",  # the leader's account not yet announced to proposal-svc
}


def _when_known(
    client: httpx.Client, method: str, path: str, headers: dict[str, str], body: Any, timeout: float = 60.0
) -> dict[str, Any]:
    """Sends the request, again while proposal-svc does not yet know the members."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.request(method, path, headers=headers, json=body)
        not_yet = response.status_code in (403, 422) and response.json().get("code") in _NOT_YET
        if not not_yet or time.monotonic() > deadline:
            response.raise_for_status()
            return dict(response.json())
        time.sleep(0.2)


def _partner(stack: Stack, client: httpx.Client) -> None:
    """The demo partner client, with a secret that works: kept from an earlier run, else a new
    secret (rotated, or the client registered) written to the data folder."""
    path = stack.data_dir / PARTNER_FILE
    if path.exists():
        kept = PartnerCredentials(**json.loads(path.read_text()))
        if _token_response(client, kept).status_code == 200:
            return
    admin = auth_headers(client, "admin")
    existing = [c for c in _items(client.get("/api/v1/partner-clients", headers=admin)) if _is_demo(c)]
    if existing:
        made = client.post(f"/api/v1/partner-clients/{existing[0]['id']}/rotate-secret", headers=admin)
    else:
        units = _items(client.get("/api/v1/units", headers=admin))
        unit_id = next(u["id"] for u in units if u["name"] == DEMO_PARTNER_UNIT)
        made = client.post(
            "/api/v1/partner-clients", headers=admin, json={"name": DEMO_PARTNER_NAME, "unit_id": unit_id}
        )
    made.raise_for_status()
    body = made.json()
    credentials = PartnerCredentials(body["client_id"], body["client_secret"], body["unit_id"])
    path.write_text(json.dumps(credentials.__dict__))
    path.chmod(0o600)


def _is_demo(client: dict[str, Any]) -> bool:
    return client.get("name") == DEMO_PARTNER_NAME and not client.get("revoked_at")


def _items(response: httpx.Response) -> list[dict[str, Any]]:
    """A collection, whether a bare array or a page (`items`)."""
    response.raise_for_status()
    body = response.json()
    return list(body["items"] if isinstance(body, dict) else body)


def _token_response(client: httpx.Client, credentials: PartnerCredentials) -> httpx.Response:
    return _signing_in(
        client,
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        },
    )


# The gateway limits sign-ins per client address (20 a minute by default); the demo and the tests
# sign in from one address, so a 429 is waited out as its Retry-After says, a few times at most.
_SIGN_IN_ATTEMPTS = 6
_SIGN_IN_LONGEST_WAIT = 10.0


def _signing_in(client: httpx.Client, path: str, **request: Any) -> httpx.Response:
    for _ in range(_SIGN_IN_ATTEMPTS - 1):
        response = client.post(path, **request)
        if response.status_code != 429:
            return response
        try:
            wait = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            wait = 1.0
        time.sleep(min(max(wait, 0.1), _SIGN_IN_LONGEST_WAIT))
    return client.post(path, **request)


# Signing in as the demo roles (tests and tools) -------------------------------------------------


def login(client: httpx.Client, phone: str) -> str:
    response = _signing_in(client, "/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


def login_as(client: httpx.Client, role: str) -> str:
    """An access token of the demo account with this key (see DEMO_ACCOUNTS)."""
    return login(client, DEMO_ACCOUNTS[role])


def auth_headers(client: httpx.Client, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login_as(client, role)}"}


def partner_credentials(stack: Stack) -> PartnerCredentials:
    """The demo partner client's credentials, as the last seed wrote them."""
    return PartnerCredentials(**json.loads((stack.data_dir / PARTNER_FILE).read_text()))


def partner_token(client: httpx.Client, credentials: PartnerCredentials) -> str:
    """An access token of the partner client (OAuth2 client credentials)."""
    response = _token_response(client, credentials)
    response.raise_for_status()
    return str(response.json()["access_token"])
