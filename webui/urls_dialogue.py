"""URLs of the dialogue-meeting pages (included by webui/urls.py under the webui namespace): the officials' pages under
/dialogue/, the published answers on the citizens' portal under /dich-vu-cong/ (no sign-in)."""
from django.urls import path

from . import views_dialogue as v

urlpatterns = [
    path("dialogue/", v.meetings, name="dialogue"),
    path("dialogue/new/", v.new_meeting, name="dialogue-new"),
    path("dialogue/<item_id:meeting_id>/", v.meeting_page, name="dialogue-meeting"),
    path("dialogue/<item_id:meeting_id>/opinions/", v.add_opinion, name="dialogue-opinion"),
    path("dich-vu-cong/doi-thoai/", v.public_responses, name="dialogue-public"),
]
