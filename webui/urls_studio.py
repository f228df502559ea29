"""URLs of the designer studio (included by webui/urls.py under the webui namespace)."""
from django.urls import path  # noqa: F401

urlpatterns = []
