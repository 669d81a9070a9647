"""Every statement the visits due bind (gridmgmt.statements: the page's plans by id, and the
home pages' and the patrol page's lists) is checked against Django's own compilation of it in
every test of the care app, as the reports' are."""

from tests.reports.conftest import bound_statements_equal_djangos  # noqa: F401 (autouse)
