"""Labels of complaints, denunciations, petitions and dialogue opinions (issue 9) on the officials' pages: the kind of
a procedure, a case's complexity, whether a procedure is a case at all."""
from django import template
from django.utils.translation import gettext_lazy as _, pgettext_lazy

register = template.Library()

KINDS = {  # one case's kind ("case kind": the statistics name the same words in the plural)
    "administrative": pgettext_lazy("case kind", "Thủ tục hành chính"),
    "complaint": pgettext_lazy("case kind", "Khiếu nại"),
    "denunciation": pgettext_lazy("case kind", "Tố cáo"),
    "petition": pgettext_lazy("case kind", "Phản ánh, kiến nghị"),
    "dialogue": pgettext_lazy("case kind", "Ý kiến tại hội nghị đối thoại"),
}

COMPLEXITIES = {
    "normal": _("Thông thường"),
    "complex": _("Phức tạp"),
    "especially_complex": _("Đặc biệt phức tạp"),
}


def _kind(value):
    return getattr(value, "kind", value) or "administrative"


@register.filter
def case_kind_label(value):
    """A procedure's (or a kind code's) label: 'Tố cáo'."""
    kind = _kind(value)
    return KINDS.get(kind, kind)


@register.filter
def is_case(value):
    """A procedure (or kind code) of a complaint, denunciation, petition or dialogue opinion."""
    return _kind(value) != "administrative"


@register.filter
def complexity_label(code):
    return COMPLEXITIES.get(code, code)
