"""When a rate is green, yellow or red: the one definition the home page, the district
report (its cards, table and map) and the XLSX export all read.

A rate at or above `green` is green, at or above `yellow` is yellow, and below is red. The
report page prints this table under its figures, so what a colour means is written where it
shows.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

GREEN, YELLOW, RED = "green", "yellow", "red"

# The same three colours on the map and in the workbook (the page uses Bootstrap's).
COLOURS = {GREEN: "#1a9850", YELLOW: "#fee08b", RED: "#d73027"}
LABELS = {GREEN: _("Green"), YELLOW: _("Yellow"), RED: _("Red")}


@dataclass(frozen=True)
class Threshold:
    key: str  # the report column's key
    label: str
    green: float  # at or above: green
    yellow: float  # at or above: yellow; below it: red

    def light(self, value):
        """green, yellow or red for a rate (a fraction); "" when there is nothing to rate."""
        if value is None:
            return ""
        if value >= self.green:
            return GREEN
        if value >= self.yellow:
            return YELLOW
        return RED

    def bands(self):
        """(light, text) from best to worst, e.g. ("green", "≥ 95%")."""
        green, yellow = _pct(self.green), _pct(self.yellow)
        return [
            (GREEN, f"≥ {green}"),
            (YELLOW, f"{yellow}–{green}"),
            (RED, f"< {yellow}"),
        ]


THRESHOLDS = {
    t.key: t
    for t in [
        Threshold("coverage", _("Patrol coverage"), 0.95, 0.85),
        Threshold("on_time_rate", _("On-time closure rate"), 0.95, 0.85),
        Threshold("closure_rate", _("Closure rate"), 0.95, 0.85),
        Threshold("satisfaction", _("Satisfaction"), 0.90, 0.80),
    ]
}


def light(key, value):
    """The light of figure `key` at `value`, or "" for a figure without thresholds."""
    threshold = THRESHOLDS.get(key)
    return threshold.light(value) if threshold else ""


def _pct(fraction):
    return f"{fraction * 100:g}%"
