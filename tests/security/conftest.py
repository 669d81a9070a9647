"""Hypothesis profiles for the hostile-input suite, and its count of examples.

The profile comes from HYPOTHESIS_PROFILE, else "ci" when CI is set, else "dev":

- "dev": a quick local run, a few examples per form;
- "ci": enough examples per form that a run of the whole suite tries more than 10,000, in a
  fixed order (derandomize), so a failure in CI fails again on a laptop with the same profile;
- "long": many more examples, in a random order, for a run before a release.

Every run prints, at the end, how many examples each form and each page's query took, and
the total.
"""

import os
from collections import Counter

from hypothesis import HealthCheck, Phase, settings

from tests.conftest import IN_CI

_common = {
    "deadline": None,
    "database": None,
    # Every example is checked and its failure recorded without raising, so there is nothing
    # to shrink; the suite lists every distinct failure instead of the first one.
    "phases": [Phase.explicit, Phase.generate],
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.function_scoped_fixture,
    ],
}
# max_examples is per form (and per page's query parameters, see GET_EXAMPLES).
settings.register_profile("dev", max_examples=8, derandomize=True, **_common)
settings.register_profile("ci", max_examples=30, derandomize=True, **_common)
settings.register_profile("long", max_examples=400, derandomize=False, **_common)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if IN_CI else "dev")
settings.load_profile(PROFILE)

# (role, method, view name) -> examples run. Filled by the tests, printed at the end.
EXAMPLES = Counter()


def pytest_terminal_summary(terminalreporter):
    if not EXAMPLES:
        return
    write = terminalreporter.write_line
    terminalreporter.section(f"hostile input: examples per form (profile {PROFILE})")
    by_form = Counter()
    for (_role, method, view), count in EXAMPLES.items():
        by_form[(method, view)] += count
    for (method, view), count in sorted(by_form.items()):
        roles = sorted(r for (r, m, v) in EXAMPLES if (m, v) == (method, view))
        write(f"{count:6d}  {method:4s} {view}  ({len(roles)} roles)")
    posts = sum(c for (r, m, v), c in EXAMPLES.items() if m == "POST")
    gets = sum(c for (r, m, v), c in EXAMPLES.items() if m == "GET")
    write(
        f"hostile input: {sum(EXAMPLES.values())} examples in total "
        f"({posts} posts to {len({k[1:] for k in EXAMPLES if k[1] == 'POST'})} forms, "
        f"{gets} queries of {len({k[1:] for k in EXAMPLES if k[1] == 'GET'})} pages), "
        f"profile {PROFILE}"
    )
