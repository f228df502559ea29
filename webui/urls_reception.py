"""URLs of the reception pages (included by webui/urls.py under the webui namespace)."""
from django.urls import path

from . import views_reception as v

urlpatterns = [
    path("reception/", v.desk, name="reception"),
    path("reception/find/", v.find_dossier, name="reception-find"),
    path("reception/procedures/<slug:procedure_code>/", v.intake, name="reception-intake"),
    path("reception/notices/<item_id:notice_id>/", v.notice, name="reception-notice"),
    path("reception/notices/<item_id:notice_id>/form.pdf", v.notice_pdf, name="reception-notice-pdf"),
    path("reception/dossiers/<str:code>/", v.dossier_page, name="reception-dossier"),
    path("reception/dossiers/<str:code>/receipt/", v.receipt, name="reception-receipt"),
    path("reception/dossiers/<str:code>/form-01.pdf", v.form_01_pdf, name="reception-form-01"),
    path("reception/dossiers/<str:code>/fees/", v.record_fee, name="reception-fee"),
    path("reception/dossiers/<str:code>/return/", v.return_result, name="reception-return"),
    path("reception/dossiers/<str:code>/supplement/", v.receive_supplement, name="reception-supplement"),
    path("reception/dossiers/<str:code>/withdraw/", v.withdraw, name="reception-withdraw"),
    path("reception/fees/<item_id:fee_id>/paid/", v.fee_paid, name="reception-fee-paid"),
]
urlpatterns += [
    path("reception/online/<item_id:submission_id>/", v.online_submission, name="reception-online"),
    path("reception/online/<item_id:submission_id>/files/<item_id:attachment_id>/", v.online_file,
         name="reception-online-file"),
    path("reception/online/<item_id:submission_id>/receive/", v.online_receive, name="reception-online-receive"),
    path("reception/online/<item_id:submission_id>/ask/", v.online_more, name="reception-online-more"),
    path("reception/online/<item_id:submission_id>/refuse/", v.online_refuse, name="reception-online-refuse"),
]
