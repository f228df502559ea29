"""URLs of the designer studio (included by webui/urls.py under the webui namespace). Every page and action is for
process designers only (403 for anyone else)."""
from django.urls import path

from . import views_studio as v

urlpatterns = [
    path("studio/", v.studio_home, name="studio"),
    path("studio/drafts/new/", v.new_draft, name="studio-new-draft"),
    path("studio/procedures/new/", v.new_procedure, name="studio-new-procedure"),
    path("studio/check-condition/", v.check_condition, name="studio-check-condition"),
    path("studio/drafts/<item_id:draft_id>/", v.editor, name="studio-draft"),
    path("studio/drafts/<item_id:draft_id>/save/", v.save, name="studio-save"),
    path("studio/drafts/<item_id:draft_id>/xml/", v.draft_xml, name="studio-draft-xml"),
    path("studio/drafts/<item_id:draft_id>/<str:action>/", v.draft_action, name="studio-draft-action"),
    path("studio/procedures/<slug:code>/diff/", v.diff, name="studio-diff"),
    path("studio/procedures/<slug:code>/migrate/", v.migrate, name="studio-migrate"),
    path("studio/procedures/<slug:code>/versions/<item_id:number>/xml/", v.version_xml, name="studio-version-xml"),
]
