"""Demo incidents for `seed_demo`: about a year of them, some 78 per grid, across the
categories the data migration created. Most are closed (mostly to the resident's
satisfaction); a few of the last three months are still open in every state: some overdue and
escalated, some paused, some referred to a department. Disputes have their parties and the
mediation; petitions are sensitive.

Numbers run in filing order across the whole area ("2026-000123"), and each year's
IncidentCounter is left at the last number used, so filings made afterwards continue the
sequence. Written in bulk, one community at a time, without a query per row; every choice
comes from the seed's `rng`.

The deadlines are rough on purpose (the limit's working hours turned into calendar time by a
fixed factor): the working calendar is too slow for tens of thousands of rows, and demo data
only has to look right.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.utils import timezone, translation

from grids import demo_bulk
from grids.models import Area, Post, Resident, Role

from .models import Category, Incident, IncidentCounter, TimeLimit, TimelineEntry, Urgency
from .services import DEFAULT_LIMIT_HOURS, WARN_SHARE

S = Incident.Status
BATCH = 2000
DAYS = 365
PER_GRID = (66, 90)  # incidents per grid per year: about 1.5 a week
RESIDENTS_PER_GRID = 80  # the residents a grid's reports and disputes are drawn from
WORKING_HOURS_PER_DAY = 7
CALENDAR_FACTOR = 1.4  # seven calendar days for five working days

CATEGORY_WEIGHTS = {
    "sanitation": 25,
    "facility": 20,
    "demand": 20,
    "dispute": 12,
    "security": 8,
    "population": 8,
    "petition": 3,
    "unstable": 1,
    "other": 3,
}
TITLES = {
    "sanitation": ["楼道堆放杂物", "垃圾清运不及时", "化粪池渗漏", "下水道堵塞", "绿化带积水"],
    "facility": ["单元门禁损坏", "楼道灯不亮", "井盖破损", "健身器材损坏", "电梯异响"],
    "demand": ["希望增设晾衣架", "申请加装电梯", "反映停车难", "咨询低保办理", "要求修剪树木"],
    "dispute": ["邻里噪音纠纷", "停车位纠纷", "楼上漏水纠纷", "宠物扰民纠纷", "公共区域占用纠纷"],
    "security": ["发现可疑人员", "电动车楼道充电", "消防通道堵塞", "独居老人无人应门"],
    "population": ["新搬入租户未登记", "租户已搬离未注销", "群租房疑似"],
    "petition": ["反映拆迁补偿问题", "反映物业收费问题", "反映劳动报酬拖欠"],
    "unstable": ["群体性聚集苗头", "网络不实信息传播"],
    "other": ["流浪猫较多", "广告乱张贴", "其他问题"],
}
DEPARTMENTS = ["区城管局", "区住建局", "区市场监管局", "供电公司", "自来水公司", "派出所"]
PAUSE_REASONS = ["等待居民提供材料", "等待居民回家后入户核实", "等待业主委员会答复"]
MEDIATIONS = [
    "网格员约双方到社区调解室面对面沟通，达成口头协议。",
    "联系物业共同调解，双方同意各让一步。",
    "邀请人民调解员参与，签订书面调解协议。",
]
URGENCY_WEIGHTS = {Urgency.NORMAL: 85, Urgency.URGENT: 12, Urgency.CRITICAL: 3}
SOURCE_WEIGHTS = {
    Incident.Source.PATROL: 35,
    Incident.Source.WALK_IN: 25,
    Incident.Source.PHONE: 25,
    Incident.Source.MEETING: 5,
    Incident.Source.OTHER: 10,
}
SATISFACTION_WEIGHTS = {
    Incident.Satisfaction.SATISFIED: 78,
    Incident.Satisfaction.BASICALLY: 17,
    Incident.Satisfaction.DISSATISFIED: 5,
}

# Open incidents take these states in turn (the flag: the clock is paused), so every state
# shows up wherever there are a dozen open incidents.
OPEN_MIX = [
    (S.IN_PROGRESS, False),
    (S.REPORTED, False),
    (S.ASSIGNED, False),
    (S.ESCALATED, False),
    (S.IN_PROGRESS, True),
    (S.ACCEPTED, False),
    (S.REFERRED, False),
    (S.RESOLVED, False),
    (S.IN_PROGRESS, False),
    (S.RETURNED, False),
    (S.ASSIGNED, True),
    (S.VERIFIED, False),
    (S.REOPENED, False),
]
# The steps that lead to each state (after the report).
CLOSED_PATH = ["accept", "assign", "start", "resolve", "verify", "close"]
PATHS = {
    S.REPORTED: [],
    S.ACCEPTED: ["accept"],
    S.ASSIGNED: ["accept", "assign"],
    S.IN_PROGRESS: ["accept", "assign", "start"],
    S.RESOLVED: ["accept", "assign", "start", "resolve"],
    S.VERIFIED: ["accept", "assign", "start", "resolve", "verify"],
    S.CLOSED: CLOSED_PATH,
    S.ESCALATED: ["accept", "assign", "start", "escalate"],
    S.REFERRED: ["accept", "refer"],
    S.RETURNED: ["accept", "assign", "start", "resolve", "return"],
    S.REOPENED: [*CLOSED_PATH, "reopen"],
}
CLOSED_REFERRED_PATH = ["accept", "refer", "resolve", "verify", "close"]
CLOSED_REWORKED_PATH = ["accept", "assign", "start", "resolve", "return", "start", "resolve"]
CLOSED_REWORKED_PATH += ["verify", "close"]
TARGETS = {
    "accept": S.ACCEPTED,
    "assign": S.ASSIGNED,
    "start": S.IN_PROGRESS,
    "resolve": S.RESOLVED,
    "verify": S.VERIFIED,
    "close": S.CLOSED,
    "escalate": S.ESCALATED,
    "refer": S.REFERRED,
    "return": S.RETURNED,
    "reopen": S.REOPENED,
}
BY_STATION = {"assign", "verify", "close", "refer", "return", "reopen"}


def build_incidents(rng, levels, log, days=DAYS):
    """Incidents of the last `days` days (PER_GRID a year) in every grid, with their
    timelines and parties, streamed to their tables (grids.demo_bulk)."""
    categories = list(Category.objects.order_by("pk"))
    if not categories:
        log("incidents: no categories (run the migrations first), skipped")
        return
    now = timezone.now()
    grids = levels[Area.Kind.GRID]
    builder = _Builder(rng, now, categories)

    # Filing moments first, for every grid, so that numbers run in filing order.
    filings = sorted(
        (_moment(rng, now, days), index)
        for index, _grid in enumerate(grids)
        for _ in range(rng.randint(*PER_GRID) * days // DAYS)
    )
    counters = defaultdict(int, IncidentCounter.objects.values_list("year", "last"))
    by_grid = defaultdict(list)
    for filed_at, index in filings:
        year = timezone.localtime(filed_at).year
        counters[year] += 1
        by_grid[index].append((filed_at, f"{year}-{counters[year]:06d}"))
    del filings

    grids_by_community = defaultdict(list)
    for index, grid in enumerate(grids):
        grids_by_community[grid.parent_id].append((index, grid))
    totals = defaultdict(int)
    Parties = Incident.parties.through
    with (
        demo_bulk.loading(Incident, TimelineEntry, Parties),
        demo_bulk.writers(Incident, TimelineEntry, Parties) as opened,
    ):
        batch = _Batch(*opened, totals)
        for community in levels[Area.Kind.COMMUNITY]:
            members = grids_by_community.get(community.pk, [])
            if not members:
                continue
            residents = _residents([grid for _, grid in members])
            for index, grid in members:
                for position, (filed_at, number) in enumerate(by_grid[index]):
                    builder.add(
                        batch,
                        grid,
                        community,
                        filed_at,
                        number,
                        residents.get(grid.pk, []),
                        is_latest=position == len(by_grid[index]) - 1,
                    )

    for year, last in counters.items():
        counter, _created = IncidentCounter.objects.get_or_create(year=year)
        if counter.last < last:
            counter.last = last
            counter.save(update_fields=["last"])
    log(
        "incidents: {incidents} ({open} open, {overdue} overdue, {paused} paused, "
        "{referred} referred, {disputes} disputes, {sensitive} sensitive), "
        "timeline entries: {timeline}".format(**{k: totals[k] for k in _Batch.TOTALS})
    )


def _moment(rng, now, days):
    """A filing moment in the last `days` days, in the daytime (local)."""
    day = timezone.localdate(now) - datetime.timedelta(days=rng.randint(0, days - 1))
    moment = datetime.datetime.combine(
        day,
        datetime.time(rng.randint(7, 20), rng.randint(0, 59)),
        tzinfo=timezone.get_current_timezone(),
    )
    return moment if moment < now else moment - datetime.timedelta(days=1)


def _residents(grids):
    """(resident id, household id, building id) of up to RESIDENTS_PER_GRID current residents
    of each grid. Runs one query."""
    found = defaultdict(list)
    # Sorted here, not in the database: ordering by id across the join would walk the whole
    # residents table once per community.
    rows = sorted(
        Resident.objects.current()
        .filter(household__grid__in=grids)
        .order_by()
        .values_list("pk", "household__grid_id", "household_id", "household__building_id")
    )
    for pk, grid_id, household_id, building_id in rows:
        if len(found[grid_id]) < RESIDENTS_PER_GRID:
            found[grid_id].append((pk, household_id, building_id))
    return found


class _Batch:
    """Streams incidents, their timeline entries and parties to their writers
    (grids.demo_bulk), and counts them in `totals`."""

    TOTALS = ("incidents", "open", "overdue", "paused", "referred", "disputes", "sensitive")
    TOTALS += ("timeline",)

    def __init__(self, incidents, timeline, parties, totals):
        self.incidents, self.timeline, self.parties = incidents, timeline, parties
        self.totals = totals

    def add(self, incident, entries, parties):
        """Write `incident` (given its pk by `incidents.assign` already), its timeline
        `entries` and its `parties` (resident ids)."""
        self.incidents.add(incident)
        for entry in entries:
            self.timeline.add(entry)
        Parties = Incident.parties.through
        for resident_id in parties:
            self.parties.add(Parties(incident_id=incident.pk, resident_id=resident_id))
        totals = self.totals
        totals["incidents"] += 1
        totals["open"] += incident.is_open
        totals["overdue"] += incident.escalation_level > 0 and incident.is_open
        totals["paused"] += incident.paused_at is not None
        totals["referred"] += bool(incident.referred_to)
        totals["sensitive"] += incident.is_sensitive
        totals["disputes"] += len(parties) // 2
        totals["timeline"] += len(entries)


class _Builder:
    def __init__(self, rng, now, categories):
        self.rng = rng
        self.now = now
        self.categories = categories
        self.category_weights = [CATEGORY_WEIGHTS.get(c.code, 3) for c in categories]
        self.limits = {
            (category_id, urgency): hours
            for category_id, urgency, hours in TimeLimit.objects.values_list(
                "category_id", "urgency", "hours"
            )
        }
        self.open_turn = rng.randrange(len(OPEN_MIX))
        self.posts = defaultdict(dict)  # area id -> role -> (post id, A holder id)
        roles = [Role.GRID_MEMBER, Role.GRID_LEADER, Role.STATIONMASTER]
        for area_id, role, pk, holder_id in (
            Post.objects.filter(role__in=roles)
            .order_by("pk")
            .values_list("area_id", "role", "pk", "holder_a_id")
        ):
            self.posts[area_id].setdefault(role, (pk, holder_id))

    def pick(self, weights):
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def add(self, batch, grid, community, filed_at, number, residents, *, is_latest):
        rng, now = self.rng, self.now
        member = self.posts[grid.pk].get(Role.GRID_MEMBER)
        if member is None:
            return
        leader = self.posts[grid.pk].get(Role.GRID_LEADER, member)
        station_id = self.posts[community.pk].get(Role.STATIONMASTER, leader)[1]
        category = rng.choices(self.categories, weights=self.category_weights)[0]
        urgency = self.pick(URGENCY_WEIGHTS)
        hours = self.limits.get((category.pk, urgency), DEFAULT_LIMIT_HOURS)
        span = datetime.timedelta(days=hours / WORKING_HOURS_PER_DAY * CALENDAR_FACTOR)
        handler_post = rng.choice([member, leader])
        source = self.pick(SOURCE_WEIGHTS)
        incident = Incident(
            number=number,
            grid=grid,
            category=category,
            urgency=urgency,
            title=rng.choice(TITLES.get(category.code, TITLES["other"])),
            source=source,
            reported_by_id=member[1],
            first_responsible_id=member[1],
            handler_id=handler_post[1],
            post_id=handler_post[0],
            is_sensitive=category.is_sensitive,
            limit_hours=hours,
            filed_at=filed_at,
            warn_at=filed_at + span * WARN_SHARE,
            deadline_at=filed_at + span,
        )
        batch.incidents.assign(incident)  # its timeline points at it
        self._reporter(incident, residents, source)
        age = now - filed_at
        chance_open = (
            1.0
            if is_latest
            else 0.6
            if age < datetime.timedelta(days=3)
            else 0.15
            if age < datetime.timedelta(days=14)
            else 0.03
            if age < datetime.timedelta(days=90)
            else 0.0
        )
        if rng.random() < chance_open:
            path, end = self._open(incident)
        else:
            path, end = self._closed(incident)
        parties = []
        if category.is_dispute and len(residents) >= 2:
            for resident in rng.sample(residents, 2):
                parties.append(resident[0])
            if incident.status == S.CLOSED:
                incident.mediation = rng.choice(MEDIATIONS)
                incident.is_mediated = rng.random() < 0.85
            elif incident.status != S.REPORTED and rng.random() < 0.5:
                incident.mediation = "已初步与双方沟通，约定再次调解。"
        if incident.status == S.REPORTED:
            incident.handler_id = incident.post_id = None
        batch.add(incident, self._timeline(incident, path, end, station_id), parties)

    def _reporter(self, incident, residents, source):
        rng = self.rng
        kind = rng.random()
        if source == Incident.Source.PATROL and kind < 0.6:
            return
        if kind < 0.7 and residents:
            resident_id, household_id, building_id = rng.choice(residents)
            incident.reporter_resident_id = resident_id
            incident.household_id = household_id
            incident.building_id = building_id
        elif kind < 0.9:
            incident.reporter_name = rng.choice("王李张刘陈杨黄赵吴周") + rng.choice(
                ["先生", "女士", "阿姨", "大爷"]
            )
            incident.reporter_phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        else:
            incident.is_anonymous = True

    def _open(self, incident):
        """Give `incident` the next open state; returns its steps and when the last was."""
        rng, now = self.rng, self.now
        status, paused = OPEN_MIX[self.open_turn % len(OPEN_MIX)]
        self.open_turn += 1
        incident.status = status
        filed_at = incident.filed_at
        so_far = now - filed_at
        end = filed_at + so_far * rng.uniform(0.3, 0.8)
        if paused:
            incident.paused_at = min(
                filed_at + (incident.deadline_at - filed_at) * rng.uniform(0.2, 0.6),
                filed_at + so_far * 0.9,
            )
            incident.pause_reason = rng.choice(PAUSE_REASONS)
            if rng.random() < 0.5:
                incident.paused_until = now + datetime.timedelta(days=rng.randint(1, 5))
            end = min(end, incident.paused_at)
        elif incident.deadline_at <= now:
            late = now - incident.deadline_at
            incident.escalation_level = 2 if late > datetime.timedelta(days=1) else 1
            incident.escalated_at = incident.deadline_at + (
                datetime.timedelta(days=1) if incident.escalation_level == 2 else late / 2
            )
            incident.is_supervised = rng.random() < 0.4
        if incident.warn_at <= (incident.paused_at or now):
            incident.warned_at = incident.warn_at
        if status == S.REFERRED:
            incident.referred_to = rng.choice(DEPARTMENTS)
        elif status == S.RETURNED:
            incident.rework_count = 1
        elif status == S.REOPENED:
            incident.satisfaction = ""
        return PATHS[status], end

    def _closed(self, incident):
        rng, now = self.rng, self.now
        incident.status = S.CLOSED
        filed_at = incident.filed_at
        span = incident.deadline_at - filed_at
        late = rng.random() < 0.12
        took = span * (rng.uniform(1.05, 2.0) if late else rng.uniform(0.15, 0.95))
        took += datetime.timedelta(hours=rng.uniform(2, 30))  # verifying and the evaluation
        end = min(filed_at + took, filed_at + (now - filed_at) * 0.95)
        path = CLOSED_PATH
        roll = rng.random()
        if roll < 0.08:
            path = CLOSED_REFERRED_PATH
            incident.referred_to = rng.choice(DEPARTMENTS)
            incident.referral_reply = "已由" + incident.referred_to + "处理完毕。"
        elif roll < 0.13:
            path = CLOSED_REWORKED_PATH
            incident.rework_count = 1
        if end > incident.deadline_at:
            incident.escalation_level = 1
            incident.escalated_at = incident.deadline_at
            incident.warned_at = incident.warn_at
        elif end > incident.warn_at:
            incident.warned_at = incident.warn_at
        incident.is_supervised = late and rng.random() < 0.3
        incident.satisfaction = self.pick(SATISFACTION_WEIGHTS)
        incident.closed_at = end
        return path, end

    def _timeline(self, incident, path, end, station_id):
        """The incident's timeline entries: the report, each step, and a pause, the overdue
        mark and an urging where it has them."""
        filed_at = incident.filed_at
        entries = [
            TimelineEntry(
                incident=incident,
                at=filed_at,
                by_id=incident.reported_by_id,
                action="report",
                to_status=S.REPORTED,
                note=incident.title,
            )
        ]
        status = S.REPORTED
        for step, name in enumerate(path, start=1):
            at = filed_at + (end - filed_at) * step / len(path)
            target = TARGETS[name]
            entries.append(
                TimelineEntry(
                    incident=incident,
                    at=at,
                    by_id=station_id if name in BY_STATION else incident.handler_id,
                    action=name,
                    from_status=status,
                    to_status=target,
                    note=_note(name, incident),
                )
            )
            status = target
            if name == "resolve":
                incident.resolved_at = at
        if incident.status == S.REOPENED:
            incident.closed_at = incident.resolved_at = None
        if incident.paused_at:
            entries.append(
                TimelineEntry(
                    incident=incident,
                    at=incident.paused_at,
                    by_id=incident.handler_id or incident.first_responsible_id,
                    action="pause",
                    note=incident.pause_reason,
                )
            )
        if incident.escalation_level:
            entries.append(
                TimelineEntry(incident=incident, at=incident.deadline_at, action="overdue")
            )
        if incident.is_supervised:
            entries.append(
                TimelineEntry(
                    incident=incident,
                    at=max(incident.escalated_at or filed_at, filed_at),
                    by_id=station_id,
                    action="urge",
                    note="请尽快办结并反馈。",
                )
            )
        return entries


def _note(step, incident):
    if step == "refer":
        return incident.referred_to
    if step == "resolve":
        return incident.referral_reply or "已处理完毕。"
    if step == "return":
        return "处理不彻底，请返工。"
    if step == "escalate":
        return "超出网格处置能力，提请上级协调。"
    if step == "reopen":
        return "居民反映问题再次出现。"
    if step == "close" and incident.satisfaction:
        # Stored text, in the site's language (a management command runs with none active).
        with translation.override(settings.LANGUAGE_CODE):
            return str(incident.get_satisfaction_display())
    return ""
