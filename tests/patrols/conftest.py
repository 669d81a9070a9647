"""Every statement the pages here bind (gridmgmt.statements: the patrol, the board's grids,
logs and areas, a patrol's companions) is checked against Django's own compilation of it with
the request's values, in every test, as the reports' are."""

from tests.reports.conftest import bound_statements_equal_djangos  # noqa: F401 (autouse)
