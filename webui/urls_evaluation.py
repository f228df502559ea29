"""URLs of the evaluation pages (Circular 01/2018's indices, Decision 766) and of the desk's citizen-contact form,
included by webui/urls.py under the webui namespace."""
from django.urls import path

from . import views_evaluation as v

urlpatterns = [
    path("evaluation/", v.evaluation_page, name="evaluation"),
    path("evaluation/dossiers/<str:code>/", v.evaluation_dossier, name="evaluation-dossier"),
    path("reception/dossiers/<str:code>/contacts/", v.record_contact_view, name="reception-contact"),
]
