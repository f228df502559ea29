"""URLs of the auditors' pages (included by webui/urls.py under the webui namespace): read-only, GET only."""
from django.urls import path

from . import views_audit

urlpatterns = [
    path("audit/", views_audit.search, name="audit"),
    path("audit/dossiers/<str:code>/", views_audit.dossier, name="audit-dossier"),
    path("audit/dossiers/<str:code>/history.pdf", views_audit.dossier_pdf, name="audit-dossier-pdf"),
    path("audit/officials/<str:username>/", views_audit.official, name="audit-official"),
    path("audit/procedures/", views_audit.procedures, name="audit-procedures"),
    path("audit/procedures/<str:code>/versions/<int:number>/heatmap/", views_audit.heatmap, name="audit-heatmap"),
]
