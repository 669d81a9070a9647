"""The incident state machine: which step leads from which states to which, and who may take
it. `services.take_step` applies a step with a conditional update, so of two people racing
for the same step exactly one wins."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.posts import acting_on

from .models import Incident

S = Incident.Status


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    sources: tuple
    target: str
    who: str  # "worker", "supervisor", "handler" or "handler_or_supervisor"
    needs_note: bool = False


STEPS = {
    step.name: step
    for step in [
        Step("accept", _("Accept"), (S.REPORTED,), S.ACCEPTED, "worker"),
        Step(
            "assign",
            _("Assign to a post"),
            (S.REPORTED, S.ACCEPTED, S.ESCALATED, S.REOPENED),
            S.ASSIGNED,
            "supervisor",
        ),
        Step(
            "start", _("Start work"), (S.ASSIGNED, S.RETURNED, S.REOPENED), S.IN_PROGRESS, "handler"
        ),
        Step(
            "resolve",
            _("Mark resolved"),
            (S.IN_PROGRESS, S.REFERRED),
            S.RESOLVED,
            "handler_or_supervisor",
            needs_note=True,
        ),
        Step("verify", _("Verify"), (S.RESOLVED,), S.VERIFIED, "supervisor"),
        Step(
            "return",
            _("Return for rework"),
            (S.RESOLVED,),
            S.RETURNED,
            "supervisor",
            needs_note=True,
        ),
        Step(
            "close",
            _("Close with the resident's evaluation"),
            (S.VERIFIED,),
            S.CLOSED,
            "supervisor",
        ),
        Step("reopen", _("Reopen"), (S.CLOSED,), S.REOPENED, "supervisor", needs_note=True),
        Step(
            "escalate",
            _("Escalate"),
            (S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.RETURNED, S.REOPENED),
            S.ESCALATED,
            "handler_or_supervisor",
            needs_note=True,
        ),
        Step(
            "refer",
            _("Refer to a department"),
            (S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.ESCALATED),
            S.REFERRED,
            "supervisor",
            needs_note=True,
        ),
        Step(
            "mark_duplicate",
            _("Mark as a duplicate"),
            (S.REPORTED, S.ACCEPTED),
            S.DUPLICATE,
            "worker",
        ),
    ]
}


def is_acting_handler(incident, user, day=None):
    """The handler, or whoever acts for the incident's post (see `grids.posts`) while its
    handler, a holder of that post, is away. Runs up to two queries when the incident has a
    post the handler holds."""
    if incident.handler_id == user.pk:
        return True
    post = incident.post
    if post is None or incident.handler_id not in {post.holder_a_id, post.holder_b_id}:
        return False
    acting = acting_on([post], day or timezone.localdate())[post.pk]
    return acting.user is not None and acting.user.pk == user.pk


def may_take(step, incident, user, scope):
    """May `user` take `step` on `incident` now (ignoring the state)?"""
    grid = incident.grid
    if step.who == "worker":
        return scope.works_register(grid)
    if step.who == "supervisor":
        return scope.supervises(grid)
    if step.who == "handler":
        return is_acting_handler(incident, user)
    return scope.supervises(grid) or is_acting_handler(incident, user)


def available_steps(incident, user, scope):
    """The steps the user may take from the incident's current state."""
    return [
        step
        for step in STEPS.values()
        if incident.status in step.sources and may_take(step, incident, user, scope)
    ]
