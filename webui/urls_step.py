"""URLs of the step page's actions and of attachments (included by webui/urls.py under the webui namespace)."""
from django.urls import path

from . import views_step as v

urlpatterns = [
    path("steps/<item_id:item_id>/supplement/", v.request_supplement, name="step-supplement"),
    path("steps/<item_id:item_id>/refuse/", v.refuse, name="step-refuse"),
    path("steps/<item_id:item_id>/explain/", v.explain, name="step-explain"),
    path("steps/<item_id:item_id>/escalation/", v.resolve_escalation, name="step-escalation"),
    path("steps/<item_id:item_id>/attachments/", v.upload_attachment, name="step-attachment-upload"),
    path("attachments/<item_id:attachment_id>/", v.attachment_file, name="attachment"),
]
