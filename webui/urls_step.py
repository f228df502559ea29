"""URLs of the step page's actions and of attachments (included by webui/urls.py under the webui namespace)."""
from django.urls import path  # noqa: F401

urlpatterns = []
