"""Pages without sign-in (the citizens' look-up of a dossier). Included at the site root."""
from django.urls import path  # noqa: F401

app_name = "public"
urlpatterns = []
