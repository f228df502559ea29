"""Lane names say who does a step: ROLE@PLACE, PLACE = ANCHOR[/DEPARTMENT_KIND].

The lane *name* is what SpiffWorkflow puts on every task spec (`task_spec.lane`), so the name itself is the routing
rule; a human label for the lane belongs in the diagram's documentation, not in the name.
"""
import re
from dataclasses import dataclass

from .errors import EngineError

ROLES = ("reception", "specialist", "unit_leader", "signing_leader")
ANCHORS = ("self", "parent", "province")
EXAMPLE = "specialist@parent/labour"
FORM = "ROLE@ANCHOR[/DEPARTMENT_KIND]"

_KIND = re.compile(r"[a-z][a-z_]*")


class LaneError(EngineError, ValueError):
    """A lane name that is not a route; the message shows the expected form and an example."""


@dataclass(frozen=True)
class LaneRoute:
    role: str
    anchor: str
    department_kind: str | None = None

    @property
    def name(self):
        """The canonical lane name of this route."""
        place = self.anchor if self.department_kind is None else f"{self.anchor}/{self.department_kind}"
        return f"{self.role}@{place}"

    def __str__(self):
        return self.name


def _fail(name, why):
    raise LaneError(
        f"lane {name!r}: {why}; expected {FORM} with ROLE one of {', '.join(ROLES)}, ANCHOR one of "
        f"{', '.join(ANCHORS)} and DEPARTMENT_KIND in lower case letters and '_', e.g. {EXAMPLE}"
    )


def parse_lane(name) -> LaneRoute:
    """Parses a lane name strictly: no spaces, lower case, exactly the vocabulary above."""
    if not isinstance(name, str) or not name:
        _fail(name, "the lane has no name")
    if name != name.strip():
        _fail(name, "the name has leading or trailing spaces")
    if name.count("@") != 1:
        _fail(name, "the name must contain exactly one '@'")
    role, place = name.split("@")
    if role not in ROLES:
        _fail(name, f"unknown role {role!r}")
    anchor, slash, kind = place.partition("/")
    if anchor not in ANCHORS:
        _fail(name, f"unknown anchor {anchor!r}")
    if not slash:
        return LaneRoute(role, anchor, None)
    if not _KIND.fullmatch(kind):
        _fail(name, f"invalid department kind {kind!r}")
    return LaneRoute(role, anchor, kind)
