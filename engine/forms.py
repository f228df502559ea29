"""Step forms: bpmn.io form-js schemas, read safely and enforced on the server.

A user task may carry a form-js schema (the JSON that bpmn.io's form editor and Camunda Modeler write; see the
README's BPMN conventions). The browser shows it with form-js's Viewer, but what the browser checked proves
nothing: `validate_submission` checks the submitted data again against the same schema and returns it coerced to
the types the diagram's conditions compare with (bool, int/float, lists, ISO date strings), with a Vietnamese
message per field key for what is wrong.

Only what the server can enforce exactly is accepted in a schema (`parse_form_schema` refuses the rest with a
message): the component types in SUPPORTED_TYPES, static option lists, and the validations `required`,
`minLength`, `maxLength`, `min`, `max`, `pattern`, `validationType` (email, phone), plus number `decimalDigits`
/ `increment` and date `disallowPassedDates`. FEEL-driven behaviour (`conditional`, `valuesKey`,
`valuesExpression`, `=expr` in a validation) and nested data (`path` on groups, dotted keys) are refused: the
server could not mirror them, and a condition could then test a field the official never saw.

Submission rules (the same for the API and the page):
- a key the form does not have is refused ("unknown"), as is a value for a read-only or disabled field, which
  the viewer does not let an official change (form-js's Viewer never submits disabled fields);
- a key of the form that is absent stays absent (a form-js Viewer always submits every field; an API client
  may send only what it means to set), but a required field must be there;
- empty values are kept as the Viewer sends them: "" for text, None for number, choice and date, [] for lists.

Pure Python: no Django.
"""
import json
import keyword
import math
import re

import regex
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

__all__ = [
    "FormSchemaError", "FormField", "FormSchema", "FormResult", "parse_form_schema", "validate_submission",
    "from_html_form", "option_token", "MAX_SCHEMA_BYTES", "SUPPORTED_TYPES", "RESERVED_KEYS",
]

MAX_SCHEMA_BYTES = 64 * 1024
MAX_COMPONENTS = 200
MAX_GROUP_DEPTH = 6
MAX_OPTIONS = 200
MAX_TEXT = 10_000  # a text value's length when the schema sets no smaller maxLength
MAX_PATTERN = 500
PATTERN_TIMEOUT = 0.1  # seconds one value may take against a designer's pattern
MAX_NUMBER_CHARS = 40
MAX_ABS_NUMBER = Decimal(10) ** 15
MAX_LABEL = 500

INPUT_TYPES = ("textfield", "textarea", "number", "checkbox", "checklist", "radio", "select", "taglist", "datetime")
DISPLAY_TYPES = ("text", "spacer", "separator")
SUPPORTED_TYPES = INPUT_TYPES + DISPLAY_TYPES + ("group",)
CHOICE_TYPES = ("radio", "select")
LIST_TYPES = ("checklist", "taglist")
# Fields the platform sets on every dossier (processes.services.dossiers.RESERVED_FIELDS): a form may not write them.
RESERVED_KEYS = frozenset({"received_at", "due_at", "dossier_code", "procedure_code", "receiving_unit"})
REFUSED_TYPES = {
    "dynamiclist": "dynamic lists nest their data under a path; draw the fields one by one",
    "filepicker": "files are attached to the dossier on the step page, not through the form",
    "button": "the page has its own submit button; remove the form's buttons",
}
REFUSED_PROPERTIES = {
    "conditional": "conditions (FEEL) are evaluated only in the browser; the server could not tell a hidden field "
                   "from a missing one",
    "valuesKey": "options must be static values (the server checks the choice against them)",
    "valuesExpression": "options must be static values (the server checks the choice against them)",
    "expression": "FEEL expressions are not supported",
}

_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_VN_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")

# form-js 1.23 (packages/form-js-viewer/src/core/Validator.js), so that the server accepts what the Viewer accepts.
EMAIL_PATTERN = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
PHONE_PATTERN = re.compile(
    r"(\+|00)(297|93|244|1264|358|355|376|971|54|374|1684|1268|61|43|994|257|32|229|226|880|359|973|1242|387|590|"
    r"375|501|1441|591|55|1246|673|975|267|236|1|61|41|56|86|225|237|243|242|682|57|269|238|506|53|5999|61|1345|"
    r"357|420|49|253|1767|45|1809|1829|1849|213|593|20|291|212|34|372|251|358|679|500|33|298|691|241|44|995|44|233|"
    r"350|224|590|220|245|240|30|1473|299|502|594|1671|592|852|504|385|509|36|62|44|91|246|353|98|964|354|972|39|"
    r"1876|44|962|81|76|77|254|996|855|686|1869|82|383|965|856|961|231|218|1758|423|94|266|370|352|371|853|590|212|"
    r"377|373|261|960|52|692|389|223|356|95|382|976|1670|258|222|1664|596|230|265|60|262|264|687|227|672|234|505|"
    r"683|31|47|977|674|64|968|92|507|64|51|63|680|675|48|1787|1939|850|351|595|970|689|974|262|40|7|250|966|249|"
    r"221|65|500|4779|677|232|503|378|252|508|381|211|239|597|421|386|46|268|1721|248|963|1649|235|228|66|992|690|"
    r"993|670|676|1868|216|90|688|886|255|256|380|598|1|998|3906698|379|1784|58|1284|1340|84|678|681|685|967|27|260|"
    r"263)(9[976]\d|8[987530]\d|6[987]\d|5[90]\d|42\d|3[875]\d|2[98654321]\d|9[8543210]|8[6421]|6[6543210]|"
    r"5[87654321]|4[987654310]|3[9643210]|2[70]|7|1)\d{4,20}$", re.ASCII)

# Messages shown at the field (Vietnamese: the officials' language; the API returns them too).
M_REQUIRED = "Trường này là bắt buộc."
M_REQUIRED_CHOICE = "Hãy chọn một phương án."
M_REQUIRED_LIST = "Hãy chọn ít nhất một phương án."
M_REQUIRED_CHECKBOX = "Hãy đánh dấu ô này."
M_TEXT = "Phải là một chuỗi ký tự."
M_MIN_LENGTH = "Cần ít nhất {n} ký tự."
M_MAX_LENGTH = "Không được quá {n} ký tự."
M_PATTERN = "Không đúng định dạng yêu cầu."
M_PATTERN_TOO_COSTLY = "Không kiểm tra được giá trị này theo mẫu của bước (mẫu quá phức tạp); hãy báo người thiết kế quy trình."
M_EMAIL = "Địa chỉ thư điện tử không hợp lệ."
M_PHONE = "Số điện thoại không hợp lệ: ghi theo dạng quốc tế, ví dụ +84912345678."
M_NUMBER = "Phải là một số."
M_MIN = "Giá trị nhỏ nhất là {n}."
M_MAX = "Giá trị lớn nhất là {n}."
M_INTEGER = "Phải là số nguyên."
M_DECIMALS = "Tối đa {n} chữ số thập phân."
M_INCREMENT = "Giá trị phải là bội của {n}."
M_BOOLEAN = "Phải là Có hoặc Không (true hoặc false)."
M_OPTION = "Giá trị này không có trong các lựa chọn."
M_LIST = "Phải là một danh sách các lựa chọn."
M_DUPLICATE = "Một lựa chọn được chọn hai lần."
M_DATE = "Ngày không hợp lệ: ghi theo dạng dd/mm/yyyy hoặc yyyy-mm-dd."
M_PAST_DATE = "Không được chọn ngày đã qua."
M_UNKNOWN = "Biểu mẫu của bước không có trường này."
M_READ_ONLY = "Trường này chỉ để xem, không được ghi."


class FormSchemaError(ValueError):
    """A schema the server cannot enforce; `.message` says what and where (component key or index)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FormField:
    """One keyed component (an input), flattened out of groups, with what the server checks."""
    key: str
    type: str
    label: str
    description: str = ""
    required: bool = False
    input: bool = True  # False for readonly / disabled: shown, never written
    min_length: int | None = None
    max_length: int | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    decimal_digits: int | None = None
    increment: Decimal | None = None
    pattern: str | None = None
    pattern_message: str | None = None
    validation_type: str | None = None
    options: tuple = ()  # ((value, label), ...) for radio, select, checklist, taglist
    disallow_past: bool = False

    @property
    def is_boolean(self):
        """Produces only True / False (a checkbox, or a choice whose values are all booleans)."""
        if self.type == "checkbox":
            return True
        return self.type in CHOICE_TYPES and bool(self.options) and all(v is True or v is False
                                                                        for v, _ in self.options)

    @property
    def is_number(self):
        return self.type == "number" or (self.type in CHOICE_TYPES and bool(self.options) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v, _ in self.options))

    @property
    def choices(self):
        """[(token, label)] for an HTML form: the token of each option value (see option_token)."""
        return [(option_token(v), label) for v, label in self.options]


@dataclass(frozen=True)
class FormSchema:
    schema: dict = field(hash=False)  # the JSON object, as the Viewer gets it
    fields: tuple = ()  # FormField, in reading order (groups flattened)

    @property
    def keys(self):
        return tuple(f.key for f in self.fields)

    def field(self, key):
        for f in self.fields:
            if f.key == key:
                return f
        return None


@dataclass(frozen=True)
class FormResult:
    data: dict  # the submitted fields, coerced (only when errors is empty is it safe to use)
    errors: dict  # key -> message

    @property
    def ok(self):
        return not self.errors


# ---------------------------------------------------------------------------------------------------------------
# reading a schema


def _no_constants(name):
    raise FormSchemaError(f"{name} is not valid JSON")


def _unique_pairs(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise FormSchemaError(f"the JSON object has the key {key!r} twice")
        result[key] = value
    return result


def parse_form_schema(source) -> FormSchema:
    """A form-js schema from its JSON text (str or bytes) or an already decoded dict; FormSchemaError if it is not
    one the server can enforce. Size-capped before decoding."""
    if isinstance(source, (bytes, bytearray)):
        try:
            source = bytes(source).decode("utf-8")
        except UnicodeDecodeError:
            raise FormSchemaError("the form schema is not UTF-8 text") from None
    if isinstance(source, str):
        size = len(source.encode("utf-8"))
        if size > MAX_SCHEMA_BYTES:
            raise FormSchemaError(f"the form schema is {size} bytes; the limit is {MAX_SCHEMA_BYTES // 1024} KB")
        if not source.strip():
            raise FormSchemaError("the form schema is empty")
        try:
            schema = json.loads(source, parse_constant=_no_constants, object_pairs_hook=_unique_pairs)
        except FormSchemaError:
            raise
        except RecursionError:
            raise FormSchemaError("the form schema is nested too deeply") from None
        except ValueError as exc:
            raise FormSchemaError(f"the form schema is not valid JSON: {exc}") from None
    elif isinstance(source, dict):
        schema = source
        try:
            size = len(json.dumps(schema, allow_nan=False).encode("utf-8"))
        except (TypeError, ValueError, RecursionError):
            raise FormSchemaError("the form schema is not a JSON object") from None
        if size > MAX_SCHEMA_BYTES:
            raise FormSchemaError(f"the form schema is {size} bytes; the limit is {MAX_SCHEMA_BYTES // 1024} KB")
    else:
        raise FormSchemaError(f"the form schema must be JSON text, not {type(source).__name__}")
    if not isinstance(schema, dict):
        raise FormSchemaError("the form schema must be a JSON object with \"components\"")
    components = schema.get("components")
    if not isinstance(components, list):
        raise FormSchemaError("the form schema must have \"components\": a list of form fields")
    if schema.get("type", "default") != "default":
        raise FormSchemaError(f"the form schema has type {schema.get('type')!r}; form-js forms have type \"default\"")
    reader = _Reader()
    reader.components(components, "components", 0)
    return FormSchema(schema=schema, fields=tuple(reader.fields))


class _Reader:
    def __init__(self):
        self.fields = []
        self.keys = set()
        self.count = 0

    def components(self, components, where, depth):
        if depth > MAX_GROUP_DEPTH:
            raise FormSchemaError(f"{where}: groups are nested deeper than {MAX_GROUP_DEPTH} levels")
        for index, component in enumerate(components):
            self.count += 1
            if self.count > MAX_COMPONENTS:
                raise FormSchemaError(f"the form has more than {MAX_COMPONENTS} components")
            self.component(component, f"{where}[{index}]", depth)

    def component(self, component, where, depth):
        if not isinstance(component, dict):
            raise FormSchemaError(f"{where} is not a JSON object")
        kind = component.get("type")
        if isinstance(component.get("key"), str):
            where = f"{where} (key {component['key']!r})"
        if not isinstance(kind, str):
            raise FormSchemaError(f"{where} has no \"type\"")
        if kind in REFUSED_TYPES:
            raise FormSchemaError(f"{where}: type {kind!r} is not supported: {REFUSED_TYPES[kind]}")
        if kind not in SUPPORTED_TYPES:
            raise FormSchemaError(f"{where}: type {kind!r} is not supported (supported: {', '.join(SUPPORTED_TYPES)})")
        for name, why in REFUSED_PROPERTIES.items():
            if component.get(name) not in (None, "", {}, []):
                raise FormSchemaError(f"{where}: \"{name}\" is not supported: {why}")
        if kind in DISPLAY_TYPES:
            if kind == "text" and not isinstance(component.get("text", ""), str):
                raise FormSchemaError(f"{where}: \"text\" must be a string")
            return
        if kind == "group":
            if component.get("path"):
                raise FormSchemaError(f"{where}: a group with a \"path\" nests its data; the diagram's conditions "
                                      f"read top-level fields: remove the path")
            inner = component.get("components", [])
            if not isinstance(inner, list):
                raise FormSchemaError(f"{where}: \"components\" of a group must be a list")
            self.components(inner, f"{where}.components", depth + 1)
            return
        self.fields.append(self.input(component, kind, where))

    def input(self, component, kind, where):
        key = component.get("key")
        if not isinstance(key, str) or not _KEY.fullmatch(key) or keyword.iskeyword(key):
            raise FormSchemaError(f"{where}: \"key\" {key!r} must be a data field name (letters, digits and '_', "
                                  f"starting with a letter, at most 64; no dots)")
        if key in RESERVED_KEYS:
            raise FormSchemaError(f"{where}: the key {key!r} is set by the platform; a form cannot write it")
        if key in self.keys:
            raise FormSchemaError(f"{where}: the key {key!r} is used by two fields")
        self.keys.add(key)
        label = self.text(component, "label", where)
        description = self.text(component, "description", where)
        flags = {}
        for name in ("readonly", "disabled"):
            value = component.get(name, False)
            if not isinstance(value, bool):
                raise FormSchemaError(f"{where}: \"{name}\" must be true or false (FEEL is not supported)")
            flags[name] = value
        validate = component.get("validate", {})
        if validate is None:
            validate = {}
        if not isinstance(validate, dict):
            raise FormSchemaError(f"{where}: \"validate\" must be an object")
        required = validate.get("required", False)
        if not isinstance(required, bool):
            raise FormSchemaError(f"{where}: validate.required must be true or false")
        spec = {"key": key, "type": kind, "label": label or key, "description": description, "required": required,
                "input": not (flags["readonly"] or flags["disabled"])}
        if kind in ("textfield", "textarea"):
            spec.update(self.text_rules(validate, where))
        elif kind == "number":
            spec.update(self.number_rules(component, validate, where))
        elif kind in CHOICE_TYPES + LIST_TYPES:
            spec["options"] = self.options(component, where)
        elif kind == "datetime":
            subtype = component.get("subtype", "date")
            if subtype != "date":
                raise FormSchemaError(f"{where}: datetime subtype {subtype!r} is not supported; use \"date\"")
            past = component.get("disallowPassedDates", False)
            if not isinstance(past, bool):
                raise FormSchemaError(f"{where}: \"disallowPassedDates\" must be true or false")
            spec["disallow_past"] = past
        unused = {"minLength", "maxLength", "pattern", "validationType"} & set(validate)
        if kind not in ("textfield", "textarea") and unused:
            raise FormSchemaError(f"{where}: validate.{sorted(unused)[0]} applies to text fields only")
        if kind != "number" and ({"min", "max"} & set(validate)):
            raise FormSchemaError(f"{where}: validate.min / validate.max apply to number fields only")
        return FormField(**spec)

    @staticmethod
    def text(component, name, where):
        value = component.get(name, "")
        if value is None:
            return ""
        if not isinstance(value, str) or len(value) > MAX_LABEL:
            raise FormSchemaError(f"{where}: \"{name}\" must be a string of at most {MAX_LABEL} characters")
        return value

    @staticmethod
    def length(validate, name, where):
        value = validate.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TEXT:
            raise FormSchemaError(f"{where}: validate.{name} must be a whole number from 0 to {MAX_TEXT}")
        return value

    def text_rules(self, validate, where):
        rules = {"min_length": self.length(validate, "minLength", where),
                 "max_length": self.length(validate, "maxLength", where)}
        if rules["min_length"] is not None and rules["max_length"] is not None \
                and rules["min_length"] > rules["max_length"]:
            raise FormSchemaError(f"{where}: validate.minLength is more than validate.maxLength")
        pattern = validate.get("pattern")
        if pattern not in (None, ""):
            if not isinstance(pattern, str) or len(pattern) > MAX_PATTERN:
                raise FormSchemaError(f"{where}: validate.pattern must be a string of at most {MAX_PATTERN} "
                                      f"characters")
            if pattern.startswith("="):
                raise FormSchemaError(f"{where}: validate.pattern: FEEL expressions are not supported")
            try:
                re.compile(pattern)
                regex.compile(pattern)  # what the server checks with (engine/forms.py _check_text)
            except (re.error, regex.error, RecursionError, OverflowError) as exc:
                raise FormSchemaError(f"{where}: validate.pattern {pattern!r} is not a regular expression both the "
                                      f"browser and the server read alike ({exc})") from None
            rules["pattern"] = pattern
            message = validate.get("patternErrorMessage")
            if message not in (None, ""):
                if not isinstance(message, str) or len(message) > MAX_LABEL:
                    raise FormSchemaError(f"{where}: validate.patternErrorMessage must be a short string")
                rules["pattern_message"] = message
        kind = validate.get("validationType")
        if kind not in (None, "", "custom"):
            if kind not in ("email", "phone"):
                raise FormSchemaError(f"{where}: validate.validationType {kind!r} must be email or phone")
            rules["validation_type"] = kind
        return rules

    @staticmethod
    def decimal(value, what, where):
        if isinstance(value, bool) or value is None:
            raise FormSchemaError(f"{where}: {what} must be a number")
        if isinstance(value, str) and value.startswith("="):
            raise FormSchemaError(f"{where}: {what}: FEEL expressions are not supported")
        number = _to_decimal(value)
        if number is None:
            raise FormSchemaError(f"{where}: {what} must be a number")
        return number

    def number_rules(self, component, validate, where):
        rules = {}
        for name, target in (("min", "minimum"), ("max", "maximum")):
            if validate.get(name) not in (None, ""):
                rules[target] = self.decimal(validate[name], f"validate.{name}", where)
        if "minimum" in rules and "maximum" in rules and rules["minimum"] > rules["maximum"]:
            raise FormSchemaError(f"{where}: validate.min is more than validate.max")
        digits = component.get("decimalDigits")
        if digits not in (None, ""):
            if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 20:
                raise FormSchemaError(f"{where}: \"decimalDigits\" must be a whole number from 0 to 20")
            rules["decimal_digits"] = digits
        increment = component.get("increment")
        if increment not in (None, ""):
            increment = self.decimal(increment, "\"increment\"", where)
            if increment <= 0:
                raise FormSchemaError(f"{where}: \"increment\" must be more than 0")
            rules["increment"] = increment
        return rules

    def options(self, component, where):
        values = component.get("values")
        if not isinstance(values, list) or not values:
            raise FormSchemaError(f"{where}: a {component.get('type')} needs static \"values\": a list of "
                                  f"{{\"label\", \"value\"}}")
        if len(values) > MAX_OPTIONS:
            raise FormSchemaError(f"{where}: more than {MAX_OPTIONS} options")
        options, seen = [], set()
        for index, option in enumerate(values):
            if not isinstance(option, dict) or "value" not in option:
                raise FormSchemaError(f"{where}: values[{index}] must be an object with \"label\" and \"value\"")
            value = option["value"]
            if isinstance(value, float) and not math.isfinite(value):
                raise FormSchemaError(f"{where}: values[{index}].value is not a finite number")
            if not isinstance(value, (str, bool, int, float)) or (isinstance(value, str) and len(value) > MAX_LABEL):
                raise FormSchemaError(f"{where}: values[{index}].value must be a string, a number or true/false")
            token = (type(value) is bool, option_token(value))
            if token in seen:
                raise FormSchemaError(f"{where}: the value {value!r} is listed twice")
            seen.add(token)
            label = option.get("label", "")
            if not isinstance(label, str) or len(label) > MAX_LABEL:
                raise FormSchemaError(f"{where}: values[{index}].label must be a short string")
            options.append((value, label or str(value)))
        return tuple(options)


# ---------------------------------------------------------------------------------------------------------------
# checking a submission


def _to_decimal(value):
    """A finite Decimal of bounded size from a JSON number or a number's text; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            return None
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_CHARS or not _NUMBER_TEXT.fullmatch(text):
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    if not number.is_finite() or abs(number) > MAX_ABS_NUMBER:
        return None
    return number


def _number_text(number):
    text = format(number.normalize(), "f")
    return text.replace(".", ",")


def option_token(value):
    """The text that stands for an option value in an HTML form: a string as it is, else its JSON (true, 2)."""
    return value if isinstance(value, str) else json.dumps(value)


def _same(a, b):
    """Option equality as JSON sees it: true is not 1, "1" is not 1, 1 is 1.0."""
    if isinstance(a, (bool, str)) or isinstance(b, (bool, str)):
        return type(a) is type(b) and a == b
    return a == b


def _match_option(f, value):
    for option, _label in f.options:
        if _same(option, value):
            return True, option
    return False, None


def _parse_date(value):
    if not isinstance(value, str):
        return None
    text = value.strip()
    found = _ISO_DATE.fullmatch(text)
    if found:
        year, month, day = (int(g) for g in found.groups())
    else:
        found = _VN_DATE.fullmatch(text)
        if not found:
            return None
        day, month, year = (int(g) for g in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _check_text(f, value):
    if value is None:
        value = ""
    if not isinstance(value, str):
        return None, M_TEXT
    stripped = value.strip()
    if f.required and not stripped:
        return value, M_REQUIRED
    if not value:
        return value, None
    # form-js measures the trimmed value; the server also caps what it stores.
    if len(value) > MAX_TEXT:
        return value, M_MAX_LENGTH.format(n=min(f.max_length or MAX_TEXT, MAX_TEXT))
    if f.min_length is not None and len(stripped) < f.min_length:
        return value, M_MIN_LENGTH.format(n=f.min_length)
    if f.max_length is not None and len(stripped) > f.max_length:
        return value, M_MAX_LENGTH.format(n=f.max_length)
    if f.pattern is not None:
        # RegExp.test: a match anywhere. A designer's pattern may backtrack catastrophically: `regex` stops it after
        # PATTERN_TIMEOUT seconds and the value is refused, instead of a worker stuck on one request.
        try:
            matched = regex.search(f.pattern, value, timeout=PATTERN_TIMEOUT)
        except TimeoutError:
            return value, M_PATTERN_TOO_COSTLY
        if not matched:
            return value, f.pattern_message or M_PATTERN
    if f.validation_type == "email" and not EMAIL_PATTERN.search(value):
        return value, M_EMAIL
    if f.validation_type == "phone" and not PHONE_PATTERN.search(value):
        return value, M_PHONE
    return value, None


def _check_number(f, value):
    if value is None or value == "":
        return None, (M_REQUIRED if f.required else None)
    number = _to_decimal(value)
    if number is None:
        return value, M_NUMBER
    if f.decimal_digits is not None and max(0, -number.normalize().as_tuple().exponent) > f.decimal_digits:
        return value, M_INTEGER if f.decimal_digits == 0 else M_DECIMALS.format(n=f.decimal_digits)
    if f.increment is not None:
        try:
            off = number % f.increment != 0
        except InvalidOperation:  # the quotient has more digits than the context holds
            off = True
        if off:
            return value, M_INCREMENT.format(n=_number_text(f.increment))
    if f.minimum is not None and number < f.minimum:
        return value, M_MIN.format(n=_number_text(f.minimum))
    if f.maximum is not None and number > f.maximum:
        return value, M_MAX.format(n=_number_text(f.maximum))
    if number == number.to_integral_value():
        return int(number), None
    return float(number), None


def _check_checkbox(f, value):
    if not isinstance(value, bool):
        return value, M_BOOLEAN
    if f.required and value is False:
        return value, M_REQUIRED_CHECKBOX
    return value, None


def _check_choice(f, value):
    if value is None or value == "":
        if f.required:
            return None, M_REQUIRED_CHOICE
        return None, None
    found, option = _match_option(f, value)
    if not found:
        return value, (M_BOOLEAN if f.is_boolean else M_OPTION)
    return option, None


def _check_list(f, value):
    if value is None:
        value = []
    if not isinstance(value, list):
        return value, M_LIST
    chosen = []
    for item in value:
        found, option = _match_option(f, item)
        if not found:
            return value, M_OPTION
        if any(_same(option, c) for c in chosen):
            return value, M_DUPLICATE
        chosen.append(option)
    if f.required and not chosen:
        return chosen, M_REQUIRED_LIST
    return chosen, None


def _check_date(f, value, today):
    if value is None or value == "":
        return None, (M_REQUIRED if f.required else None)
    day = _parse_date(value)
    if day is None:
        return value, M_DATE
    if f.disallow_past and today is not None and day < today:
        return value, M_PAST_DATE
    return day.isoformat(), None


def check_field(f: FormField, value, today=None):
    """(coerced value, error message or None) for one field's submitted value."""
    if f.type in ("textfield", "textarea"):
        return _check_text(f, value)
    if f.type == "number":
        return _check_number(f, value)
    if f.type == "checkbox":
        return _check_checkbox(f, value)
    if f.type in CHOICE_TYPES:
        return _check_choice(f, value)
    if f.type in LIST_TYPES:
        return _check_list(f, value)
    if f.type == "datetime":
        return _check_date(f, value, today)
    return value, M_UNKNOWN  # parse_form_schema lets no other type through


def validate_submission(schema, data, *, today=None) -> FormResult:
    """Checks `data` (a dict of submitted values, JSON-like) against the schema (a FormSchema, or anything
    parse_form_schema reads). `today` (a date) enables `disallowPassedDates`; callers pass the dossier's local
    date from engine.clock. Returns the coerced values of the fields present and the errors by key."""
    if not isinstance(schema, FormSchema):
        schema = parse_form_schema(schema)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return FormResult({}, {"": "Dữ liệu của bước phải là một đối tượng JSON."})
    by_key = {f.key: f for f in schema.fields}
    clean, errors = {}, {}
    for key in data:
        if key not in by_key:
            errors[str(key)] = M_UNKNOWN
    for f in schema.fields:
        if not f.input:
            if f.key in data:
                errors[f.key] = M_READ_ONLY
            continue
        if f.key not in data:
            if f.required:
                errors[f.key] = {"checkbox": M_REQUIRED_CHECKBOX, "radio": M_REQUIRED_CHOICE,
                                 "select": M_REQUIRED_CHOICE, "checklist": M_REQUIRED_LIST,
                                 "taglist": M_REQUIRED_LIST}.get(f.type, M_REQUIRED)
            continue
        value, error = check_field(f, data[f.key], today)
        clean[f.key] = value
        if error:
            errors[f.key] = error
    return FormResult(clean, errors)


# ---------------------------------------------------------------------------------------------------------------
# the page's plain HTML form (no JavaScript)


def from_html_form(schema, get, getlist, present=None):
    """The submission of the plain HTML form generated from the schema, as the Viewer would send it: `get(name)` and
    `getlist(name)` read the POST (e.g. a Django QueryDict's). Every input field is set (as the Viewer does): an
    unticked checkbox is False, an unanswered choice None. Numbers are parsed (a decimal comma is accepted), option
    tokens turned back into their values; what does not parse is passed on as text, for validate_submission to
    name."""
    if not isinstance(schema, FormSchema):
        schema = parse_form_schema(schema)
    data = {}
    for f in schema.fields:
        if not f.input:
            continue
        name = f.key
        if f.type in ("textfield", "textarea"):
            data[name] = (get(name) or "").replace("\r\n", "\n")
        elif f.type == "number":
            text = (get(name) or "").strip().replace(" ", "")
            if not text:
                data[name] = None
            else:
                if "," in text and "." not in text:
                    text = text.replace(",", ".")
                number = _to_decimal(text)
                data[name] = text if number is None else (
                    int(number) if number == number.to_integral_value() else float(number))
        elif f.type == "checkbox":
            data[name] = (get(name) or "") in ("true", "on", "1")
        elif f.type in CHOICE_TYPES:
            token = get(name)
            data[name] = _option_for_token(f, token) if token not in (None, "") else None
        elif f.type in LIST_TYPES:
            data[name] = [_option_for_token(f, token) for token in getlist(name) if token != ""]
        elif f.type == "datetime":
            text = (get(name) or "").strip()
            data[name] = text or None
    return data


def _option_for_token(f, token):
    for value, _label in f.options:
        if option_token(value) == token:
            return value
    return token  # not an option: validate_submission says so


def today_in(tz, now=None):
    """The date in zone tz now (engine.clock), for disallowPassedDates."""
    from . import clock

    current = now or clock.now()
    if isinstance(current, datetime):
        return current.astimezone(tz).date()
    return current
