from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import incident_views, views

router = DefaultRouter()
router.register("procedures", views.ProcedureViewSet, basename="procedure")
router.register("dossiers", views.DossierViewSet, basename="dossier")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("incidents", incident_views.IncidentViewSet, basename="incident")

versions = views.ProcessVersionViewSet.as_view({"get": "list", "post": "create"})

urlpatterns = [
    path("procedures/<str:procedure_code>/versions/", versions, name="procedure-versions"),
    path("", include("processes.api.clock_urls")),
    path("", include(router.urls)),
]
