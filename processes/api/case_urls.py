"""URLs of the cases' actions (processes/api/case_views.py); included by processes.api.urls before the router. Dossier
codes contain dots, so the code segment is [^/]+."""
from django.urls import re_path

from . import case_views as v

urlpatterns = [
    re_path(r"^dossiers/(?P<code>[^/]+)/extend/$", v.ExtendView.as_view(), name="dossier-extend"),
]
