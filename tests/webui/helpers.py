"""Dossiers for the pages' tests, received through the service as the one-stop desk would; officials' test clients."""
from django.contrib.auth import get_user_model
from django.test import Client

from processes.models import Membership
from processes.services.dossiers import receive_dossier
from processes.services.events import Actor

HIEPDUC = "003.00.16.H57"
TAMBINH = "014.00.16.H57"
APPLICANT = {"full_name": "Nguyễn Văn An", "id_number": "082090001234", "phone": "0912345678",
             "address": "Ấp 3, xã Hiệp Đức"}


def user(username):
    return get_user_model().objects.get(username=username)


def signed_in(username):
    """The Django test client, signed in as that official."""
    client = Client()
    client.force_login(user(username))
    return client


def receive(procedure, unit_code=HIEPDUC, applicant=None, channel=1):
    desk = Membership.objects.filter(unit__code=unit_code, role="reception").select_related("user").first().user
    return receive_dossier(procedure_code=procedure, unit_code=unit_code, applicant=applicant or APPLICANT,
                           channel=channel, actor=Actor(user=desk, client_address="127.0.0.1"))


def open_step(dossier):
    return dossier.work_items.get(status="open")
