"""URLs of the documents pages (included by webui/urls.py under the webui namespace): printable forms as PDF."""
from django.urls import path

from . import views_forms as v

urlpatterns = [
    path("dossiers/<str:code>/forms/", v.dossier_forms, name="dossier-forms"),
    path("dossiers/<str:code>/forms/<str:number>.pdf", v.dossier_form_pdf, name="dossier-form-pdf"),
    path("register/", v.register, name="register"),
    path("intake-notices/<item_id:notice_id>.pdf", v.intake_notice_pdf, name="intake-notice-pdf"),
]
