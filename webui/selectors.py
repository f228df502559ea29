"""Read-only queries of the officials' pages, built on processes.selectors (who sees what). Nothing here changes
state."""
import re
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.db.models.functions import Coalesce, Least

from engine import clock
from engine.calendar import VN_TZ
from processes import selectors as process_selectors
from processes.models import (
    OPEN_STATUSES,
    DossierStatus,
    Field,
    Membership,
    Procedure,
    Role,
    UnitKind,
    WorkItem,
    WorkItemStatus,
)
from processes.services.calendar import calendar_for_unit

TABS = ("mine", "unclaimed", "due_soon", "overdue")
SORTS = {
    "due": ("effective_due", "id"),
    "-due": ("-effective_due", "-id"),
    "received": ("dossier__received_at", "id"),
    "-received": ("-dossier__received_at", "-id"),
    "procedure": ("dossier__procedure__name", "effective_due", "id"),
}


def memberships_of(user):
    """The official's roles: their memberships, then one unsaved Membership per active substitution (the role they
    stand in for today, with `acting_for` = the absent official). A list: read it, never save it."""
    found = list(Membership.objects.filter(user=user).select_related("unit"))
    for substitution in process_selectors.substitutions_of(user):
        standing_in = Membership(user=user, unit=substitution.unit, role=substitution.role)
        standing_in.acting_for = substitution.absent
        found.append(standing_in)
    return found


def leads(user, unit):
    """Leads the unit: the unit_leader role held, or stood in for today."""
    return process_selectors.holds_role(user, unit, Role.UNIT_LEADER)


def inbox_scope(user, unit):
    """The open steps an official sees in the inbox of `unit`: the ones routed to the unit in a role they hold there,
    and the ones they claimed. A unit leader sees every open step of the unit and of its departments (to reassign
    them). The earlier of the step's due time and the dossier's statutory due time is `effective_due`."""
    if unit is None:
        return WorkItem.objects.none()
    if leads(user, unit):
        qs = WorkItem.objects.filter(status=WorkItemStatus.OPEN).filter(
            Q(unit=unit) | Q(unit__parent=unit, unit__kind=UnitKind.DEPARTMENT))
    else:
        qs = process_selectors.inbox_for(user).filter(unit=unit)
    return (
        qs.select_related("dossier", "dossier__procedure", "dossier__procedure__field", "unit", "claimed_by")
        .annotate(effective_due=Least(Coalesce("due_at", "dossier__due_at"), "dossier__due_at"))
    )


def due_soon_horizon(unit, now=None):
    """The end of office hours of the next working day: what falls due before then is 'due soon'."""
    now = now or clock.now()
    calendar = calendar_for_unit(unit)
    next_day = calendar.next_working_day(now.astimezone(VN_TZ).date())
    return calendar.add_working_days(datetime.combine(next_day, time(0, 0), tzinfo=VN_TZ), 0)


def tab_filters(user, roles, is_leader, now, horizon):
    unclaimed = Q(claimed_by__isnull=True)
    if not is_leader:
        unclaimed &= Q(role__in=roles)
    return {
        "mine": Q(claimed_by=user),
        "unclaimed": unclaimed,
        "due_soon": Q(effective_due__gte=now, effective_due__lte=horizon),
        "overdue": Q(effective_due__lt=now),
    }


@dataclass
class Inbox:
    items: object  # the filtered, sorted queryset of the chosen tab
    counts: dict
    now: datetime
    horizon: datetime
    is_leader: bool


def inbox(user, unit, roles, *, tab="mine", procedure="", field="", channel=None, status="", sort="due", q=""):
    now = clock.now()
    horizon = due_soon_horizon(unit, now) if unit is not None else now
    is_leader = unit is not None and Role.UNIT_LEADER in roles
    scope = inbox_scope(user, unit)
    if procedure:
        scope = scope.filter(dossier__procedure__code=procedure)
    if field:
        scope = scope.filter(dossier__procedure__field__code=field)
    if channel:
        scope = scope.filter(dossier__channel=channel)
    if status:
        scope = scope.filter(dossier__status=status)
    if q:
        scope = scope.filter(dossier__code__icontains=q)
    filters = tab_filters(user, roles, is_leader, now, horizon)
    counts = scope.aggregate(**{name: Count("id", filter=condition) for name, condition in filters.items()})
    items = scope.filter(filters.get(tab, filters["mine"])).order_by(*SORTS.get(sort, SORTS["due"]))
    return Inbox(items=items, counts=counts, now=now, horizon=horizon, is_leader=is_leader)


def open_counts_by_unit(user, units):
    """Open steps in each of an official's units (shown in the unit switcher)."""
    return {unit.pk: inbox_scope(user, unit).count() for unit in units}


def filter_choices():
    return {
        "procedures": list(Procedure.objects.filter(active=True).order_by("name").values_list("code", "name")),
        "fields": list(Field.objects.order_by("name").values_list("code", "name")),
        "statuses": [s for s in DossierStatus if s in OPEN_STATUSES],
    }


def reassign_candidates(items):
    """{(unit id, role): [user, ...]}: the officials holding each step's role in its unit."""
    pairs = {(item.unit_id, item.role) for item in items}
    if not pairs:
        return {}
    condition = Q()
    for unit_id, role in pairs:
        condition |= Q(unit_id=unit_id, role=role)
    found = {pair: [] for pair in pairs}
    for membership in (Membership.objects.filter(condition, user__is_active=True).select_related("user")
                       .order_by("user__first_name", "user__username")):
        found[(membership.unit_id, membership.role)].append(membership.user)
    # and the substitutes standing in for that role there today
    for substitution in (process_selectors.active_substitutions().filter(condition, substitute__is_active=True)
                         .select_related("substitute").order_by("substitute__first_name", "substitute__username")):
        holders = found[(substitution.unit_id, substitution.role)]
        if substitution.substitute not in holders:
            holders.append(substitution.substitute)
    return found


def step_for(user, item_id):
    """A step the official may open: one of a dossier they can see, or one in their inbox. None otherwise (404)."""
    item = (process_selectors.work_items_visible_to(user).filter(pk=item_id)
            .select_related("dossier__procedure__field", "dossier__receiving_unit", "dossier__applicant",
                            "dossier__version", "completed_by").first())
    if item is None and process_selectors.inbox_for(user).filter(pk=item_id).exists():
        item = WorkItem.objects.select_related("dossier__procedure__field", "dossier__receiving_unit",
                                               "dossier__applicant", "dossier__version", "unit", "claimed_by",
                                               "completed_by").get(pk=item_id)
    return item


def open_steps_of(dossier):
    return dossier.work_items.filter(status=WorkItemStatus.OPEN).select_related("unit", "claimed_by")


def step_names(dossier):
    """BPMN id -> the step's name, for the history."""
    return {step["bpmn_id"]: step["name"] for step in dossier.version.steps if step.get("name")}


def can_act_on(user, item):
    """May complete the step: it is open, the official holds its role in its unit, and nobody else claimed it."""
    return (item.status == WorkItemStatus.OPEN
            and process_selectors.holds_role(user, item.unit_id, item.role)
            and item.claimed_by_id in (None, user.pk))


def has_role_for(user, item):
    """Holds the step's role in its unit: a membership or an active substitution."""
    return process_selectors.holds_role(user, item.unit_id, item.role)



def display_name(user):
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def user_by_username(username):
    return get_user_model().objects.filter(username=username).first()


# ---------------------------------------------------------------------------------------------------------------
# the fields a step asks for


_CONDITION = re.compile(r"<(?:\w+:)?conditionExpression\b[^>]*>(.*?)</(?:\w+:)?conditionExpression>", re.S)


@lru_cache(maxsize=256)
def _boolean_fields(version_pk, checksum, xml):
    names = set()
    for expression in _CONDITION.findall(xml):
        names.update(re.findall(r"\b([A-Za-z]\w*)\s*(?:==|!=)\s*(?:True|False)\b", expression))
        names.update(re.findall(r"\b(?:True|False)\s*(?:==|!=)\s*([A-Za-z]\w*)\b", expression))
        names.update(re.findall(r"\bnot\s+([A-Za-z]\w*)\b", expression))
    return frozenset(names)


def boolean_fields(version):
    """Data fields the diagram's gateway conditions compare with True or False: the step page asks them as yes/no.
    (Until each step carries its form-js schema.)"""
    return _boolean_fields(version.pk, version.checksum, version.bpmn_xml)


# ---------------------------------------------------------------------------------------------------------------
# the step page's actions and attachments (webui/views_step.py)


def attachments_of(dossier):
    """The dossier's scans, oldest first, with who added them."""
    return list(dossier.attachments.select_related("uploaded_by").order_by("uploaded_at", "id"))


def document_names(dossier):
    """Names to suggest for "the document a scan evidences": the checklist received, the procedure's required
    documents and the items of the dossier's supplementation requests, each once."""
    names = [row.get("name", "") for row in dossier.documents or [] if isinstance(row, dict)]
    names += [row.get("name", "") for row in dossier.procedure.required_documents or [] if isinstance(row, dict)]
    for supplementation in dossier.supplementations.order_by("sequence"):
        names += [row.get("name", "") for row in supplementation.items or [] if isinstance(row, dict)]
    return [name for name in dict.fromkeys(str(n).strip()[:300] for n in names) if name]


def open_supplementation(dossier):
    """The supplementation the dossier waits for (form 02 sent, documents not yet brought), or None."""
    if dossier.status != DossierStatus.SUPPLEMENT_REQUESTED:
        return None
    return (dossier.supplementations.filter(supplied_at__isnull=True).select_related("requested_by")
            .order_by("-sequence").first())


def explanation_for(item):
    """The explanation (form 04) filed by completing this explain_delay item: written in the same transaction, at the
    same instant, by the same official."""
    if item.status != WorkItemStatus.COMPLETED or item.completed_at is None:
        return None
    return (item.dossier.explanations.filter(filed_at=item.completed_at).select_related("filed_by", "unit")
            .order_by("-sequence").first())


def escalation_note(item):
    """The measure the leader recorded on this escalation item (its escalation_resolved event), or None."""
    if item.status != WorkItemStatus.COMPLETED:
        return None
    event = (item.dossier.events.filter(kind="escalation_resolved", engine_task_id=item.engine_task_id)
             .select_related("actor").order_by("-id").first())
    return event
