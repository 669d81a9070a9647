"""Every statement the incident pages bind (gridmgmt.statements: the incident, its timeline,
the step form's posts, the similar open incidents, a list's page) is checked against Django's
own compilation of it with the request's values, in every test, as the reports' are."""

from tests.reports.conftest import bound_statements_equal_djangos  # noqa: F401 (autouse)
