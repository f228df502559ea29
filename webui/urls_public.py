"""Pages without sign-in (the citizens' look-up of a dossier). Included at the site root."""
from django.urls import path

from . import views_reception

app_name = "public"
urlpatterns = [
    path("tra-cuu/", views_reception.lookup, name="lookup"),
]
