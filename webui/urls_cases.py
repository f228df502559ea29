"""URLs of complaints', denunciations' and petitions' pages (issue 9; webui/views_cases.py), included by webui/urls.py
under the webui namespace."""
from django.urls import path

from . import views_cases as v

urlpatterns = [
    path("steps/<item_id:item_id>/extend/", v.extend, name="case-extend"),
]
