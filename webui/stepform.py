"""The step page's form when the step carries a form-js schema (engine.forms; README, BPMN conventions).

The page offers the schema twice in one <form>: form-js's Viewer (webui/static/webui/stepform.js puts the Viewer's
data as JSON into the hidden input `formjs_data`) and, for browsers without JavaScript, keyboards and screen
readers, plain HTML inputs generated here from the same schema (stepform.js disables them once the Viewer is up).
Either way the server checks the submission against the schema (processes.services.step_forms) and, when it finds
errors, the page comes back with the submitted values and its messages at the fields.

`SchemaStepForm` answers the same calls as webui.forms.StepForm, so that the step view treats both alike.
"""
import json

from django.utils.translation import gettext as _

from engine.forms import CHOICE_TYPES, DISPLAY_TYPES, LIST_TYPES, from_html_form, option_token
from processes.services import step_forms

DATA_FIELD = "formjs_data"
MAX_POSTED_JSON = 64 * 1024


def form_for(item, post=None):
    """A SchemaStepForm when the item's step has a form-js schema, else None (the step keeps webui.forms.StepForm)."""
    schema = step_forms.step_form(item)
    return SchemaStepForm(item, schema, post) if schema is not None else None


class SchemaStepForm:
    has_schema = True

    def __init__(self, item, schema, post=None):
        self.item = item
        self.schema = schema
        self.fields = {f.key: f for f in schema.fields if f.input}
        self.values = step_forms.initial_values(item, schema)
        self.submitted = {}
        self.field_errors = {}
        self.non_field_errors = []
        self.cleaned = None
        self.is_bound = post is not None
        self.booleans = set()  # the plain StepForm's attribute, used by its template branch
        if post is not None:
            self._read(post)

    # -- reading the POST ---------------------------------------------------------------------------------------

    def _read(self, post):
        raw = post.get(DATA_FIELD)
        if raw is None:  # the plain HTML form
            data = from_html_form(self.schema, post.get, post.getlist)
        elif len(raw) > MAX_POSTED_JSON:
            data = {}
            self.non_field_errors.append(_("Dữ liệu của biểu mẫu quá lớn."))
        else:
            try:
                data = json.loads(raw)
            except ValueError:
                data = None
            if not isinstance(data, dict):
                data = {}
                self.non_field_errors.append(_("Không đọc được dữ liệu của biểu mẫu; hãy gửi lại."))
        self.submitted = data
        # The page comes back with what was sent, for the form's fields.
        self.values = {**self.values, **{k: v for k, v in data.items() if k in self.fields}}

    # -- the calls the step view makes (as on webui.forms.StepForm) ---------------------------------------------

    def is_valid(self):
        if not self.is_bound:
            return False
        if self.non_field_errors:
            return False
        result = step_forms.check_step_data(self.item, self.submitted, self.schema)
        self.field_errors = dict(result.errors)
        self.cleaned = result.data
        return result.ok

    def step_data(self):
        return dict(self.cleaned or {})

    def add_error(self, name, message):
        if name and name in self.fields:
            self.field_errors[name] = message
        else:
            self.non_field_errors.append(message)

    def add_missing_errors(self, data):
        for name, f in self.fields.items():
            if name not in data and f.required:
                self.field_errors.setdefault(name, _("Trường này là bắt buộc."))

    def mark_errors(self):
        """Nothing to do: the template marks the inputs of the fields in error (aria-invalid, aria-describedby)."""

    @property
    def errors(self):
        errors = {key: [message] for key, message in self.field_errors.items()}
        if self.non_field_errors:
            errors["__all__"] = list(self.non_field_errors)
        return errors

    # -- what the template shows --------------------------------------------------------------------------------

    def summary(self):
        """[(key, label, message)] of the fields in error, in the form's order; then errors of keys not in it."""
        found = []
        for f in self.schema.fields:
            if f.key in self.field_errors:
                found.append((f.key, f.label, self.field_errors[f.key]))
        for key, message in self.field_errors.items():
            if self.schema.field(key) is None:
                found.append((key, key, message))
        return found

    def nodes(self):
        """The schema's components as a flat list for the plain form: {"kind": "group_start"/"group_end"/"text"/
        "separator"/"field", ...}; a field node has its FormField, value, selected tokens and message."""
        out = []
        self._walk(self.schema.schema.get("components", []), out, first_error=[True])
        return out

    def _walk(self, components, out, first_error):
        for component in components:
            kind = component.get("type")
            if kind == "group":
                out.append({"kind": "group_start", "label": component.get("label") or ""})
                self._walk(component.get("components") or [], out, first_error)
                out.append({"kind": "group_end"})
            elif kind == "text":
                out.append({"kind": "text", "text": component.get("text") or ""})
            elif kind in DISPLAY_TYPES:
                out.append({"kind": "separator" if kind == "separator" else "spacer"})
            else:
                f = self.schema.field(component.get("key"))
                if f is None:
                    continue
                out.append(self._field_node(f, first_error))

    def _field_node(self, f, first_error):
        value = self.values.get(f.key)
        error = self.field_errors.get(f.key)
        node = {"kind": "field", "field": f, "type": f.type, "key": f.key, "id": f"sf-{f.key}",
                "error": error, "autofocus": bool(error) and first_error[0], "value": "", "checked": False,
                "selected": set(), "options": []}
        if error:
            first_error[0] = False
        if f.type in CHOICE_TYPES or f.type in LIST_TYPES:
            chosen = value if isinstance(value, list) else [value]
            node["selected"] = {option_token(v) if not isinstance(v, str) else v for v in chosen if v is not None}
            node["options"] = [{"token": token, "label": label, "id": f"sf-{f.key}-{i}",
                                "selected": token in node["selected"]}
                               for i, (token, label) in enumerate(f.choices)]
        elif f.type == "checkbox":
            node["checked"] = value is True
        elif value is not None:
            node["value"] = value if isinstance(value, str) else json.dumps(value)
        return node

    def viewer_values(self):
        return dict(self.values)
