"""Step forms: the form-js schema a step carries in its BPMN (engine.bpmn, stored in ProcessVersion.steps at
deployment) and the check of what an official submits against it (engine.forms), for the API and the pages alike.
Reads only: complete_work_item (dossiers.py) calls `checked_step_data` inside its transaction."""
from functools import lru_cache

from engine import clock
from engine.calendar import VN_TZ
from engine.forms import FormSchemaError, parse_form_schema, validate_submission

from .errors import InvalidInput

__all__ = ["step_form", "check_step_data", "checked_step_data", "initial_values"]


@lru_cache(maxsize=512)
def _parsed(version_pk, checksum, bpmn_id, schema_json):
    import json

    try:
        return parse_form_schema(json.loads(schema_json))
    except (FormSchemaError, ValueError):
        return None  # deployment checked it; a hand-edited row falls back to the required fields


def step_form(item):
    """The FormSchema of a work item's step, or None when the step has no form (or is a clock item)."""
    import json

    if getattr(item, "kind", "step") != "step":
        return None
    version = item.dossier.version
    for step in version.steps or []:
        if step.get("bpmn_id") == item.bpmn_id:
            schema = step.get("form")
            if not isinstance(schema, dict):
                return None
            return _parsed(version.pk, version.checksum, item.bpmn_id, json.dumps(schema, sort_keys=True))
    return None


def _today():
    return clock.now().astimezone(VN_TZ).date()


def check_step_data(item, data, form=None):
    """engine.forms.FormResult of `data` against the step's form; None when the step has no form."""
    form = form or step_form(item)
    if form is None:
        return None
    return validate_submission(form, data, today=_today())


def checked_step_data(item, data):
    """The data coerced by the step's form (unchanged when it has none); InvalidInput naming `data.<key>` of the
    first field in error, with every field's message in `problems`."""
    form = step_form(item)
    if form is None:
        return data
    result = validate_submission(form, data, today=_today())
    if result.errors:
        order = {key: i for i, key in enumerate(form.keys)}
        keys = sorted(result.errors, key=lambda k: (order.get(k, -1), k))
        first = keys[0]
        label = form.field(first).label if form.field(first) is not None else first
        raise InvalidInput(f"{label}: {result.errors[first]}", field=f"data.{first}", element_id=item.bpmn_id,
                           problems=[{"field": f"data.{k}", "message": result.errors[k]} for k in keys])
    return result.data


def initial_values(item, form=None):
    """The dossier's current data for the form's fields: what the Viewer shows when the page opens."""
    form = form or step_form(item)
    if form is None:
        return {}
    data = item.dossier.data or {}
    return {key: data[key] for key in form.keys if key in data}
