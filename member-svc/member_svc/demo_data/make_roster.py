"""Writes `roster.xlsx`: the roster of a fictional municipal CPPCC (示例市政协第十五届), the way
an office keeps it (title-free header row, a few columns the import ignores).

    python -m member_svc.demo_data.make_roster

Seeded, so every run writes the same rows (and the same bytes with the same zlib). Names are
made up; the phone numbers 1990000xxxx are demo numbers, except 13800000001 and 13800000003,
the demo accounts that log in as members.
"""

import io
import random
import re
import zipfile
from pathlib import Path

from member_svc.roster.sheet import write_roster

ROSTER = Path(__file__).with_name("roster.xlsx")
SEED = 15
HEADER = ("序号", "姓名", "性别", "手机", "界别", "党派", "专委会", "职务", "是否常委", "工作单位及职务")

# Sector → (how the office writes the party of its members, or None for a mix; seats).
SECTORS: dict[str, tuple[str | None, int]] = {
    "中国共产党": ("中共党员", 16),
    "民革": ("民革党员", 8),
    "民盟": ("民盟盟员", 10),
    "民建": ("民建会员", 10),
    "民进": ("民进会员", 9),
    "农工党": ("农工党党员", 8),
    "致公党": ("致公党党员", 6),
    "九三学社": ("九三学社社员", 8),
    "无党派人士": ("无党派人士", 10),
    "共青团和青联": (None, 8),
    "工会": (None, 9),
    "妇联": (None, 9),
    "科协": (None, 8),
    "台联": (None, 5),
    "侨联": (None, 6),
    "工商联": (None, 12),
    "文化艺术界": (None, 11),
    "科学技术界": (None, 12),
    "社会科学界": (None, 10),
    "经济界": (None, 18),
    "农业界": (None, 11),
    "教育界": (None, 16),
    "体育界": (None, 6),
    "新闻出版界": (None, 7),
    "医药卫生界": (None, 16),
    "对外友好界": (None, 6),
    "社会福利和社会保障界": (None, 9),
    "少数民族界": (None, 7),
    "宗教界": (None, 7),
    "特别邀请人士": (None, 22),
}
MIXED_PARTIES = (
    ("中共党员", 45),
    ("无党派人士", 35),
    ("民盟", 4),
    ("民建", 4),
    ("民进", 4),
    ("九三学社", 4),
    ("农工党", 4),
)

COMMITTEES = (
    "提案委员会",
    "经济委员会",
    "农业和农村委员会",
    "人口资源环境委员会",
    "教科卫体委员会",
    "社会和法制委员会",
    "民族宗教委员会",
    "港澳台侨和外事委员会",
    "文化文史和学习委员会",
)
# Where members of a sector usually sit; otherwise any committee.
AFFINITY = {
    "经济界": "经济委员会",
    "工商联": "经济委员会",
    "民建": "经济委员会",
    "农业界": "农业和农村委员会",
    "农工党": "农业和农村委员会",
    "科协": "人口资源环境委员会",
    "九三学社": "人口资源环境委员会",
    "教育界": "教科卫体委员会",
    "体育界": "教科卫体委员会",
    "医药卫生界": "教科卫体委员会",
    "科学技术界": "教科卫体委员会",
    "民进": "教科卫体委员会",
    "工会": "社会和法制委员会",
    "妇联": "社会和法制委员会",
    "社会福利和社会保障界": "社会和法制委员会",
    "少数民族界": "民族宗教委员会",
    "宗教界": "民族宗教委员会",
    "台联": "港澳台侨和外事委员会",
    "侨联": "港澳台侨和外事委员会",
    "对外友好界": "港澳台侨和外事委员会",
    "致公党": "港澳台侨和外事委员会",
    "文化艺术界": "文化文史和学习委员会",
    "新闻出版界": "文化文史和学习委员会",
    "社会科学界": "文化文史和学习委员会",
    "民革": "文化文史和学习委员会",
}
WORKPLACES = {
    "教育界": ("示例市第一中学", "示例师范学院", "示例市实验小学"),
    "医药卫生界": ("示例市人民医院", "示例市中医院", "示例市疾病预防控制中心"),
    "经济界": ("示例城投集团有限公司", "示例农商银行", "示例市国资委"),
    "工商联": ("示例电子科技有限公司", "示例食品股份有限公司", "示例建设集团有限公司"),
    "农业界": ("示例市农业科学研究院", "示例县果蔬专业合作社", "示例市农业农村局"),
    "科学技术界": ("示例市科学技术研究院", "示例理工大学", "示例新材料有限公司"),
}
TITLES = ("主任", "副主任", "院长", "副院长", "教授", "董事长", "总经理", "主任医师", "研究员", "副局长")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴孔汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华建国志红文斌宇浩凯鹏晨欣怡佳琳雪梅海燕晓东立新振卫春生玉兰淑珍德永昌庆亚俊峰波辉婷瑶琪慧颖莉萍健鑫博睿哲思源嘉懿"
# The demo accounts that are members (demo.py): phone, name, sector, committee.
DEMO_MEMBERS = (
    ("13800000001", "张明", "教育界", "教科卫体委员会"),
    ("13800000003", "王强", "经济界", "经济委员会"),
)


def rows(seed: int = SEED) -> list[list[str]]:
    """The roster rows (without 序号), in the order of the sectors."""
    rng = random.Random(seed)
    people = _people(rng)
    _leadership(people)
    _committees(rng, people)
    _standing(rng, people)
    return [
        [
            p["name"],
            p["gender"],
            p["phone"],
            p["sector"],
            p["party"],
            p["committee"],
            p["position"],
            p["standing"],
            p["work"],
        ]
        for p in people
    ]


def _people(rng: random.Random) -> list[dict[str, str]]:
    names: set[str] = {n for _, n, _, _ in DEMO_MEMBERS}
    people: list[dict[str, str]] = []
    demo = {sector: (phone, name, committee) for phone, name, sector, committee in DEMO_MEMBERS}
    for sector, (party, seats) in SECTORS.items():
        for seat in range(seats):
            phone, name, committee = demo[sector] if sector in demo and seat == 0 else ("", "", "")
            name = name or _new_name(rng, names)
            people.append(
                {
                    "name": name,
                    "gender": rng.choice("男男女"),
                    "phone": phone or f"1990000{len(people) + 1:04d}",
                    "sector": sector,
                    "party": party or _weighted(rng, MIXED_PARTIES),
                    "committee": committee,
                    "position": "",
                    "standing": "",
                    "work": _work(rng, sector),
                }
            )
    return people


def _new_name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        if name not in taken:
            taken.add(name)
            return name


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def _work(rng: random.Random, sector: str) -> str:
    places = WORKPLACES.get(sector, (f"示例市{sector.removesuffix('界')}相关单位",))
    return f"{rng.choice(places)} {rng.choice(TITLES)}"


def _leadership(people: list[dict[str, str]]) -> None:
    """主席 and 秘书长 from the CPC sector; 副主席 from the CPC sector, four parties, non-party."""
    first_of: dict[str, list[dict[str, str]]] = {}
    for p in people:
        first_of.setdefault(p["sector"], []).append(p)
    chosen = [
        (first_of["中国共产党"][1], "主席"),
        (first_of["中国共产党"][2], "副主席"),
        (first_of["中国共产党"][3], "副主席"),
        (first_of["民革"][0], "副主席"),
        (first_of["民盟"][0], "副主席"),
        (first_of["民建"][0], "副主席"),
        (first_of["九三学社"][0], "副主席"),
        (first_of["无党派人士"][0], "副主席"),
        (first_of["中国共产党"][4], "秘书长"),
    ]
    for person, position in chosen:
        person["position"] = position
        person["standing"] = "是"


def _committees(rng: random.Random, people: list[dict[str, str]]) -> None:
    """Most members sit on one committee; each committee gets a 主任 and two or three 副主任."""
    for p in people:
        if p["position"] or p["committee"] or rng.random() < 0.25:
            continue
        near = AFFINITY.get(p["sector"])
        p["committee"] = near if near and rng.random() < 0.7 else rng.choice(COMMITTEES)
    demo_phones = {phone for phone, *_ in DEMO_MEMBERS}
    for committee in COMMITTEES:
        seated = [p for p in people if p["committee"] == committee and p["phone"] not in demo_phones]
        leads = rng.sample(seated, 1 + rng.choice((2, 3)))
        leads[0]["position"] = "主任"
        for vice in leads[1:]:
            vice["position"] = "副主任"
        leads[0]["standing"] = "是"


def _standing(rng: random.Random, people: list[dict[str, str]]) -> None:
    """About one member in ten is a standing member (leaders and committee chairs included)."""
    target = round(len(people) * 0.105)
    others = [p for p in people if not p["standing"]]
    for p in rng.sample(others, target - (len(people) - len(others))):
        p["standing"] = "是"
    for p in people:
        p["standing"] = p["standing"] or rng.choice(("否", "", "否"))  # offices leave many blank


def workbook(seed: int = SEED) -> bytes:
    numbered = [[str(i), *row] for i, row in enumerate(rows(seed), start=1)]
    return _reproducible(write_roster(HEADER, numbered, title="第十五届委员"))


def _reproducible(content: bytes) -> bytes:
    """The same bytes on every run: fixed times in the zip entries and in the document properties."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2023-01-01T00:00:00Z", data
                )
            entry = zipfile.ZipInfo(info.filename, date_time=(2023, 1, 1, 0, 0, 0))
            target.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


if __name__ == "__main__":
    ROSTER.write_bytes(workbook())
    print(f"wrote {ROSTER} ({len(rows())} members)")
