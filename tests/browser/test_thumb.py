"""The pages a grid member and a stationmaster use every day, on a 390 px phone: every
control is big enough for a thumb, every field has its own label and axe-core finds nothing
serious or critical, in Chinese and in English."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from grids.models import Post, Role, User
from grids.scope import Scope
from incidents import services as incident_services
from notifications.models import Notification
from patrols.models import Instruction, Observation, Patrol, Slot
from tests.browser.helpers import log_in
from tests.factories import make_household, make_post, make_resident, make_user
from tests.incidents.factories import make_category, make_incident
from tests.patrols.factories import make_patrol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN_SIZE = 44  # px, the smallest tap target (WCAG 2.5.5, Apple and Material guidance)

# Measures, in one pass, every visible button, link, form control and summary on the page,
# and returns those smaller than MIN_SIZE in either direction. A radio button or checkbox is
# measured together with its label: tapping either one works. Hidden elements do not count:
# display none, zero size, visually-hidden, inside a closed <details> (except its summary)
# or a collapsed navbar.
#
# The exceptions, each with its reason:
# - a link inside the running text of a paragraph, set inline with the words around it:
#   making it 44 px tall would tear the paragraph's lines apart.
MEASURE = """() => {
  const isHidden = (el) => {
    if (!el.checkVisibility({visibilityProperty: true, checkVisibilityCSS: true})) return true;
    if (el.closest('.visually-hidden, .visually-hidden-focusable')) return true;
    for (let d = el.closest('details'); d; d = d.parentElement?.closest('details')) {
      const summary = d.querySelector(':scope > summary');
      if (!d.open && !summary?.contains(el)) return true;
    }
    const r = el.getBoundingClientRect();
    return r.width === 0 || r.height === 0;
  };
  const inProse = (el) => el.tagName === 'A' && !!el.closest('p')
    && getComputedStyle(el).display === 'inline';
  const union = (a, b) => {
    const left = Math.min(a.left, b.left), top = Math.min(a.top, b.top);
    return {width: Math.max(a.right, b.right) - left, height: Math.max(a.bottom, b.bottom) - top};
  };
  const describe = (el) => {
    const text = (el.innerText || el.labels?.[0]?.innerText || el.getAttribute('aria-label')
      || '').trim().replace(/\\s+/g, ' ').slice(0, 30);
    const classes = typeof el.className === 'string' ? el.className.trim() : '';
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.name ? `[name=${el.name}]` : '')
      + (classes ? `.${classes.split(/\\s+/).join('.')}` : '') + (text ? ` "${text}"` : '');
  };
  const selector = 'button, a[href], input:not([type=hidden]), select, textarea, summary';
  return [...document.querySelectorAll(selector)].filter((el) => !isHidden(el)).map((el) => {
    let rect = el.getBoundingClientRect();
    if ((el.type === 'radio' || el.type === 'checkbox') && el.labels?.length) {
      rect = union(rect, el.labels[0].getBoundingClientRect());
    }
    return {
      what: describe(el),
      width: Math.round(rect.width * 10) / 10,
      height: Math.round(rect.height * 10) / 10,
      inProse: inProse(el),
    };
  });
}"""

# Every form field has a label of its own: ids are unique (a label's `for` names one field)
# and each field is labelled.
LABELS = """() => {
  const counts = {};
  document.querySelectorAll('[id]').forEach((e) => { counts[e.id] = (counts[e.id] || 0) + 1; });
  const shared = Object.keys(counts).filter((id) => counts[id] > 1)
    .map((id) => `the id ${id} is used ${counts[id]} times`);
  const unlabelled = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter((e) => !e.labels.length && !e.ariaLabel && !e.getAttribute('aria-labelledby'))
    .map((e) => `the field ${e.name} has no label`);
  return [...shared, ...unlabelled];
}"""

# Opens every <details> on the page, so the forms behind the toggles are measured too.
OPEN_DETAILS = "() => document.querySelectorAll('details').forEach((d) => { d.open = true; })"


@pytest.fixture
def day_of_work(world):
    """A member's day in grid A: a patrol in progress with an open instruction and one
    observation, an incident they handle (a dispute, so the mediation form shows), a few
    notifications; for the stationmaster, today's board with a log waiting and yesterday's
    ready to sign off. Returns the paths of the pages, by persona."""
    member, station = world.a.grid_member, world.a.stationmaster
    today = timezone.localdate()
    household = make_household(world.a.grid, address="和平路5号")
    resident = make_resident(household, name="孙一")
    Instruction.objects.create(
        grid=world.a.grid,
        household=household,
        resident=resident,
        text="核实是否出租",
        due_on=today + datetime.timedelta(days=2),
        issued_by=station,
    )
    patrol = make_patrol(
        world.a.grid,
        today,
        Slot.MORNING,
        member=member,
        status=Patrol.Status.IN_PROGRESS,
        started_at=timezone.now() - datetime.timedelta(minutes=20),
    )
    Observation.objects.create(patrol=patrol, category="sanitation", text="垃圾桶满了")
    other_member = make_user("gm_a2", full_name="Member A2")
    make_post(world.a.other_grid, Role.GRID_MEMBER, other_member)
    make_patrol(world.a.other_grid, today, Slot.MORNING, member=other_member)
    # Yesterday, every log approved: the board offers to sign the day off.
    yesterday = today - datetime.timedelta(days=1)
    for grid, who in [(world.a.grid, member), (world.a.other_grid, other_member)]:
        for slot in Slot:
            make_patrol(grid, yesterday, slot, member=who, status=Patrol.Status.APPROVED)

    dispute = make_category("neighbours", name="邻里纠纷", is_dispute=True)
    incident = make_incident(world.a.grid, member, category=dispute, household=household)
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_MEMBER)
    incident = incident_services.take_step(
        incident, "assign", by=station, scope=Scope(station), post=post
    )
    incident = incident_services.take_step(incident, "start", by=member, scope=Scope(member))

    for n, title in enumerate(["Your patrol log was returned", "A new instruction", "Reminder"]):
        Notification.objects.create(
            recipient=member,
            key=f"thumb:{n}",
            title=title,
            body="请补充井盖的具体位置" if n == 0 else "",
            url=patrol.get_absolute_url(),
            read_at=timezone.now() if n == 2 else None,
        )
    return {
        member.username: [
            "/",
            patrol.get_absolute_url(),
            incident.get_absolute_url(),
            "/notifications/",
        ],
        station.username: [
            f"/patrols/board/?area={world.a.community.code}",
            f"/patrols/board/?area={world.a.community.code}&day={yesterday:%Y-%m-%d}",
        ],
    }


def each_page(live_server, new_context, day_of_work, language):
    """Log in as each persona, in `language`, and open each of their pages with every
    <details> opened. Yields the path and the page."""
    for username, paths in day_of_work.items():
        User.objects.filter(username=username).update(language=language)
        context = new_context()
        page = context.new_page()
        log_in(page, live_server, username)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            page.evaluate(OPEN_DETAILS)
            yield path, page
        context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_control_on_the_daily_pages_is_thumb_sized_on_a_phone(
    live_server, new_context, day_of_work, language
):
    too_small, measured = [], 0
    for path, page in each_page(live_server, new_context, day_of_work, language):
        controls = page.evaluate(MEASURE)
        measured += len(controls)
        too_small += [
            f"{path}: {c['what']} is {c['width']} x {c['height']} px"
            for c in controls
            if (c["width"] < MIN_SIZE or c["height"] < MIN_SIZE) and not c["inProse"]
        ]
    assert measured > 60  # the pages and the forms behind their toggles were all there
    assert not too_small, f"Smaller than {MIN_SIZE} x {MIN_SIZE} px:\n" + "\n".join(too_small)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_axe_finds_nothing_serious_on_the_daily_pages(
    live_server, new_context, day_of_work, language
):
    axe = Axe()
    found = []
    for path, page in each_page(live_server, new_context, day_of_work, language):
        results = axe.run(page)
        found += [
            f"{path}: {v['id']} ({v['impact']}) at {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        found += [f"{path}: {problem}" for problem in page.evaluate(LABELS)]
    assert not found, "Serious or critical for axe-core, or a field's label:\n" + "\n".join(found)
