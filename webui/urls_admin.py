"""URLs of the unit administration pages (included by webui/urls.py under the webui namespace). The administered
unit is in the path: another unit's admin gets 404 there (webui/views_admin.py)."""
from django.urls import path

from . import views_admin

urlpatterns = [
    path("unit-admin/", views_admin.admin_home, name="admin-home"),
    path("unit-admin/<item_id:unit_id>/", views_admin.officials, name="admin-officials"),
    path("unit-admin/<item_id:unit_id>/officials/new/", views_admin.add_official, name="admin-official-new"),
    path("unit-admin/<item_id:unit_id>/officials/<item_id:user_id>/", views_admin.official, name="admin-official"),
    path("unit-admin/<item_id:unit_id>/substitutes/", views_admin.substitutes, name="admin-substitutes"),
    path("unit-admin/<item_id:unit_id>/work/", views_admin.move_work, name="admin-work"),
    path("unit-admin/<item_id:unit_id>/calendar/", views_admin.calendar, name="admin-calendar"),
    # the one-time link a new official sets their password with (Django's token, no session needed)
    path("account/set-password/<uidb64>/<token>/", views_admin.SetPasswordView.as_view(),
         name="admin-set-password"),
]
