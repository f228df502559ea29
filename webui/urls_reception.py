"""URLs of the reception pages (included by webui/urls.py under the webui namespace)."""
from django.urls import path  # noqa: F401

urlpatterns = []
