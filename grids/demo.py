"""Demo areas, people, posts and a household register for `seed_demo`.

Everything comes from one `random.Random(seed)`, so the same seed gives the same data.
Areas and people are written in bulk, level by level. The register is streamed to its tables
household by household (grids.demo_bulk: COPY on PostgreSQL, in chunks), so memory stays flat
however many grids there are.
"""

import datetime
import unicodedata
from array import array
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from . import demo_bulk
from .identity import check_char
from .models import (
    Absence,
    Area,
    Household,
    HouseholdGrid,
    Membership,
    Post,
    Rental,
    Resident,
    Role,
    Tag,
    User,
)

DEMO_PASSWORD = "grid-demo-2026"
ADMIN_USERNAME = "admin"
BATCH = 2000

SCALES = {
    "community": {"districts": 1, "streets": 1, "communities": 2, "grids": 8},
    "district": {"districts": 1, "streets": 10, "communities": 10, "grids": 8},
    "city": {"districts": 10, "streets": 10, "communities": 10, "grids": 8},
}
# The districts of the city scale, first the one every scale has. Codes sort after "GL", so
# the demo logins (the first areas by code) are the same at every scale.
DISTRICTS = [
    ("鼓楼区", "GL"),
    ("晋安区", "JA"),
    ("连江县", "LJ"),
    ("罗源县", "LY"),
    ("闽侯县", "MH"),
    ("闽清县", "MQ"),
    ("马尾区", "MW"),
    ("平潭县", "PT"),
    ("台江区", "TJ"),
    ("永泰县", "YT"),
]

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
    districts = [
        Area(kind=Area.Kind.DISTRICT, name=name, code=code)
        for name, code in DISTRICTS[: sizes["districts"]]
    ]
    levels = {Area.Kind.DISTRICT: _insert_level(districts)}

    streets = [
        Area(
            kind=Area.Kind.STREET,
            parent=district,
            name=f"{STREET_NAMES[s]}街道",
            code=f"{district.code}-{s + 1:02d}",
        )
        for district in districts
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

    # Streamed in chunks (grids.demo_bulk: COPY on PostgreSQL), every account with the one
    # hash of the demo password: only the A holders' ids are kept, for the absences.
    password = make_password(DEMO_PASSWORD)
    holders_a = array("q")
    with demo_bulk.writers(User, Post) as (users, posts):
        for kind, areas in levels.items():
            for area in areas:
                for role, short in AREA_POSTS[kind]:
                    pair = [
                        users.add(
                            User(
                                username=f"{short}-{_short_code(area)}-{side}",
                                password=password,
                                full_name=_person_name(rng),
                                phone=_phone(rng),
                                language="",
                            )
                        )
                        for side in ("a", "b")
                    ]
                    posts.add(Post(area=area, role=role, holder_a=pair[0], holder_b=pair[1]))
                    holders_a.append(pair[0].pk)
    log(f"users: {users.written}, posts: {posts.written}")

    User.objects.create_superuser(
        ADMIN_USERNAME, "admin@example.com", DEMO_PASSWORD, full_name="系统管理员"
    )

    # About one post in twenty has its A holder away this week, so B is acting.
    today = timezone.localdate()
    absences = [
        Absence(
            user_id=holder_id,
            starts_on=today - datetime.timedelta(days=rng.randint(0, 3)),
            ends_on=today + datetime.timedelta(days=rng.randint(0, 5)),
            reason=rng.choice(list(Absence.Reason.values)),
        )
        for holder_id in holders_a
        if rng.random() < 0.05
    ]
    Absence.objects.bulk_create(absences, batch_size=BATCH)
    log(f"absences: {len(absences)}")
    return levels


def build_register(rng, levels, log):
    """Fill every grid with about 200 households and 1,000 residents, a fifth of them
    floating population, with their stays, rental registrations and tags.

    `levels` is what `build_areas_and_people` returned. Streams the rows through
    grids.demo_bulk: one query per chunk of rows of a table; then one query adds every
    resident's stay.
    """
    # The usual tags may already be there (care's migration adds them with visit rules).
    tags = {t.name: t for t in Tag.objects.filter(name__in=[*CARE_TAGS, *ATTENTION_TAGS])}
    missing = [Tag(name=name, kind=Tag.Kind.CARE) for name in CARE_TAGS if name not in tags] + [
        Tag(name=name, kind=Tag.Kind.ATTENTION) for name in ATTENTION_TAGS if name not in tags
    ]
    Tag.objects.bulk_create(missing)
    tags.update((tag.name, tag) for tag in missing)
    builder = _RegisterBuilder(rng, timezone.localdate(), tags)

    grids_by_community = defaultdict(list)
    for grid in levels[Area.Kind.GRID]:
        grids_by_community[grid.parent_id].append(grid)
    units_by_grid = defaultdict(list)
    units_by_building = defaultdict(list)
    for unit in levels[Area.Kind.UNIT]:
        units_by_building[unit.parent_id].append(unit)
    for building in levels[Area.Kind.BUILDING]:
        for unit in units_by_building[building.pk]:
            units_by_grid[building.parent_id].append((building, unit))

    totals = defaultdict(int)
    RentalTenant, ResidentTag = Rental.tenants.through, Resident.tags.through
    tables = (Household, HouseholdGrid, Resident, Rental, RentalTenant, ResidentTag, Membership)
    with demo_bulk.loading(*tables):
        with demo_bulk.writers(*tables[:-1]) as opened:
            batch = _RegisterBatch(*opened, totals)
            for community in levels[Area.Kind.COMMUNITY]:
                for grid in grids_by_community[community.pk]:
                    builder.fill_grid(batch, community, grid, units_by_grid[grid.pk])
        totals["memberships"] = _add_memberships()
    log(
        f"households: {totals['households']}, residents: {totals['residents']} "
        f"({totals['floating']} floating, {totals['moved_out']} moved out), "
        f"memberships: {totals['memberships']}"
    )
    log(
        f"rentals: {totals['rentals']} ({totals['tenants']} tenant links), "
        f"tagged residents: {totals['tagged']} ({totals['tags']} tags)"
    )


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


def logins_text(accounts):
    """The demo logins as a table for a terminal, in the active language."""
    roles = {**dict(Role.choices), "administrator": _("Administrator")}
    rows = [(_("Username"), _("Role"), _("Area"))]
    rows += [(a.username, str(roles.get(a.role, a.role)), a.area) for a in accounts]
    widths = [max(_terminal_width(row[column]) for row in rows) for column in (0, 1)]
    lines = [
        _("Demo logins (the password of every one: %(password)s)") % {"password": DEMO_PASSWORD}
    ]
    for username, role, area in rows:
        lines.append(f"  {_pad(username, widths[0])}  {_pad(role, widths[1])}  {area}".rstrip())
    return "\n".join(lines)


def _terminal_width(text):
    """Columns `text` takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text, width):
    return text + " " * (width - _terminal_width(text))


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
    """The area's code, lower case, without the first district's prefix: "GL-01-02-03" ->
    "01-02-03", "JA-01-02" -> "ja-01-02"."""
    return area.code.lower().removeprefix("gl-")


def _person_name(rng):
    return rng.choice(SURNAMES) + _given_name(rng)


def _given_name(rng):
    return "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _phone(rng):
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


# --- The household register ---

CARE_TAGS = ["独居老人", "残疾人", "低保户", "留守儿童", "退役军人"]
ATTENTION_TAGS = ["社区矫正", "重点关注"]
HOUSEHOLDS_PER_GRID = (180, 220)
HOUSING_WEIGHTS = {
    Household.Housing.OWNER_OCCUPIED: 73,
    Household.Housing.RENTED: 20,
    Household.Housing.COLLECTIVE: 3,
    Household.Housing.VACANT: 4,
}
# How many people live in a household, by housing.
OWNER_SIZES = {1: 2, 2: 5, 3: 8, 4: 13, 5: 22, 6: 25, 7: 25}
TENANT_SIZES = {1: 10, 2: 15, 3: 20, 4: 20, 5: 15, 6: 12, 7: 8}
RENTAL_TERMS = [182, 365, 365, 365, 730]
# Where ID numbers are issued: mostly this district (鼓楼区) and its neighbours; for the
# floating population, the counties people commonly come from.
LOCAL_REGIONS = ["350102"] * 8 + ["350103", "350104"]
HOME_REGIONS = [
    "350322",
    "350521",
    "350623",
    "350725",
    "360121",
    "362321",
    "430124",
    "511321",
    "522121",
    "412726",
]

MALE, FEMALE = Resident.Sex.MALE, Resident.Sex.FEMALE
Relation = Resident.Relation
REGISTERED, FLOATING = Resident.Population.REGISTERED, Resident.Population.FLOATING


class _RegisterBatch:
    """Streams the register's rows to their writers (grids.demo_bulk), one household at a
    time, and counts them in `totals`."""

    def __init__(self, households, grids, residents, rentals, tenants, tags, totals):
        self.households, self.grids, self.residents = households, grids, residents
        self.rentals, self.tenants, self.tags = rentals, tenants, tags
        self.totals = totals
        self.tagged = set()

    def new_household(self, household):
        """Give `household` its id, so its residents and rentals can point at it."""
        return self.households.assign(household)

    def add_household(self, household, residents, rentals, tenants, tags):
        """Write a household with its people: `tenants` are (rental, resident) pairs, `tags`
        (resident, tag) pairs."""
        totals = self.totals
        self.households.add(household)
        self.grids.add(
            HouseholdGrid(
                household=household, grid_id=household.grid_id, since_on=household.created_on
            )
        )
        for resident in residents:
            self.residents.add(resident)
            totals["floating"] += resident.population == FLOATING
            totals["moved_out"] += resident.moved_out_on is not None
        for rental in rentals:
            self.rentals.add(rental)
        RentalTenant, ResidentTag = Rental.tenants.through, Resident.tags.through
        for rental, resident in tenants:
            self.tenants.add(RentalTenant(rental_id=rental.pk, resident_id=resident.pk))
        for resident, tag in tags:
            self.tags.add(ResidentTag(resident_id=resident.pk, tag_id=tag.pk))
        totals["households"] += 1
        totals["residents"] += len(residents)
        totals["rentals"] += len(rentals)
        totals["tenants"] += len(tenants)
        totals["tags"] += len(tags)
        totals["tagged"] += len({resident.pk for resident, _tag in tags})


@dataclass
class _HouseholdRows:
    """A household's rentals, (rental, tenant) and (resident, tag) pairs, as they are made."""

    rentals: list = field(default_factory=list)
    tenants: list = field(default_factory=list)
    tags: list = field(default_factory=list)


class _RegisterBuilder:
    """Makes (unsaved) households, residents, rentals and tags, grid by grid."""

    def __init__(self, rng, today, tags):
        self.rng = rng
        self.today = today
        self.tags = tags
        # People given an ID number so far, by (birth date, sex): the sequence code.
        self.born_on = {}
        self.housings = list(HOUSING_WEIGHTS)
        self.housing_weights = list(HOUSING_WEIGHTS.values())

    def fill_grid(self, batch, community, grid, units):
        """Households for `grid`, spread over its (building, unit) pairs: the first one in
        every unit, then the second, and so on, two rooms a floor."""
        rng = self.rng
        for i in range(rng.randint(*HOUSEHOLDS_PER_GRID)):
            building, unit = units[i % len(units)]
            floor, door = divmod(i // len(units), 2)
            housing = rng.choices(self.housings, self.housing_weights)[0]
            household = Household(
                grid=grid,
                building=building,
                unit=unit,
                room=f"{floor + 1}{door + 1:02d}",
                address=f"{community.name}{building.name}{unit.name}",
                housing=housing,
                created_on=self._days_ago(30, 2200),
                last_verified_at=self._verified_at(),
            )
            batch.new_household(household)
            rows = _HouseholdRows()
            if housing == Household.Housing.OWNER_OCCUPIED:
                residents = self._owners(household)
            elif housing == Household.Housing.RENTED:
                residents = self._tenants(rows, household)
            elif housing == Household.Housing.COLLECTIVE:
                residents = self._collective(household)
            else:
                residents = []
            self._tag(rows, residents)
            batch.add_household(household, residents, rows.rentals, rows.tenants, rows.tags)

    def _owners(self, household):
        """A family: the head, mostly a spouse, children or grandchildren, maybe parents. One
        in twenty-five families is floating population (registered elsewhere); now and then one
        member has moved away."""
        rng = self.rng
        size = _weighted(rng, OWNER_SIZES)
        is_floating = rng.random() < 0.04
        residents = []
        for surname, sex, age, relation in _family(rng, size, (26, 85, 48)):
            resident = self._person(
                household, surname, sex, age, relation, is_floating, household.created_on
            )
            if relation != Relation.HEAD and rng.random() < 0.03:
                self._move_out(resident)
            residents.append(resident)
        return residents

    def _tenants(self, rows, household):
        """The current tenants under a rental registration, and in a third of rented homes
        an earlier registration whose tenants have moved out. Three in four tenants are
        floating population."""
        rng, today = self.rng, self.today
        landlord_name, landlord_phone = _person_name(rng), _phone(rng)
        term = rng.choice(RENTAL_TERMS)
        if rng.random() < 0.05:  # ran out, not yet renewed
            starts_on = today - datetime.timedelta(days=term + rng.randint(1, 45))
        else:
            starts_on = today - datetime.timedelta(days=rng.randint(7, term - 1))
        household.created_on = starts_on
        residents = []
        if rng.random() < 0.35:
            ends_on = starts_on - datetime.timedelta(days=rng.randint(1, 60))
            earlier = Rental(
                household=household,
                landlord_name=landlord_name,
                landlord_phone=landlord_phone,
                starts_on=ends_on - datetime.timedelta(days=rng.choice(RENTAL_TERMS)),
                ends_on=ends_on,
                is_reported_to_police=rng.random() < 0.9,
            )
            rows.rentals.append(earlier)
            household.created_on = earlier.starts_on
            for _ in range(rng.randint(1, 3)):
                resident = self._person(
                    household,
                    rng.choice(SURNAMES),
                    rng.choice((MALE, FEMALE)),
                    rng.randint(19, 50),
                    Relation.TENANT,
                    rng.random() < 0.75,
                    earlier.starts_on,
                )
                resident.moved_out_on = ends_on
                residents.append(resident)
                rows.tenants.append((earlier, resident))
        rental = Rental(
            household=household,
            landlord_name=landlord_name,
            landlord_phone=landlord_phone,
            starts_on=starts_on,
            ends_on=starts_on + datetime.timedelta(days=term),
            is_reported_to_police=rng.random() < 0.92,
        )
        rows.rentals.append(rental)
        size = _weighted(rng, TENANT_SIZES)
        moved_in_on = min(today, starts_on + datetime.timedelta(days=rng.randint(0, 5)))
        if size == 1 or rng.random() < 0.35:  # flatmates
            people = [
                (rng.choice(SURNAMES), rng.choice((MALE, FEMALE)), rng.randint(19, 45))
                for _ in range(size)
            ]
            floating = [rng.random() < 0.75 for _ in people]
        else:  # a family
            people = [p[:3] for p in _family(rng, size, (24, 58, 33))]
            floating = [rng.random() < 0.75] * size
        for (surname, sex, age), is_floating in zip(people, floating, strict=True):
            resident = self._person(
                household, surname, sex, age, Relation.TENANT, is_floating, moved_in_on
            )
            residents.append(resident)
            rows.tenants.append((rental, resident))
        return residents

    def _collective(self, household):
        """A collective household: a dormitory of workers, mostly from elsewhere."""
        rng = self.rng
        residents = []
        for i in range(rng.randint(4, 8)):
            residents.append(
                self._person(
                    household,
                    rng.choice(SURNAMES),
                    rng.choice((MALE, FEMALE)),
                    rng.randint(18, 50),
                    Relation.HEAD if i == 0 else Relation.OTHER,
                    rng.random() < 0.7,
                    household.created_on,
                )
            )
        return residents

    def _person(self, household, surname, sex, age, relation, is_floating, moved_in_on):
        rng = self.rng
        born = self.today - datetime.timedelta(days=age * 365 + age // 4 + rng.randrange(365))
        region = rng.choice(HOME_REGIONS if is_floating else LOCAL_REGIONS)
        id_number, born = self._id_number(region, born, sex)
        return Resident(
            household=household,
            name=surname + _given_name(rng),
            sex=sex,
            birth_date=born,
            id_number=id_number,
            phone=_phone(rng) if age >= 14 else "",
            relation=relation,
            population=FLOATING if is_floating else REGISTERED,
            moved_in_on=max(moved_in_on, born),
        )

    def _id_number(self, region, born, sex):
        """An ID number (GB 11643) for someone born on `born`, unique in this build: the
        sequence code counts the people given one for that day, odd for men and even for
        women. Returns the number and the birth date, a day later when a day is full."""
        while (count := self.born_on.get((born, sex), 0)) >= 499:
            born += datetime.timedelta(days=1)
        self.born_on[born, sex] = count + 1
        first17 = f"{region}{born:%Y%m%d}{2 * count + (1 if sex == MALE else 2):03d}"
        return first17 + check_char(first17), born

    def _move_out(self, resident):
        lived = (self.today - resident.moved_in_on).days
        if lived > 2:
            resident.moved_out_on = resident.moved_in_on + datetime.timedelta(
                days=self.rng.randint(1, lived - 1)
            )

    def _tag(self, rows, residents):
        """Care tags for about 3% of the current residents, attention tags for about 0.5%."""
        rng, tags = self.rng, self.tags
        current = [r for r in residents if r.moved_out_on is None]
        has_parents = any(r.relation == Relation.CHILD for r in current)
        for resident in current:
            age = (self.today - resident.birth_date).days // 365
            chosen = []
            if age >= 65 and len(current) == 1 and rng.random() < 0.8:
                chosen.append("独居老人")
            if (
                resident.relation == Relation.GRANDCHILD
                and age < 16
                and not has_parents
                and rng.random() < 0.4
            ):
                chosen.append("留守儿童")
            if rng.random() < 0.008:
                chosen.append("残疾人")
            if (
                resident.relation == Relation.HEAD
                and resident.population == REGISTERED
                and rng.random() < 0.03
            ):
                chosen.append("低保户")
            if resident.sex == MALE and 30 <= age <= 80 and rng.random() < 0.02:
                chosen.append("退役军人")
            if 18 <= age <= 65:
                draw = rng.random()
                if draw < 0.002:
                    chosen.append("社区矫正")
                elif draw < 0.008:
                    chosen.append("重点关注")
            rows.tags.extend((resident, tags[name]) for name in chosen)

    def _days_ago(self, least, most):
        return self.today - datetime.timedelta(days=self.rng.randint(least, most))

    def _verified_at(self):
        """Most households were checked by a grid worker within the last half year."""
        rng = self.rng
        if rng.random() < 0.15:
            return None
        day = self._days_ago(0, 180)
        at = datetime.datetime.combine(day, datetime.time(rng.randint(9, 17), rng.randrange(60)))
        return timezone.make_aware(at)


def _add_memberships():
    """Give every resident without a stay one copied from the resident: same household,
    its grid, population and dates. One INSERT … SELECT, so a district's 800,000 stays are
    never built in Python. Runs one query; returns the number of rows added."""
    quote = connection.ops.quote_name
    membership, resident, household = Membership._meta, Resident._meta, Household._meta

    def column(meta, name):
        return quote(meta.get_field(name).column)

    copied = ["household", "population", "moved_in_on", "moved_out_on"]
    sql = (
        f"INSERT INTO {quote(membership.db_table)} "
        f"({', '.join(column(membership, n) for n in ['resident', 'grid', *copied])}) "
        f"SELECT r.{column(resident, 'id')}, h.{column(household, 'grid')}, "
        f"{', '.join(f'r.{column(resident, n)}' for n in copied)} "
        f"FROM {quote(resident.db_table)} r "
        f"JOIN {quote(household.db_table)} h "
        f"ON h.{column(household, 'id')} = r.{column(resident, 'household')} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {quote(membership.db_table)} m "
        f"WHERE m.{column(membership, 'resident')} = r.{column(resident, 'id')})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.rowcount


def _family(rng, size, head_ages):
    """The people of a family of `size`, as (surname, sex, age, relation): the head, mostly
    a spouse, then children (and grandchildren when the head is older), then the head's
    parents and other relatives. Children take the husband's surname. `head_ages` is the
    (low, high, mode) of the head's age."""
    if size == 1:
        head_age = rng.randint(62, 90) if rng.random() < 0.55 else rng.randint(22, 61)
    else:
        head_age = int(rng.triangular(*head_ages))
    head_sex = MALE if rng.random() < 0.72 else FEMALE
    surname = rng.choice(SURNAMES)
    people = [(surname, head_sex, head_age, Relation.HEAD)]
    family_surname = surname
    if size > 1 and rng.random() < 0.9:
        spouse_surname = rng.choice(SURNAMES)
        if head_sex == FEMALE:
            family_surname = spouse_surname
        spouse_age = min(max(head_age + rng.randint(-6, 6), 20), 95)
        people.append((spouse_surname, _other_sex(head_sex), spouse_age, Relation.SPOUSE))

    def add(relation, surname, age):
        if len(people) < size:
            people.append((surname, rng.choice((MALE, FEMALE)), age, relation))

    if head_age < 52:
        for _ in range(rng.randint(1, 3)):
            add(Relation.CHILD, family_surname, rng.randint(0, max(0, head_age - 22)))
        if len(people) < size:
            people.append((surname, MALE, min(head_age + rng.randint(24, 32), 96), Relation.PARENT))
        if len(people) < size:
            mother = (rng.choice(SURNAMES), FEMALE, min(head_age + rng.randint(22, 30), 96))
            people.append((*mother, Relation.PARENT))
    else:
        eldest = head_age - 24  # when the children live elsewhere
        for i in range(rng.choice((0, 1, 1, 2, 2))):
            age = rng.randint(18, head_age - 22)
            eldest = age if i == 0 else max(eldest, age)
            add(Relation.CHILD, family_surname, age)
        for _ in range(2):
            add(Relation.GRANDCHILD, family_surname, rng.randint(0, max(0, min(14, eldest - 20))))
    while len(people) < size:
        relative_age = min(max(head_age + rng.randint(-12, 12), 16), 90)
        people.append((surname, rng.choice((MALE, FEMALE)), relative_age, Relation.OTHER_RELATIVE))
    return people


def _other_sex(sex):
    return FEMALE if sex == MALE else MALE


def _weighted(rng, weights):
    return rng.choices(list(weights), list(weights.values()))[0]
