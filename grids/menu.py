"""The main menu: one definition of the pages each role may open.

An entry is shown when the user may open its page: administrators see every entry; anyone
else sees an entry when one of their posts allows it, so a person holding several posts sees
the union of what each post offers. Deciding reads only the scope's posts (one query, which
every signed-in page already runs), so the menu adds no query of its own.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from reports.district import KINDS as REPORT_KINDS

from .imports import may_import
from .models import GRID_WORKER_ROLES, SUPERVISOR_ROLES, Area

# Areas whose posts see grids, and so the grids' register, patrols and incidents.
GRID_OR_ABOVE = frozenset(
    {Area.Kind.DISTRICT, Area.Kind.STREET, Area.Kind.COMMUNITY, Area.Kind.GRID}
)


def _everyone(scope):
    return True


def _sees_grids(scope):
    """A post at a grid or above: the grid lists, the register, incidents."""
    return any(post.area.kind in GRID_OR_ABOVE for post in scope.posts)


def _holds_a_post(scope):
    """Every post may report a matter in its area and follow its incidents (a team post sees
    only its own and, for community police, the public-security ones)."""
    return bool(scope.posts)


def _supervises(scope):
    return any(post.role in SUPERVISOR_ROLES for post in scope.posts)


def _assessed(scope):
    """The monthly assessment: the station and above rank their workers; a grid worker sees
    their own line."""
    return any(post.role in SUPERVISOR_ROLES | GRID_WORKER_ROLES for post in scope.posts)


def _has_report_area(scope):
    """The report opens at the topmost of the user's areas that is a grid or above."""
    return any(post.area.kind in REPORT_KINDS for post in scope.posts)


def _keeps_register(scope):
    return may_import(scope)


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    shown: object = _everyone  # scope -> bool, for users who are not administrators
    # (namespace, url names or None for the whole namespace); by default the entry's own page
    sections: tuple = ()

    def is_active(self, match):
        if match is None:
            return False
        if not self.sections:
            return match.view_name == self.url_name
        for namespace, names in self.sections:
            if match.namespace == namespace and (names is None or match.url_name in names):
                return True
        return False


@dataclass(frozen=True)
class Group:
    label: str
    entries: tuple
    path_parts: tuple = ()  # a page whose path holds one of these belongs to the group


BOARD_PAGES = ("board", "review", "sign_off")

MENU = (
    Entry(_("Home"), "home", sections=(("", ("home",)),)),
    Entry(
        _("Grids"),
        "grids:list",
        _sees_grids,
        sections=(("grids", ("list", "detail", "team")),),
    ),
    Entry(
        _("Patrols"),
        "patrols:list",
        sections=(("patrols", ("list", "detail", "instructions", "instruction_create")),),
    ),
    Entry(_("Patrol board"), "patrols:board", _supervises, sections=(("patrols", BOARD_PAGES),)),
    Entry(
        _("Incidents"),
        "incidents:list",
        _holds_a_post,
        sections=(("incidents", ("list", "detail")),),
    ),
    Entry(_("Report a matter"), "incidents:report", _holds_a_post),
    Entry(_("Meetings"), "meetings:list", sections=(("meetings", None),)),
    Entry(_("Places in the grid"), "places:list", _sees_grids, sections=(("places", None),)),
    Entry(
        _("Visits due"),
        "care:due",
        lambda scope: scope.works_register_somewhere(),
        sections=(("care", None),),
    ),
    Entry(_("Reports"), "reports:report", _has_report_area, sections=(("reports", None),)),
    Entry(_("Assessment"), "assessment:page", _assessed, sections=(("assessment", None),)),
    Entry(
        _("Area changes"),
        "grids:changes",
        lambda scope: scope.changes_map(),
        sections=(("grids", ("changes", "change_start", "change_new")),),
    ),
    Group(
        _("Register"),
        (
            Entry(_("Search"), "grids:search", _sees_grids),
            Entry(_("Floating population"), "grids:floating", _sees_grids),
            Entry(_("Rentals"), "grids:rentals", _sees_grids),
            Entry(
                _("Moves between communities"),
                "grids:transfers",
                _sees_grids,
                sections=(("grids", ("transfers", "transfer")),),
            ),
            Entry(
                _("Import"),
                "grids:import",
                _keeps_register,
                sections=(("grids", ("import", "import_detail")),),
            ),
            Entry(_("Disclosure log"), "grids:disclosures", _supervises),
        ),
        path_parts=("/register/", "/households/", "/residents/"),
    ),
)


@dataclass
class Item:
    """An entry as shown to one user: its label, address and whether it is the page open."""

    label: str
    url: str
    active: bool = False
    children: tuple = ()


def menu_for(request):
    """The menu items the request's user may open, in order; empty groups are left out."""
    from .scope import get_scope

    scope = get_scope(request)
    match = getattr(request, "resolver_match", None)

    def allowed(entry):
        return scope.is_global or entry.shown(scope)

    items = []
    for node in MENU:
        if isinstance(node, Group):
            children = tuple(
                Item(entry.label, reverse(entry.url_name), entry.is_active(match))
                for entry in node.entries
                if allowed(entry)
            )
            if children:
                active = any(part in request.path for part in node.path_parts)
                items.append(Item(node.label, "", active, children))
        elif allowed(node):
            items.append(Item(node.label, reverse(node.url_name), node.is_active(match)))
    return items
