"""A few hundred demo proposals, so that the office's list, search, similar-proposal hints and
statistics show something: made from templates of matters a municipal CPPCC hears every year, by
the two demo members, through the gateway as the app and the office make them (create, submit,
file, assign, and for the demo unit user's unit accept, talk with the proposer, reply, and the
proposer's rating), several proposals at a time.

Spread (by the proposal's place in the list, so every run makes the same demo): some stay at
review, are not filed or withdrawn, filed, designated key proposals; most are assigned across the
organization's units; those of 市教育局 (the demo unit user's) go on to handling, a reply of class
A, B or C, and a rating — satisfied (concluded), basically satisfied, or dissatisfied (re-handling,
and for some a second reply).
"""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from cppcc_common.clock import SHANGHAI, OffsetClock
from cppcc_devstack.stack import Stack

DEMO_UNIT = "市教育局"
COUNT = 200
WORKERS = 6


@dataclass(frozen=True)
class Topic:
    matter: str  # 案由's matter: 关于{area}{matter}的建议
    situation: str
    suggestions: tuple[str, ...]
    unit: str  # the unit the office assigns it to


TOPICS = (
    Topic(
        "老旧小区加装电梯",
        "多层住宅没有电梯，老年居民上下楼困难，加装电梯审批环节多、邻里协调难。",
        ("简化加装电梯审批流程", "设立加装电梯专项补贴"),
        "市住房和城乡建设局",
    ),
    Topic(
        "中小学课后服务",
        "课后服务内容单一，结束时间与家长下班时间不衔接，部分学校师资不足。",
        ("丰富课后服务内容", "引入第三方机构补充师资"),
        DEMO_UNIT,
    ),
    Topic(
        "校园周边交通安全",
        "上下学高峰校园周边车辆拥堵，接送车辆乱停乱放，存在安全隐患。",
        ("设置错峰接送区", "增派交警和志愿者疏导"),
        "市公安局",
    ),
    Topic(
        "城市内涝治理",
        "暴雨时下穿通道和低洼路段积水严重，排水管网标准偏低。",
        ("编制易涝点改造清单", "提高排水管网建设标准"),
        "市住房和城乡建设局",
    ),
    Topic(
        "社区养老服务设施",
        "日间照料中心布点不均，部分设施使用率低，专业护理人员缺乏。",
        ("按人口密度优化养老设施布点", "培养专业护理队伍"),
        "市卫生健康委员会",
    ),
    Topic(
        "农村生活污水治理",
        "部分村庄生活污水直排河道，已建设施运行维护经费不足。",
        ("统筹建设农村污水处理设施", "落实设施运维经费"),
        "市生态环境局",
    ),
    Topic(
        "中小学校园配餐质量",
        "配餐企业资质参差不齐，家长对饭菜质量和价格意见较大。",
        ("建立配餐企业准入退出机制", "推行家长陪餐制度"),
        DEMO_UNIT,
    ),
    Topic(
        "公交线路优化",
        "城郊公交线路少、班次间隔长，换乘不便，群众出行成本高。",
        ("加密城郊公交班次", "开通社区微循环公交"),
        "市交通运输局",
    ),
    Topic(
        "背街小巷停车管理",
        "老城区车位不足，占道停车影响通行和消防安全。",
        ("利用边角地块建设停车设施", "推行错时共享停车"),
        "市公安局",
    ),
    Topic(
        "高标准农田建设",
        "部分农田水利设施老化，建成后管护责任不清。",
        ("明确农田设施管护主体", "加大高标准农田建设投入"),
        "市农业农村局",
    ),
    Topic(
        "中小微企业融资",
        "中小微企业抵押物不足，融资难、融资贵问题依然突出。",
        ("扩大政府性融资担保规模", "推广知识产权质押融资"),
        "市财政局",
    ),
    Topic(
        "高校毕业生就业",
        "高校毕业生留本市就业比例不高，见习岗位供给不足。",
        ("增加就业见习岗位", "完善人才住房补贴政策"),
        "市人力资源和社会保障局",
    ),
    Topic(
        "食品安全监管",
        "网络订餐和小作坊食品安全风险突出，监管力量不足。",
        ("推行明厨亮灶", "加强网络订餐平台监管"),
        "市市场监督管理局",
    ),
    Topic(
        "学前教育普惠发展",
        "普惠性幼儿园学位不足，民办园收费偏高。",
        ("新建和改扩建公办幼儿园", "提高普惠性民办园补助标准"),
        DEMO_UNIT,
    ),
    Topic(
        "国土空间规划实施",
        "部分片区规划调整频繁，配套设施建设滞后于住宅开发。",
        ("严格规划刚性约束", "同步建设教育医疗配套"),
        "市自然资源和规划局",
    ),
    Topic(
        "营商环境优化",
        "部分审批事项仍需多头跑，涉企检查较多。",
        ("推行一件事一次办", "规范涉企行政检查"),
        "市发展和改革委员会",
    ),
    Topic(
        "基层医疗服务能力",
        "乡镇卫生院设备陈旧，全科医生留不住。",
        ("更新基层医疗设备", "提高基层医生待遇"),
        "市卫生健康委员会",
    ),
    Topic(
        "中小学心理健康教育",
        "学生心理问题呈低龄化趋势，专职心理教师配备不足。",
        ("按师生比配齐专职心理教师", "建立家校医协同机制"),
        DEMO_UNIT,
    ),
    Topic(
        "垃圾分类",
        "投放点设置不合理，分类运输环节存在混装混运。",
        ("优化投放点布局", "杜绝混装混运"),
        "市住房和城乡建设局",
    ),
    Topic(
        "大气污染防治",
        "秋冬季重污染天气时有发生，扬尘管控不到位。",
        ("加强工地扬尘管控", "推进工业企业深度治理"),
        "市生态环境局",
    ),
    Topic(
        "职业教育产教融合",
        "职业院校专业设置与本地产业需求匹配度不高。",
        ("按产业需求调整专业设置", "推行校企联合培养"),
        DEMO_UNIT,
    ),
    Topic(
        "农村客运",
        "部分偏远村庄客运班线少，群众出行不便。",
        ("推行预约响应式客运", "落实农村客运补贴"),
        "市交通运输局",
    ),
)
AREAS = ("", "城区", "县域", "新区", "乡村", "老城区", "开发区", "街道", "全市", "城乡结合部", "山区")
ASPECTS = ("", "进一步加强", "加快推进", "完善")


def _title(topic: Topic, n: int) -> str:
    aspect, area = ASPECTS[n % len(ASPECTS)], AREAS[(n // len(TOPICS)) % len(AREAS)]
    return f"关于{aspect}{area}{topic.matter}的建议"


# What becomes of the n-th proposal: its steps after submission (n % 20).
PLANS: dict[int, tuple[str, ...]] = {
    0: (),
    1: ("not_file",),
    2: ("withdraw",),
    3: ("file",),
    4: ("file", "key"),
    5: ("file", "assign"),
    6: ("file", "assign"),
    7: ("file", "assign"),
    8: ("file", "assign"),
    9: ("file", "assign"),
    10: ("file", "assign_demo", "accept"),
    11: ("file", "assign_demo", "accept", "communicate"),
    12: ("file", "assign_demo", "accept", "communicate", "reply:B"),
    13: ("file", "assign_demo", "accept", "communicate", "reply:A", "rate:satisfied"),
    14: ("file", "assign_demo", "accept", "communicate", "reply:A", "rate:satisfied"),
    15: ("file", "assign_demo", "accept", "communicate", "reply:B", "rate:basically_satisfied"),
    16: ("file", "assign_demo", "accept", "communicate", "reply:A", "rate:basically_satisfied"),
    17: ("file", "assign_demo", "accept", "communicate", "reply:C", "rate:dissatisfied"),
    18: ("file", "assign_demo", "accept", "communicate", "reply:C", "rate:dissatisfied", "reply:A"),
    19: ("file", "assign", "key"),
}


class _Maker:
    def __init__(
        self, client: httpx.Client, headers: Callable[[str], dict[str, str]], ids: dict[str, str]
    ) -> None:
        self.client, self.headers, self.ids = client, headers, ids

    def _send(self, method: str, path: str, who: str, body: Any = None) -> dict[str, Any]:
        response = self.client.request(method, path, headers=self.headers(who), json=body)
        response.raise_for_status()
        return dict(response.json()) if response.content else {}

    def make(self, n: int, today: str) -> None:
        topic = TOPICS[n % len(TOPICS)]
        author = "member" if n % 3 else "member_2"
        body = {
            "title": _title(topic, n),
            "situation": topic.situation,
            "suggestions": list(topic.suggestions),
            "suggested_unit": topic.unit,
        }
        pid = self._send("POST", "/api/v1/proposals", author, body)["id"]
        base = f"/api/v1/proposals/{pid}"
        self._send("POST", f"{base}/submit", author)
        lead = reply = ""
        for step in PLANS[n % len(PLANS)]:
            action, _, arg = step.partition(":")
            if action == "file":
                self._send("POST", f"{base}/file", "staff_proposals")
            elif action == "not_file":
                body = {"reason": "内容空泛、没有具体建议", "disposition": "none"}
                self._send("POST", f"{base}/not-file", "staff_proposals", body)
            elif action == "withdraw":
                self._send("POST", f"{base}/withdraw", author, {"reason": "已与有关部门沟通解决。"})
            elif action == "key":
                body = {
                    "meeting": "市政协主席会议",
                    "meeting_on": today,
                    "supervisor_ids": [self.ids["leader"]],
                }
                self._send("POST", f"{base}/key", "staff_proposals", body)
            elif action in ("assign", "assign_demo"):
                unit = DEMO_UNIT if action == "assign_demo" else topic.unit
                if action == "assign" and unit == DEMO_UNIT:
                    unit = "市发展和改革委员会"  # the demo unit's parts are the ones taken further
                answer = self._send(
                    "POST",
                    f"{base}/assignments",
                    "staff_proposals",
                    {"lead_unit_id": self.ids[f"unit:{unit}"]},
                )
                lead = f"{base}/assignments/{answer['assignments'][0]['id']}"
            elif action == "accept":
                self._send("POST", f"{lead}/accept", "unit_user")
            elif action == "communicate":
                body = {"kind": "visit", "communicated_on": today, "summary": "走访提案人，听取意见建议。"}
                self._send("POST", f"{lead}/communications", "unit_user", body)
            elif action == "reply":
                body = {
                    "letter": f"您提出的《{_title(topic, n)}》收悉。我局高度重视，已会同有关部门研究落实，"
                    f"具体措施为：{'；'.join(topic.suggestions)}。感谢您对教育工作的关心和支持。",
                    "signed_by": "市教育局局长",
                    "result_class": arg,
                }
                reply = self._send("POST", f"{lead}/replies", "unit_user", body)["id"]
            elif action == "rate":
                body = {
                    "rating": arg,
                    "comment": "答复认真，措施具体。" if arg != "dissatisfied" else "请明确时间表。",
                }
                self._send("POST", f"{base}/replies/{reply}/evaluations", author, body)


def bulk_proposals(
    stack: Stack, client: httpx.Client, headers: Callable[[str], dict[str, str]], ids: dict[str, str]
) -> None:
    """Makes the COUNT demo proposals unless the organization already has them (data survives restarts)."""
    staff = headers("staff_proposals")
    made = client.get("/api/v1/proposals/statistics", headers=staff)
    made.raise_for_status()
    if made.json()["total"]["submitted"]["value"] >= COUNT:
        return
    started = time.monotonic()
    today = OffsetClock(stack.clock_file).now().astimezone(SHANGHAI).date().isoformat()
    for who in ("member", "member_2", "staff_proposals", "unit_user"):
        headers(who)  # signed in once, before the workers share the tokens
    maker = _Maker(client, headers, ids)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for done in pool.map(lambda n: maker.make(n, today), range(COUNT)):
            del done
    stack.say(f"  {COUNT} 件演示提案 / demo proposals for statistics ({time.monotonic() - started:.1f}s)")
