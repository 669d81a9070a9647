"""Demo areas, people and posts for `seed_demo`.

Everything comes from one `random.Random(seed)`, so the same seed gives the same data.
Rows are written in bulk, level by level: a district-scale build is a few dozen queries per
thousand rows, not one query per row.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from .models import Absence, Area, Post, Role, User

DEMO_PASSWORD = "grid-demo-2026"
ADMIN_USERNAME = "admin"
BATCH = 2000

SCALES = {
    "community": {"streets": 1, "communities": 2, "grids": 8},
    "district": {"streets": 10, "communities": 10, "grids": 8},
}

STREET_NAMES = ["东街", "南街", "温泉", "水部", "华大", "五凤", "鼓东", "鼓西", "安泰", "洪山"]
COMMUNITY_NAMES = [
    "三坊",
    "七巷",
    "文儒",
    "光禄",
    "南后",
    "衣锦",
    "郎官",
    "塔巷",
    "黄巷",
    "宫巷",
    "吉庇",
    "杨桥",
    "澳门",
    "安民",
    "通湖",
    "渡鸡",
    "乌山",
    "冶山",
    "屏山",
    "井大",
]
COMMUNITY_KINDS = [
    Area.CommunityKind.SELF_MANAGED,
    Area.CommunityKind.PROPERTY_MANAGED,
    Area.CommunityKind.PROPERTY_MANAGED,
    Area.CommunityKind.WORK_UNIT,
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国海燕波宁凤玲晶琳林雪梅斌宇浩凯健俊帆帅旭晨阳佳欣怡然子轩浩然梓涵一诺雨桐"  # noqa: E501

# The posts every area of a kind gets, as (role, short name used in usernames).
AREA_POSTS = {
    Area.Kind.DISTRICT: [(Role.DISTRICT_STAFF, "ds")],
    Area.Kind.STREET: [(Role.STREET_STAFF, "ss")],
    Area.Kind.COMMUNITY: [(Role.STATIONMASTER, "sm")],
    Area.Kind.GRID: [
        (Role.GRID_LEADER, "gl"),
        (Role.GRID_MEMBER, "gm"),
        (Role.GRID_MEMBER, "gm2"),
        (Role.INFORMATION_OFFICER, "io"),
        (Role.VOLUNTEER, "vo"),
        (Role.COMMUNITY_POLICE, "cp"),
        (Role.PARTY_MEMBER, "pm"),
        (Role.PATROL_MEMBER, "pa"),
    ],
    Area.Kind.BUILDING: [(Role.BUILDING_LEADER, "bl")],
    Area.Kind.UNIT: [(Role.UNIT_LEADER, "ul")],
}


@dataclass
class Account:
    username: str
    password: str
    role: str
    area: str

    def as_dict(self):
        return {
            "username": self.username,
            "password": self.password,
            "role": self.role,
            "area": self.area,
        }


def has_demo_data():
    return Area.objects.exists()


def build_areas_and_people(rng, scale, log):
    """Create the area tree, a user pair for every post, and a few absences."""
    sizes = SCALES[scale]
    district = Area(kind=Area.Kind.DISTRICT, name="鼓楼区", code="GL", path="~GL")
    levels = {Area.Kind.DISTRICT: [district]}
    _insert_level([district])

    streets = [
        Area(
            kind=Area.Kind.STREET,
            parent=district,
            name=f"{STREET_NAMES[s]}街道",
            code=f"GL-{s + 1:02d}",
        )
        for s in range(sizes["streets"])
    ]
    levels[Area.Kind.STREET] = _insert_level(streets)

    communities = []
    for s, street in enumerate(streets):
        for c in range(sizes["communities"]):
            name = COMMUNITY_NAMES[(s * 3 + c) % len(COMMUNITY_NAMES)]
            communities.append(
                Area(
                    kind=Area.Kind.COMMUNITY,
                    parent=street,
                    name=f"{name}社区",
                    code=f"{street.code}-{c + 1:02d}",
                    community_kind=COMMUNITY_KINDS[rng.randrange(len(COMMUNITY_KINDS))],
                )
            )
    levels[Area.Kind.COMMUNITY] = _insert_level(communities)

    grids = [
        Area(
            kind=Area.Kind.GRID,
            parent=community,
            name=f"{community.name}第{g + 1}网格",
            code=f"{community.code}-{g + 1:02d}",
        )
        for community in communities
        for g in range(sizes["grids"])
    ]
    levels[Area.Kind.GRID] = _insert_level(grids)

    buildings = [
        Area(
            kind=Area.Kind.BUILDING,
            parent=grid,
            name=f"{b + 1}号楼",
            code=f"{grid.code}-B{b + 1:02d}",
        )
        for grid in grids
        for b in range(rng.randint(6, 10))
    ]
    levels[Area.Kind.BUILDING] = _insert_level(buildings)

    units = [
        Area(
            kind=Area.Kind.UNIT,
            parent=building,
            name=f"{u + 1}单元",
            code=f"{building.code}-U{u + 1}",
        )
        for building in buildings
        for u in range(rng.randint(2, 3))
    ]
    levels[Area.Kind.UNIT] = _insert_level(units)
    log(f"areas: {sum(len(v) for v in levels.values())}")

    password = make_password(DEMO_PASSWORD)
    users, posts = [], []
    for kind, areas in levels.items():
        for area in areas:
            for role, short in AREA_POSTS[kind]:
                pair = [
                    User(
                        username=f"{short}-{_short_code(area)}-{side}",
                        password=password,
                        full_name=_person_name(rng),
                        phone=_phone(rng),
                        language="",
                    )
                    for side in ("a", "b")
                ]
                users.extend(pair)
                posts.append(Post(area=area, role=role, holder_a=pair[0], holder_b=pair[1]))
    User.objects.bulk_create(users, batch_size=BATCH)
    Post.objects.bulk_create(posts, batch_size=BATCH)
    log(f"users: {len(users)}, posts: {len(posts)}")

    User.objects.create_superuser(
        ADMIN_USERNAME, "admin@example.com", DEMO_PASSWORD, full_name="系统管理员"
    )

    # About one post in twenty has its A holder away this week, so B is acting.
    today = timezone.localdate()
    absences = [
        Absence(
            user=post.holder_a,
            starts_on=today - datetime.timedelta(days=rng.randint(0, 3)),
            ends_on=today + datetime.timedelta(days=rng.randint(0, 5)),
            reason=rng.choice(["年假", "病假", "培训", "事假"]),
        )
        for post in posts
        if rng.random() < 0.05
    ]
    Absence.objects.bulk_create(absences, batch_size=BATCH)
    log(f"absences: {len(absences)}")
    return levels


def demo_accounts(communities=2):
    """Demo logins: the admin, the district and street staff, and the A holder of one post of
    every role in each of the first `communities` communities. Runs a fixed number of queries."""
    accounts = [Account(ADMIN_USERNAME, DEMO_PASSWORD, "administrator", "—")]
    posts = Post.objects.select_related("area", "holder_a").order_by("area__code", "pk")
    for post in posts.filter(area__kind__in=[Area.Kind.DISTRICT, Area.Kind.STREET])[:2]:
        accounts.append(Account(post.holder_a.username, DEMO_PASSWORD, post.role, post.area.code))
    for community in Area.objects.of_kind(Area.Kind.COMMUNITY).order_by("code")[:communities]:
        seen = set()
        for post in posts.filter(area__path__startswith=community.path):
            if post.role not in seen:
                seen.add(post.role)
                accounts.append(
                    Account(post.holder_a.username, DEMO_PASSWORD, post.role, post.area.code)
                )
    return accounts


def _insert_level(areas):
    """Insert one level of the tree, then give each row its path in one UPDATE."""
    for area in areas:
        area.path = f"~{area.code}"
    Area.objects.bulk_create(areas, batch_size=BATCH)
    kind = areas[0].kind
    parent_path = Area.objects.filter(pk=OuterRef("parent_id")).values("path")
    if kind == Area.Kind.DISTRICT:
        prefix = Value("/")
    else:
        prefix = Subquery(parent_path, output_field=CharField())
    Area.objects.filter(kind=kind, path__startswith="~").update(
        path=Concat(prefix, Cast("id", CharField()), Value("/"), output_field=CharField())
    )
    refreshed = dict(Area.objects.filter(kind=kind).values_list("pk", "path"))
    for area in areas:
        area.path = refreshed[area.pk]
    return areas


def _short_code(area):
    """The area's code without the district's prefix: "GL-01-02-03" -> "01-02-03"."""
    return area.code.lower().removeprefix("gl-")


def _person_name(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _phone(rng):
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
