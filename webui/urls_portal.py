"""The citizens' portal (no sign-in), included at the site root before webui.urls_public. The look-up itself stays at
/tra-cuu/ (public:lookup, the address printed on the receipts)."""
from django.urls import path

from . import views_portal as v

app_name = "portal"
urlpatterns = [
    path("dich-vu-cong/", v.home, name="home"),
    path("dich-vu-cong/nop-truc-tuyen/", v.submit_start, name="submit-start"),
    path("dich-vu-cong/nop-truc-tuyen/da-nop/", v.submitted, name="submitted"),
    path("dich-vu-cong/nop-truc-tuyen/<slug:procedure_code>/", v.submit, name="submit"),
    path("dich-vu-cong/danh-gia/", v.rate, name="rate"),
    path("dich-vu-cong/danh-muc/", v.catalogue, name="catalogue"),
    path("dich-vu-cong/thong-ke/", v.public_statistics, name="statistics"),
]
