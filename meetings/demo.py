"""Demo meetings for `seed_demo`: every community's two series, the Monday meetings and the
monthly reviews of the last eight weeks (closed, with attendance, an agenda, minutes,
decisions and action items: some done, some open, one per community turned into an
incident), and the coming weeks' meetings planned as beat would plan them.

Written in bulk: a few queries per community, whatever the number of meetings; every choice
comes from the seed's `rng`.
"""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone, translation

from grids.models import Area, Post, Role
from incidents.calendar import Calendar
from incidents.models import Category, Incident
from incidents.services import open_incident
from patrols.models import MissedPatrol

from . import schedule
from .models import ActionItem, AgendaItem, Kind, Meeting, MeetingSeries, Participant

WEEKS = 8
PLACE = "社区综合服务站会议室"
_TOTALS = ("meetings", "participants", "agenda", "actions", "incidents")
BATCH = 2000

OTHER_ITEMS = [
    "传达街道本周工作部署",
    "安全生产和消防隐患排查",
    "近期重点人群走访情况",
    "文明城市创建环境整治",
    "防汛防台准备工作",
]
MINUTES = [
    "站长通报上周网格巡查和事件办理情况。各网格长汇报本周遇到的困难：{grid}反映楼道堆物"
    "反复出现，需要物业配合；部分租户白天不在家，信息核实困难。",
    "各网格员汇报走访情况，重点讨论了超期未办结事件的原因。{grid}提出老旧小区路灯损坏较多，"
    "需要协调维修。社区民警通报近期治安情况。",
    "会议听取了各网格工作汇报，对督办事件逐件过堂。{grid}反映流动人口登记不及时，"
    "建议与房东加强沟通。",
]
MONTHLY_MINUTES = [
    "各网格长逐一汇报本月网格内及周边治安状况，网格员汇报环境卫生、流动人口摸排、"
    "巡防巡控和居民反映的热点问题。{grid}本月巡查有缺漏，已说明原因。",
    "月度网格工作例会：各网格汇报本月工作，站长点评巡查覆盖率和事件按时办结率，"
    "{grid}的经验在全社区推广。",
]
DECISIONS = [
    "一、楼道堆物问题由网格员牵头、物业配合，限期清理。\n二、超期事件本周内办结并回访。",
    "一、未完成巡查的网格说明原因并补巡。\n二、租户信息核实结果周五前报社区。",
    "一、独居老人每周至少走访一次。\n二、督办事件由站长每日跟进。",
]
ACTIONS = [
    "联系物业清理{grid}楼道堆放杂物",
    "走访{grid}独居老人并记录情况",
    "核实{grid}新入住租户信息",
    "协调修复{grid}损坏路灯",
    "排查{grid}电动车楼道充电隐患",
    "回访{grid}超期事件的居民",
]
INCIDENT_ACTION = "协调维修{grid}破损井盖"


def build_meetings(rng, levels, log):
    now = timezone.now()
    today = timezone.localdate(now)
    calendar = Calendar(
        today - datetime.timedelta(weeks=WEEKS + 6), today + datetime.timedelta(days=130)
    )
    grids_by_community = defaultdict(list)
    for grid in levels[Area.Kind.GRID]:
        grids_by_community[grid.parent_id].append(grid)
    stationmasters = dict(
        Post.objects.filter(role=Role.STATIONMASTER).values_list("area_id", "holder_a_id")
    )
    category = (
        Category.objects.filter(code="other").first()
        or Category.objects.filter(is_sensitive=False).order_by("name").first()
    )
    since = today - datetime.timedelta(weeks=WEEKS)

    totals = defaultdict(int)
    for community in levels[Area.Kind.COMMUNITY]:
        grids = grids_by_community.get(community.pk, [])
        station_id = stationmasters.get(community.pk)
        if not grids or station_id is None:
            continue
        builder = _Community(rng, community, grids, station_id, now)
        for series in schedule.ensure_series(community):
            builder.add_series(series, _past_days(series, calendar, since, today))
        builder.save(category, totals)

    # The station's meeting room, so the planned meetings say where too.
    MeetingSeries.objects.filter(place="").update(place=PLACE)
    planned = schedule.plan_meetings(now=now)
    log(
        "meetings: {meetings} past ({participants} participants, {agenda} agenda items, "
        "{actions} action items, {incidents} turned into incidents), {planned} planned".format(
            planned=planned, **{k: totals[k] for k in _TOTALS}
        )
    )


def _past_days(series, calendar, since, today):
    """[(scheduled_on, day it fell on)] of the series between `since` and today."""
    if series.kind == Kind.MONTHLY:
        found = []
        month = since.replace(day=1)
        while month <= today:
            day = schedule.nth_working_day(calendar, month, max(series.working_day, 1))
            if day and since <= day <= today:
                found.append((day, day))
            month = schedule.add_months(month, 1)
        return found
    day = since + datetime.timedelta(days=(series.weekday - since.weekday()) % 7)
    found = []
    while day <= today:
        found.append((day, schedule.next_working_day(calendar, day)))
        day += datetime.timedelta(days=7)
    return [(scheduled, real) for scheduled, real in found if real <= today]


class _Community:
    """One community's past meetings and their record, collected and then written in bulk."""

    def __init__(self, rng, community, grids, station_id, now):
        self.rng, self.community, self.grids, self.now = rng, community, grids, now
        self.station_id = station_id
        self.meetings = []  # (meeting, [(post, user)])
        grid_ids = [grid.pk for grid in grids]
        self.hot_incidents = list(
            Incident.objects.open()
            .filter(grid_id__in=grid_ids)
            .filter(Q(is_supervised=True) | Q(escalation_level__gt=0) | Q(deadline_at__lt=now))
            .values_list("pk", "number", "title", "grid_id")[:12]
        )
        self.missed = defaultdict(int)  # (grid id, day) → windows missed
        for grid_id, day, count in (
            MissedPatrol.objects.filter(grid_id__in=grid_ids)
            .values_list("grid_id", "day")
            .annotate(count=Count("pk"))
        ):
            self.missed[grid_id, day] = count

    def add_series(self, series, days):
        if not days:
            return
        people = schedule.participants_for(series, days[-1][1])
        for scheduled_on, day in days:
            starts_at = schedule.local_moment(day, series.starts_at)
            if starts_at >= self.now:
                continue
            ends_at = starts_at + datetime.timedelta(minutes=series.duration_minutes)
            meeting = Meeting(
                series=series,
                community=self.community,
                kind=series.kind,
                scheduled_on=scheduled_on,
                starts_at=starts_at,
                ends_at=ends_at,
                moved_from=scheduled_on if day != scheduled_on else None,
                place=series.place or PLACE,
                agenda_generated_at=starts_at - datetime.timedelta(hours=20),
            )
            self.meetings.append((meeting, people))

    def save(self, category, totals):
        rng = self.rng
        self.meetings.sort(key=lambda pair: pair[0].starts_at)
        for meeting, _people in self.meetings:
            if meeting.ends_at < self.now:
                grid = rng.choice(self.grids).name
                minutes = MINUTES if meeting.kind == Kind.WEEKLY else MONTHLY_MINUTES
                meeting.status = Meeting.Status.CLOSED
                meeting.closed_at = meeting.ends_at + datetime.timedelta(minutes=rng.randint(5, 40))
                meeting.closed_by_id = self.station_id
                meeting.minutes = rng.choice(minutes).format(grid=grid)
                meeting.decisions = rng.choice(DECISIONS)
        Meeting.objects.bulk_create([m for m, _ in self.meetings], batch_size=BATCH)

        participants, agenda, actions = [], [], []
        open_actions = {}  # series id → the open action items of its earlier meetings
        incident_made = False
        for meeting, people in self.meetings:
            closed = meeting.status == Meeting.Status.CLOSED
            for post, user in people:
                participants.append(self._participant(meeting, post, user, closed))
            earlier = open_actions.setdefault(meeting.series_id, [])
            agenda.extend(self._agenda(meeting, earlier))
            if not closed:
                continue
            for n in range(rng.randint(1, 3)):
                grid = rng.choice(self.grids)
                owner = rng.choice(people)[1] if people else None
                if owner is None:
                    break
                day = timezone.localdate(meeting.starts_at)
                item = ActionItem(
                    meeting=meeting,
                    text=rng.choice(ACTIONS).format(grid=grid.name),
                    owner=owner,
                    due_on=day + datetime.timedelta(days=rng.randint(3, 10)),
                    grid=grid,
                    created_by_id=self.station_id,
                )
                if item.due_on < timezone.localdate(self.now) and rng.random() < 0.7:
                    item.done_at = schedule.local_moment(
                        item.due_on - datetime.timedelta(days=rng.randint(0, 2)),
                        datetime.time(16),
                    )
                if (
                    not incident_made
                    and n == 0
                    and category is not None
                    and meeting.kind == Kind.WEEKLY
                ):
                    # One action item per community became an incident today (numbers follow
                    # filing order, so it is filed now), still being handled.
                    item.text = INCIDENT_ACTION.format(grid=grid.name)
                    item.done_at = None
                    item.incident = open_incident(
                        grid=grid,
                        category=category,
                        by=meeting.closed_by if meeting.closed_by_id else owner,
                        title=item.text,
                        source=Incident.Source.MEETING,
                        at=self.now,
                        description=f"{_in_site_language(meeting)}：{item.text}",
                    )
                    incident_made = True
                    totals["incidents"] += 1
                actions.append(item)
                if item.done_at is None:
                    earlier.append(item)
            # Items done by the next meeting leave its agenda.
            next_start = meeting.starts_at + datetime.timedelta(days=6)
            earlier[:] = [i for i in earlier if i.done_at is None or i.done_at > next_start]

        Participant.objects.bulk_create(participants, batch_size=BATCH)
        ActionItem.objects.bulk_create(actions, batch_size=BATCH)
        # Agenda items name the action items, which only now have their ids.
        for item in agenda:
            if item.action_item is not None:
                item.action_item_id = item.action_item.pk
        AgendaItem.objects.bulk_create(agenda, batch_size=BATCH)
        # created_at is set on insert (auto_now_add): put it back to the meeting's end.
        for item in actions:
            item.created_at = item.meeting.ends_at
        ActionItem.objects.bulk_update(actions, ["created_at"], batch_size=BATCH)

        totals["meetings"] += len(self.meetings)
        totals["participants"] += len(participants)
        totals["agenda"] += len(agenda)
        totals["actions"] += len(actions)

    def _participant(self, meeting, post, user, closed):
        participant = Participant(meeting=meeting, post=post, user=user)
        if not closed:
            return participant
        roll = self.rng.random()
        if roll < 0.84:
            participant.attendance = Participant.Attendance.PRESENT
        elif roll < 0.94:
            participant.attendance = Participant.Attendance.EXCUSED
            partner = post.holder_b_id if post.holder_a_id == user.pk else post.holder_a_id
            participant.substitute_id = partner
        else:
            participant.attendance = Participant.Attendance.ABSENT
        return participant

    def _agenda(self, meeting, earlier_actions):
        """The agenda as drafted before the meeting: some of the community's hot incidents,
        the grids that missed patrols in the week before, the open action items, and one
        item of the station's own."""
        rng, items = self.rng, []
        Source = AgendaItem.Source
        for pk, number, title, grid_id in rng.sample(
            self.hot_incidents, min(len(self.hot_incidents), rng.randint(1, 3))
        ):
            items.append(
                AgendaItem(
                    meeting=meeting,
                    source=rng.choice([Source.OVERDUE, Source.SUPERVISED, Source.ESCALATED]),
                    text=f"{number} {title}",
                    incident_id=pk,
                    grid_id=grid_id,
                )
            )
        day = timezone.localdate(meeting.starts_at)
        for grid in self.grids:
            count = sum(
                self.missed.get((grid.pk, day - datetime.timedelta(days=back)), 0)
                for back in range(1, 8)
            )
            if count:
                items.append(
                    AgendaItem(
                        meeting=meeting,
                        source=Source.MISSED_PATROLS,
                        text=f"{grid.name}：上周漏巡 {count} 次",
                        grid_id=grid.pk,
                    )
                )
        for action in earlier_actions:
            items.append(
                AgendaItem(
                    meeting=meeting,
                    source=Source.ACTION_ITEM,
                    text=f"{action.text}（{action.owner}，{action.due_on:%m-%d}前）",
                    action_item=action,
                    grid_id=action.grid_id,
                )
            )
        items.append(AgendaItem(meeting=meeting, source=Source.OTHER, text=rng.choice(OTHER_ITEMS)))
        for position, item in enumerate(items, start=1):
            item.position = position
        return items


def _in_site_language(value):
    """`value` as text for the demo's stored rows, in the site's language (a management
    command runs with no language active, which would leave English in Chinese pages)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(value)
