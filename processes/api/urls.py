from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import incident_views, migration_views, studio_views, views

router = DefaultRouter()
router.register("procedures", views.ProcedureViewSet, basename="procedure")
router.register("dossiers", views.DossierViewSet, basename="dossier")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("incidents", incident_views.IncidentViewSet, basename="incident")
router.register("drafts", studio_views.DraftViewSet, basename="draft")

versions = views.ProcessVersionViewSet.as_view({"get": "list", "post": "create"})

urlpatterns = [
    path("procedures/<str:procedure_code>/versions/", versions, name="procedure-versions"),
    # migrating running dossiers to another version (processes/api/migration_views.py)
    path("procedures/<str:procedure_code>/migrations/", migration_views.MigrationView.as_view(),
         name="procedure-migrations"),
    # the designer studio (processes/api/studio_views.py)
    path("procedures/<str:procedure_code>/versions/diff/", studio_views.VersionDiffView.as_view(),
         name="procedure-version-diff"),
    path("procedures/<str:procedure_code>/versions/<int:number>/xml/", studio_views.VersionXmlView.as_view(),
         name="procedure-version-xml"),
    path("bpmn/check-condition/", studio_views.CheckConditionView.as_view(), name="bpmn-check-condition"),
    path("bpmn/validate/", studio_views.ValidateBpmnView.as_view(), name="bpmn-validate"),
    path("bpmn/templates/", studio_views.TemplateListView.as_view(), name="bpmn-templates"),
    path("", include("processes.api.clock_urls")),
    path("", include("processes.api.case_urls")),
    path("", include(router.urls)),
]
