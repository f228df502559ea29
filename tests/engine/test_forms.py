"""engine.forms: reading form-js schemas and checking submissions against them. Pure Python."""
import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import forms
from engine.forms import (
    MAX_SCHEMA_BYTES,
    FormSchemaError,
    from_html_form,
    option_token,
    parse_form_schema,
    validate_submission,
)


def schema(*components):
    return {"type": "default", "components": list(components)}


YES_NO = [{"label": "Có", "value": True}, {"label": "Không", "value": False}]

FULL = schema(
    {"type": "text", "text": "# Thẩm định"},
    {"type": "textfield", "key": "full_name", "label": "Họ tên", "validate": {"required": True, "minLength": 2,
                                                                             "maxLength": 50}},
    {"type": "textarea", "key": "opinion", "label": "Ý kiến"},
    {"type": "textfield", "key": "email", "label": "Thư điện tử", "validate": {"validationType": "email"}},
    {"type": "textfield", "key": "phone", "label": "Điện thoại", "validate": {"validationType": "phone"}},
    {"type": "textfield", "key": "cccd", "label": "Số CCCD",
     "validate": {"pattern": "^[0-9]{12}$", "patternErrorMessage": "CCCD gồm 12 chữ số."}},
    {"type": "number", "key": "fee", "label": "Lệ phí", "decimalDigits": 0, "validate": {"min": 0, "max": 1000000}},
    {"type": "number", "key": "area", "label": "Diện tích", "decimalDigits": 2, "increment": "0.5"},
    {"type": "checkbox", "key": "paid", "label": "Đã nộp"},
    {"type": "checkbox", "key": "agree", "label": "Cam kết", "validate": {"required": True}},
    {"type": "radio", "key": "approved", "label": "Đồng ý?", "values": YES_NO, "validate": {"required": True}},
    {"type": "select", "key": "kind", "label": "Loại", "values": [{"label": "Mới", "value": "new"},
                                                                  {"label": "Sửa", "value": "repair"}]},
    {"type": "checklist", "key": "docs", "label": "Giấy tờ", "values": [{"label": "A", "value": "a"},
                                                                        {"label": "B", "value": "b"}],
     "validate": {"required": True}},
    {"type": "taglist", "key": "tags", "label": "Nhãn", "values": [{"label": "1", "value": 1},
                                                                   {"label": "2", "value": 2}]},
    {"type": "group", "label": "Lịch", "components": [
        {"type": "datetime", "subtype": "date", "key": "visit_on", "dateLabel": "Ngày kiểm tra",
         "disallowPassedDates": True},
        {"type": "spacer"},
        {"type": "textfield", "key": "shown", "label": "Chỉ xem", "readonly": True},
    ]},
)

GOOD = {
    "full_name": " Nguyễn Văn A ", "opinion": "", "email": "a@example.vn", "phone": "+84912345678",
    "cccd": "012345678901", "fee": 50000, "area": 12.5, "paid": False, "agree": True, "approved": False,
    "kind": "repair", "docs": ["b", "a"], "tags": [2], "visit_on": "31/12/2026",
}


def check(data, today=date(2026, 6, 1), source=FULL):
    return validate_submission(source, data, today=today)


def test_a_good_submission_is_coerced_to_the_types_conditions_compare():
    result = check(dict(GOOD, fee="50000", area="12.50"))
    assert result.errors == {}
    assert result.data["fee"] == 50000 and type(result.data["fee"]) is int
    assert result.data["area"] == 12.5 and type(result.data["area"]) is float
    assert result.data["approved"] is False and result.data["agree"] is True
    assert result.data["docs"] == ["b", "a"] and result.data["tags"] == [2]
    assert result.data["visit_on"] == "2026-12-31"  # dd/mm/yyyy → ISO
    assert result.data["full_name"] == " Nguyễn Văn A "  # stored as typed; lengths count the trimmed text
    assert check(dict(GOOD, visit_on="2026-12-31")).data["visit_on"] == "2026-12-31"


def test_parse_flattens_groups_in_reading_order_and_keeps_the_schema_for_the_viewer():
    parsed = parse_form_schema(json.dumps(FULL))
    assert parsed.keys[:3] == ("full_name", "opinion", "email")
    assert parsed.keys[-2:] == ("visit_on", "shown")
    assert parsed.schema == FULL
    assert parsed.field("approved").is_boolean and not parsed.field("kind").is_boolean
    assert parsed.field("fee").is_number and parsed.field("tags").type == "taglist"
    assert parsed.field("shown").input is False


@pytest.mark.parametrize("key, value, message", [
    ("full_name", "", forms.M_REQUIRED),
    ("full_name", "   ", forms.M_REQUIRED),
    ("full_name", " A ", forms.M_MIN_LENGTH.format(n=2)),
    ("full_name", "x" * 51, forms.M_MAX_LENGTH.format(n=50)),
    ("full_name", 12, forms.M_TEXT),
    ("opinion", "x" * (forms.MAX_TEXT + 1), forms.M_MAX_LENGTH.format(n=forms.MAX_TEXT)),
    ("email", "not-an-email", forms.M_EMAIL),
    ("phone", "0912345678", forms.M_PHONE),
    ("cccd", "12345", "CCCD gồm 12 chữ số."),
    ("fee", "abc", forms.M_NUMBER),
    ("fee", True, forms.M_NUMBER),
    ("fee", float("nan"), forms.M_NUMBER),
    ("fee", "1e400", forms.M_NUMBER),
    ("fee", 10 ** 20, forms.M_NUMBER),
    ("fee", -1, forms.M_MIN.format(n="0")),
    ("fee", 1000001, forms.M_MAX.format(n="1000000")),
    ("fee", 1.5, forms.M_INTEGER),
    ("area", 12.25, forms.M_INCREMENT.format(n="0,5")),
    ("area", 1.123, forms.M_DECIMALS.format(n=2)),
    ("paid", "true", forms.M_BOOLEAN),
    ("paid", 1, forms.M_BOOLEAN),
    ("agree", False, forms.M_REQUIRED_CHECKBOX),
    ("approved", None, forms.M_REQUIRED_CHOICE),
    ("approved", "true", forms.M_BOOLEAN),
    ("approved", 1, forms.M_BOOLEAN),
    ("kind", "demolish", forms.M_OPTION),
    ("docs", [], forms.M_REQUIRED_LIST),
    ("docs", "a", forms.M_LIST),
    ("docs", ["a", "a"], forms.M_DUPLICATE),
    ("docs", ["c"], forms.M_OPTION),
    ("tags", ["1"], forms.M_OPTION),  # "1" is not 1
    ("visit_on", "31/02/2026", forms.M_DATE),
    ("visit_on", "2026-13-01", forms.M_DATE),
    ("visit_on", 20261231, forms.M_DATE),
    ("visit_on", "2026-05-31", forms.M_PAST_DATE),
])
def test_each_rule_gives_its_vietnamese_message_at_the_key(key, value, message):
    result = check(dict(GOOD, **{key: value}))
    assert result.errors == {key: message}


def test_unknown_keys_are_refused_and_read_only_fields_cannot_be_written():
    result = check(dict(GOOD, hacker=1, shown="x"))
    assert result.errors == {"hacker": forms.M_UNKNOWN, "shown": forms.M_READ_ONLY}


def test_missing_required_fields_are_named_and_optional_ones_stay_absent():
    result = check({})
    assert result.errors == {"full_name": forms.M_REQUIRED, "agree": forms.M_REQUIRED_CHECKBOX,
                             "approved": forms.M_REQUIRED_CHOICE, "docs": forms.M_REQUIRED_LIST}
    ok = check({k: GOOD[k] for k in ("full_name", "agree", "approved", "docs")})
    assert ok.errors == {} and set(ok.data) == {"full_name", "agree", "approved", "docs"}


def test_empty_optional_values_are_kept_as_the_viewer_sends_them():
    result = check(dict(GOOD, opinion="", fee=None, kind=None, tags=[], visit_on=None, email=""))
    assert result.errors == {}
    assert (result.data["fee"], result.data["kind"], result.data["tags"], result.data["visit_on"]) == (None, None,
                                                                                                    [], None)


def test_past_dates_are_allowed_without_a_today():
    assert check(dict(GOOD, visit_on="2020-01-01"), today=None).errors == {}


def test_not_a_dict_is_an_error_not_an_exception():
    assert validate_submission(FULL, ["x"]).errors == {"": "Dữ liệu của bước phải là một đối tượng JSON."}


# ---------------------------------------------------------------------------------------------------------------
# the plain HTML form (no JavaScript)


class Post(dict):
    def get(self, name, default=None):
        values = super().get(name)
        return values[-1] if values else default

    def getlist(self, name):
        return list(super().get(name, []))


def test_html_form_values_become_the_viewer_s_data():
    post = Post(full_name=["Trần B"], opinion=["dòng 1\r\ndòng 2"], email=[""], phone=[""], cccd=[""],
                fee=["1 000"], area=["2,5"], agree=["true"], approved=["false"], kind=["new"], docs=["a", "b"],
                tags=["2"], visit_on=["01/07/2026"], shown=["ignored"])
    data = from_html_form(FULL, post.get, post.getlist)
    assert data["paid"] is False and data["agree"] is True and data["approved"] is False
    assert data["fee"] == 1000 and data["area"] == 2.5 and data["tags"] == [2]
    assert data["opinion"] == "dòng 1\ndòng 2" and "shown" not in data
    assert check(data).errors == {}
    bad = from_html_form(FULL, Post(fee=["mười"], approved=["maybe"]).get, Post().getlist)
    errors = check(bad).errors
    assert errors["fee"] == forms.M_NUMBER and errors["approved"] == forms.M_BOOLEAN


def test_option_tokens_round_trip():
    assert [option_token(v) for v in (True, False, 2, 2.5, "x")] == ["true", "false", "2", "2.5", "x"]


# ---------------------------------------------------------------------------------------------------------------
# schemas the server refuses


@pytest.mark.parametrize("source, needle", [
    ("", "empty"),
    ("[]", "JSON object"),
    ("{\"components\": 1}", "components"),
    ("{\"components\": [], \"type\": \"other\"}", "type"),
    ("{not json", "not valid JSON"),
    ("{\"components\": [{\"type\": \"number\", \"key\": \"a\", \"validate\": {\"min\": NaN}}]}", "NaN"),
    ("{\"components\": [], \"components\": []}", "twice"),
    (b"\xff\xfe", "UTF-8"),
    ("[" * 30_000 + "]" * 30_000, "nested too deeply"),
    (schema({"type": "iframe", "key": "x"}), "not supported"),
    (schema({"type": "button", "key": "submit"}), "buttons"),
    (schema({"type": "filepicker", "key": "f"}), "attached"),
    (schema({"type": "dynamiclist", "key": "l", "components": []}), "dynamic lists"),
    (schema({"type": "textfield"}), "key"),
    (schema({"type": "textfield", "key": "a.b"}), "no dots"),
    (schema({"type": "textfield", "key": "class"}), "key"),
    (schema({"type": "textfield", "key": "received_at"}), "set by the platform"),
    (schema({"type": "textfield", "key": "a"}, {"type": "number", "key": "a"}), "two fields"),
    (schema({"type": "textfield", "key": "a", "conditional": {"hide": "=b"}}), "conditional"),
    (schema({"type": "select", "key": "a", "valuesKey": "options"}), "valuesKey"),
    (schema({"type": "select", "key": "a"}), "static \"values\""),
    (schema({"type": "select", "key": "a", "values": [{"label": "x", "value": "1"}, {"label": "y", "value": "1"}]}),
     "twice"),
    (schema({"type": "select", "key": "a", "values": [{"label": "x", "value": {"o": 1}}]}), "string, a number"),
    (schema({"type": "radio", "key": "a", "values": [{"value": i} for i in range(forms.MAX_OPTIONS + 1)]}),
     "options"),
    (schema({"type": "textfield", "key": "a", "validate": {"pattern": "("}}), "regular expression"),
    (schema({"type": "textfield", "key": "a", "validate": {"pattern": "=x"}}), "FEEL"),
    (schema({"type": "textfield", "key": "a", "validate": {"validationType": "iban"}}), "email or phone"),
    (schema({"type": "textfield", "key": "a", "validate": {"minLength": 5, "maxLength": 2}}), "minLength"),
    (schema({"type": "textfield", "key": "a", "validate": {"maxLength": -1}}), "maxLength"),
    (schema({"type": "textfield", "key": "a", "validate": {"required": "yes"}}), "required"),
    (schema({"type": "textfield", "key": "a", "validate": {"min": 1}}), "number fields only"),
    (schema({"type": "number", "key": "a", "validate": {"pattern": "x"}}), "text fields only"),
    (schema({"type": "number", "key": "a", "validate": {"min": "=x"}}), "FEEL"),
    (schema({"type": "number", "key": "a", "validate": {"min": 5, "max": 1}}), "min is more"),
    (schema({"type": "number", "key": "a", "increment": 0}), "increment"),
    (schema({"type": "datetime", "key": "a", "subtype": "datetime"}), "subtype"),
    (schema({"type": "textfield", "key": "a", "readonly": "=true"}), "readonly"),
    (schema({"type": "group", "path": "person", "components": []}), "path"),
    (schema({"type": "textfield", "key": "a", "label": "x" * 600}), "label"),
    (schema(*[{"type": "spacer"}] * (forms.MAX_COMPONENTS + 1)), "more than"),
    (schema(json.loads("{\"type\": \"group\", \"components\": [" * 8 + "]}" * 8)), "nested deeper"),
    ("{\"components\": [], \"pad\": \"" + "x" * MAX_SCHEMA_BYTES + "\"}", "limit"),
    ({"components": [], "pad": "x" * MAX_SCHEMA_BYTES}, "limit"),
    (42, "JSON text"),
])
def test_schemas_the_server_cannot_enforce_are_refused_with_a_reason(source, needle):
    with pytest.raises(FormSchemaError) as caught:
        parse_form_schema(source)
    assert needle in caught.value.message


# ---------------------------------------------------------------------------------------------------------------
# properties


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(list(GOOD) + ["shown", "other"]), json_values, max_size=12))
def test_any_submission_gives_a_result_never_an_exception(data):
    result = check(data)
    assert set(result.errors) <= set(data) | {"full_name", "agree", "approved", "docs"}
    if not result.errors:  # what passed passes again unchanged: the coerced data is a fixed point
        again = check(result.data)
        assert again.errors == {} and again.data == result.data


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_text_length_rules_count_the_trimmed_text(value):
    result = check(dict(GOOD, full_name=value))
    size = len(value.strip())
    assert ("full_name" in result.errors) == (size < 2 or size > 50)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.integers(min_value=-10 ** 7, max_value=10 ** 7),
                 st.floats(min_value=-1e7, max_value=1e7, allow_nan=False)))
def test_numbers_are_accepted_exactly_when_in_range_and_whole(value):
    result = check(dict(GOOD, fee=value))
    ok = 0 <= value <= 1_000_000 and float(value).is_integer()
    assert ("fee" not in result.errors) == ok
    if ok:
        assert result.data["fee"] == value and type(result.data["fee"]) is int


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
def test_both_date_spellings_give_the_same_iso_date(day):
    iso = check(dict(GOOD, visit_on=day.isoformat()), today=None)
    vn = check(dict(GOOD, visit_on=day.strftime("%d/%m/") + f"{day.year:04d}"), today=None)
    assert iso.errors == vn.errors == {} and iso.data["visit_on"] == vn.data["visit_on"] == day.isoformat()


def test_a_catastrophically_backtracking_pattern_is_stopped_and_the_value_refused():
    import time

    # (a|a)+ backtracks exponentially in the regex module too: 60 characters never finish. (Not (a+)+ on 5,000: the
    # module memoises that one and refuses it in ~0.09 s, a hair under the timeout, so that test was flaky.)
    evil = schema({"type": "textfield", "key": "code", "label": "Mã", "validate": {"pattern": "^(a|a)+$"}})
    started = time.perf_counter()
    result = validate_submission(evil, {"code": "a" * 60 + "b"})
    assert time.perf_counter() - started < 2  # stopped after forms.PATTERN_TIMEOUT, not minutes
    assert "mẫu quá phức tạp" in result.errors["code"]
    assert validate_submission(evil, {"code": "aaaa"}).errors == {}
