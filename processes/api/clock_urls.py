"""URLs of the statutory clock's actions; included by processes.api.urls before the router. Dossier codes contain
dots, so the code segment is [^/]+."""
from django.urls import re_path

from . import clock_views as v

CODE = r"(?P<code>[^/]+)"
ID = r"(?P<pk>\d{1,18})"

urlpatterns = [
    re_path(rf"^dossiers/{CODE}/supplement-request/$", v.SupplementRequestView.as_view(),
            name="dossier-supplement-request"),
    re_path(rf"^dossiers/{CODE}/supplement-received/$", v.SupplementReceivedView.as_view(),
            name="dossier-supplement-received"),
    re_path(rf"^dossiers/{CODE}/refuse/$", v.RefuseView.as_view(), name="dossier-refuse"),
    re_path(rf"^dossiers/{CODE}/withdraw/$", v.WithdrawView.as_view(), name="dossier-withdraw"),
    re_path(rf"^dossiers/{CODE}/control-sheet/$", v.ControlSheetView.as_view(), name="dossier-control-sheet"),
    re_path(rf"^tasks/{ID}/explain/$", v.ExplainView.as_view(), name="task-explain"),
    re_path(r"^notifications/$", v.NotificationListView.as_view(), name="notification-list"),
    re_path(rf"^notifications/{ID}/read/$", v.NotificationReadView.as_view(), name="notification-read"),
]
