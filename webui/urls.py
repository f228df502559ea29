from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from . import views
from .auth import LoginView


class ItemId:
    """A row id the database can compare (at most 18 digits): a longer one is a 404, not a 500."""

    regex = r"[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(ItemId, "item_id")

app_name = "webui"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("unit/", views.switch_unit, name="switch-unit"),
    path("inbox/", views.inbox, name="inbox"),
    path("steps/<item_id:item_id>/", views.step, name="step"),
    path("steps/<item_id:item_id>/claim/", views.claim, name="claim"),
    path("steps/<item_id:item_id>/unclaim/", views.unclaim, name="unclaim"),
    path("steps/<item_id:item_id>/reassign/", views.reassign, name="reassign"),
    # Each area's pages live in their own module (same namespace).
    path("", include("webui.urls_reception")),
    path("", include("webui.urls_step")),
    path("", include("webui.urls_cases")),
    path("", include("webui.urls_documents")),
    path("", include("webui.urls_admin")),
    path("", include("webui.urls_studio")),
    path("", include("webui.urls_audit")),
    path("", include("webui.urls_dashboard")),
    path("", include("webui.urls_evaluation")),
    path("", include("webui.urls_dialogue")),
]
