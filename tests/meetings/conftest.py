"""Every statement the meeting page binds (gridmgmt.statements: its agenda and action items,
compiled once per process for a user's scope) is checked against Django's own compilation of
it in every test of the meetings, as the reports' are."""

from tests.reports.conftest import bound_statements_equal_djangos  # noqa: F401 (autouse)
