"""Sign-ins, failed sign-ins and sign-outs go to the event log's "sign-in" stream (chained like every stream), with
the client's address. A failed attempt records the username tried, never the password."""
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .services.events import Actor, record_event

STREAM = "sign-in"
MAX_USERNAME = 150


def _address(request):
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in, dispatch_uid="motcua-signed-in")
def signed_in(sender, request, user, **kwargs):
    record_event("signed_in", actor=Actor(user=user, client_address=_address(request)), stream=STREAM,
                 after={"username": user.get_username()})


@receiver(user_logged_out, dispatch_uid="motcua-signed-out")
def signed_out(sender, request, user, **kwargs):
    if user is not None:
        record_event("signed_out", actor=Actor(user=user, client_address=_address(request)), stream=STREAM,
                     after={"username": user.get_username()})


@receiver(user_login_failed, dispatch_uid="motcua-sign-in-failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    username = str((credentials or {}).get("username", ""))[:MAX_USERNAME]
    record_event("sign_in_failed", actor=Actor(client_address=_address(request)), stream=STREAM,
                 after={"username": username})
