"""Writes to a community's team, run by its stationmaster: absences, a post opened, a post
changing holder (with the handover of the post's open work) and a person leaving. Each is
atomic and leaves its trace in the history (django-simple-history) and on incidents'
timelines."""

import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridmgmt.localtime import local_midnight

from .models import GRID_WORKER_ROLES, ROLE_AREA_KINDS, Absence, Area, Post, Role


class TeamError(Exception):
    """A change the team cannot take; the message says why, for the user."""


def _save(obj, by, **kwargs):
    obj._history_user = by
    obj.save(**kwargs)
    return obj


# --- Absences ---


@transaction.atomic
def record_absence(*, user, starts_on, ends_on, reason, by):
    if ends_on < starts_on:
        raise TeamError(_("An absence cannot end before it starts."))
    return _save(Absence(user=user, starts_on=starts_on, ends_on=ends_on, reason=reason), by)


@transaction.atomic
def update_absence(absence, *, by, starts_on, ends_on, reason):
    if ends_on < starts_on:
        raise TeamError(_("An absence cannot end before it starts."))
    absence.starts_on, absence.ends_on, absence.reason = starts_on, ends_on, reason
    return _save(absence, by)


@transaction.atomic
def end_absence(absence, *, by, on=None):
    """The person is back on `on` (today by default): the absence ends the day before, or is
    withdrawn when it had not begun. Returns the absence, or None when withdrawn."""
    on = on or timezone.localdate()
    last_day = on - datetime.timedelta(days=1)
    if last_day < absence.starts_on:
        absence._history_user = by
        absence.delete()
        return None
    if last_day < absence.ends_on:
        absence.ends_on = last_day
        _save(absence, by, update_fields=["ends_on"])
    return absence


# --- A post opened ---


def grids_without_team(community, day):
    """The community's grids that exist on `day` and have no open grid-worker post: nobody
    patrols them (a grid a split has just made starts so). Runs one query."""
    worker_posts = Post.objects.filter(area=OuterRef("pk"), role__in=GRID_WORKER_ROLES)
    return list(
        Area.objects.grids()
        .filter(parent=community)
        .existing_on(day)
        .filter(~Exists(worker_posts))
        .order_by("code")
    )


def post_problems(area, role, holder_a, holder_b):
    """What stops a `role` post at `area` held by A and B, as {field: message}: the role
    stands at another kind of area, A and B are the same person, an account is closed, the
    area does not exist today."""
    problems = {}
    kinds = ROLE_AREA_KINDS.get(role, set())
    if area.kind not in kinds:
        problems["role"] = _("A %(role)s post stands at a %(kinds)s, not at a %(kind)s.") % {
            "role": Role(role).label,
            "kinds": ", ".join(str(Area.Kind(k).label) for k in sorted(kinds)),
            "kind": area.get_kind_display(),
        }
    if not area.exists_on(timezone.localdate()):
        problems["area"] = _("%(area)s does not exist today.") % {"area": area.name}
    for field, holder in (("holder_a", holder_a), ("holder_b", holder_b)):
        if holder is not None and not holder.is_active:
            problems[field] = _("%(name)s's account is closed.") % {"name": holder.display_name}
    if holder_b is not None and holder_a.pk == holder_b.pk:
        problems["holder_b"] = _("A and B must be different people.")
    return problems


@transaction.atomic
def open_post(area, *, role, holder_a, holder_b=None, by):
    """A new `role` post at `area` held by `holder_a`, backed by `holder_b` (optional), in
    the history as made by `by`. Raises TeamError, saving nothing, for a post that cannot
    stand (see `post_problems`)."""
    problems = post_problems(area, role, holder_a, holder_b)
    if problems:
        raise TeamError(next(iter(problems.values())))
    return _save(Post(area=area, role=role, holder_a=holder_a, holder_b=holder_b), by)


# --- What a person holds ---


def holdings(user, day=None):
    """Everything `user` answers for that must pass to someone before they leave: their
    posts, open incidents they handle, cover or are first-responsible for, open instructions
    they issued, open action items and places at meetings from `day`. A list of
    (key, label, item); each `key` is stable for the form. Runs six queries."""
    from incidents.models import Incident
    from meetings.models import ActionItem, Participant
    from patrols.models import Instruction

    day = day or timezone.localdate()
    found = []
    for post in Post.objects.held_by(user).select_related("area"):
        slot = "a" if post.holder_a_id == user.pk else "b"
        label = _("%(post)s (as %(slot)s)") % {"post": post, "slot": slot.upper()}
        found.append((f"post-{slot}-{post.pk}", label, post))
    incidents = Incident.objects.open().filter(
        Q(handler=user) | Q(first_responsible=user) | Q(covered_for=user)
    )
    for incident in incidents.select_related("grid"):
        if incident.handler_id == user.pk:
            found.append((f"handler-{incident.pk}", _("Handler of %s") % incident, incident))
        if incident.first_responsible_id == user.pk:
            found.append(
                (f"first-{incident.pk}", _("First-responsible for %s") % incident, incident)
            )
        if incident.covered_for_id == user.pk:
            found.append((f"covered-{incident.pk}", _("Covered for on %s") % incident, incident))
    for instruction in Instruction.objects.open().filter(issued_by=user).select_related("grid"):
        label = _("Instruction to %(grid)s, due %(day)s") % {
            "grid": instruction.grid,
            "day": instruction.due_on,
        }
        found.append((f"instruction-{instruction.pk}", label, instruction))
    for item in ActionItem.objects.open().filter(owner=user):
        found.append((f"action-{item.pk}", _("Action item: %s") % item.text, item))
    start = local_midnight(day)
    for place in Participant.objects.filter(
        user=user, meeting__starts_at__gte=start, meeting__status="scheduled"
    ).select_related("meeting"):
        when = timezone.localtime(place.meeting.starts_at)
        label = _("Meeting on %(day)s") % {"day": f"{when:%Y-%m-%d %H:%M}"}
        found.append((f"meeting-{place.pk}", label, place))
    return found


def _timeline(incident, by, note):
    from incidents.models import TimelineEntry

    TimelineEntry.objects.create(
        incident=incident, by=by, action="post_handover", note=str(note), at=timezone.now()
    )


def _move(key, item, to, by):
    """Pass one held item to `to`, with a timeline entry on incidents."""
    from incidents.models import Incident
    from meetings.models import Participant

    kind = key.split("-", 1)[0]
    # Kept as data (an arrow and a name), not a sentence: every reader reads the timeline in
    # their own language, with the step's label translated when shown.
    note = f"→ {to.display_name}"
    if kind == "post":
        slot = key.split("-")[1]
        other = item.holder_b_id if slot == "a" else item.holder_a_id
        if other == to.pk:
            raise TeamError(
                _("%(name)s already holds %(post)s.") % {"name": to.display_name, "post": item}
            )
        setattr(item, f"holder_{slot}", to)
        _save(item, by, update_fields=[f"holder_{slot}"])
    elif kind in {"handler", "first", "covered"}:
        field = {"handler": "handler", "first": "first_responsible", "covered": "covered_for"}
        Incident.objects.filter(pk=item.pk).update(**{field[kind]: to})
        if kind == "handler":
            Incident.objects.filter(pk=item.pk, covered_for=to).update(covered_for=None)
        _timeline(item, by, note)
    elif kind == "instruction":
        type(item).objects.filter(pk=item.pk).update(issued_by=to)
    elif kind == "action":
        item.owner = to
        _save(item, by, update_fields=["owner"])
    elif kind == "meeting":
        if Participant.objects.filter(meeting_id=item.meeting_id, user=to).exists():
            item._history_user = by
            item.delete()  # already expected at that meeting
        else:
            item.user = to
            _save(item, by, update_fields=["user"])


# --- A post changing holder ---


def post_work(post, user, day):
    """The keys and items of `user`'s open work on `post` from `day`: incidents they handle
    on the post or first received at its area, instructions they issued and action items
    they own there, and their places at meetings as that post. Runs `holdings`' queries."""
    path = post.area.path
    mine = []
    for key, label, item in holdings(user, day):
        kind = key.split("-", 1)[0]
        if kind == "post":
            continue
        if kind in {"handler", "covered"}:
            keep = item.post_id == post.pk
        elif kind == "first":
            keep = item.post_id == post.pk or item.grid.path.startswith(path)
        elif kind == "instruction":
            keep = item.grid.path.startswith(path)
        elif kind == "action":
            keep = item.grid_id is not None and item.grid_id in _area_ids_under(path)
        else:
            keep = item.post_id == post.pk
        if keep:
            mine.append((key, label, item))
    return mine


def _area_ids_under(path):
    from .models import Area

    return set(Area.objects.filter(path__startswith=path).values_list("pk", flat=True))


@transaction.atomic
def change_post_holder(post, *, slot, to, on, by):
    """`to` holds `post` as A or B (`slot`) from `on` (today or earlier): the old holder's
    open work on the post passes to them, each incident with a timeline entry; both people
    and the grid's leader are told once."""
    from notifications.services import notify

    if on > timezone.localdate():
        raise TeamError(_("The change takes effect today or on an earlier day."))
    if not to.is_active:
        raise TeamError(_("%(name)s's account is closed.") % {"name": to.display_name})
    old = post.holder_a if slot == "a" else post.holder_b
    if old is not None and old.pk == to.pk:
        raise TeamError(_("%(name)s already holds it.") % {"name": to.display_name})
    work = post_work(post, old, on) if old is not None else []
    _move(f"post-{slot}-{post.pk}", post, to, by)
    for key, _label, item in work:
        _move(key, item, to, by)
    leaders = list(
        Post.objects.filter(area_id=_grid_id_of(post.area), role=Role.GRID_LEADER).select_related(
            "area", "holder_a", "holder_b"
        )
    )
    from .posts import acting_on

    told = {to.pk: to}
    if old is not None:
        told[old.pk] = old
    for acting in acting_on(leaders, timezone.localdate()).values():
        if acting.user is not None:
            told[acting.user.pk] = acting.user
    notify(
        list(told.values()),
        key=f"post-holder:{post.pk}:{slot}:{to.pk}:{on.isoformat()}",
        title=_("%(name)s holds the %(role)s post at %(area)s as %(slot)s from %(day)s"),
        params={
            "name": to.display_name,
            "role": Role(post.role).label,
            "area": post.area.name,
            "slot": slot.upper(),
            "day": on.isoformat(),
        },
        url=post.area.get_absolute_url(),
    )
    return post


def _grid_id_of(area):
    ids = area.path.strip("/").split("/")
    return int(ids[3]) if len(ids) >= 4 else None


# --- A person leaving ---


@transaction.atomic
def deactivate_person(user, *, assignments, by):
    """Close `user`'s account once every item they hold (see `holdings`) is given to someone
    in `assignments` ({key: User}). Refuses, changing nothing, while anything is unassigned."""
    items = holdings(user)
    missing = [label for key, label, _item in items if assignments.get(key) is None]
    if missing:
        raise TeamError(
            _("Hand everything over first: %(items)s") % {"items": "; ".join(map(str, missing))}
        )
    if any(assignments[key].pk == user.pk for key, _label, _item in items):
        raise TeamError(_("Choose someone other than the person leaving."))
    for key, _label, item in items:
        _move(key, item, assignments[key], by)
    if holdings(user):
        raise TeamError(_("Something new reached this person meanwhile: try again."))
    user.is_active = False
    _save(user, by, update_fields=["is_active"])
    return user
