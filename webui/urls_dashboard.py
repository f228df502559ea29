"""URLs of the leaders' statistics (included by webui/urls.py under the webui namespace): read-only, GET only."""
from django.urls import path

from . import views_dashboard

urlpatterns = [
    path("statistics/", views_dashboard.dashboard, name="statistics"),
    path("statistics/dossiers/", views_dashboard.dossiers, name="statistics-dossiers"),
]
