"""Every statement the assessment pages bind (gridmgmt.statements: the user's communities,
compiled once per process for their posts) is checked against Django's own compilation of it
in every test of the assessment, as the reports' are."""

from tests.reports.conftest import bound_statements_equal_djangos  # noqa: F401 (autouse)
