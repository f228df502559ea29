from django.urls import path
from django.views.generic import RedirectView

# The officials' workspace arrives with its own issue; until then the root leads to the API's documentation.
urlpatterns = [path("", RedirectView.as_view(url="/api/docs/", permanent=False), name="home")]
