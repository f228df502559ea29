"""The notification outbox. Rows are written in the business transaction (so a rolled-back action notifies nobody)
and sent later, at least once, by `send_pending` (a Celery task calls it); each row's idempotency key travels with the
message so that a receiver can drop a duplicate.

- in-app rows are delivered by being written: they count as sent at once and are read through the API;
- e-mail rows go through Django's e-mail backend (EMAIL_BACKEND);
- SMS rows go through a pluggable backend named by the setting MOTCUA_SMS_BACKEND (a dotted path to a class with
  `send(phone, text, *, key)`); the default, LoggingSmsBackend, only logs.
"""
import hashlib
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from engine import clock

from ..models import Notification, NotificationChannel
from .errors import NotFound

log = logging.getLogger(__name__)

DEFAULT_SMS_BACKEND = "processes.services.notifications.LoggingSmsBackend"
SMS_MAX_CHARS = 480  # three concatenated SMS parts of Unicode text would be ~200; gateways split longer ones
KEY_MAX = 200


class LoggingSmsBackend:
    """The default SMS backend: writes the message to the log and reports success."""

    def send(self, phone, text, *, key=""):
        log.info("SMS to %s (key %s): %s", phone, key, text)
        return True


def sms_backend():
    path = getattr(settings, "MOTCUA_SMS_BACKEND", "") or DEFAULT_SMS_BACKEND
    return import_string(path)()


def max_attempts():
    return int(getattr(settings, "MOTCUA_NOTIFICATION_MAX_ATTEMPTS", 5))


def _key(key, channel):
    full = f"{key}:{channel}"
    if len(full) <= KEY_MAX:
        return full
    return f"{full[:KEY_MAX - 41]}~{hashlib.sha1(full.encode()).hexdigest()}"


def _clean_subject(subject):
    return " ".join(str(subject).split())[:300]


def _outbox(channel, *, key, subject, body, dossier=None, recipient=None, address=""):
    """Writes one row unless a row with this key exists; returns the row."""
    key = _key(key, channel)
    existing = Notification.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    now = clock.now()
    try:
        with transaction.atomic():
            return Notification.objects.create(
                channel=channel, recipient=recipient, address=address[:254], dossier=dossier,
                subject=_clean_subject(subject), body=body, idempotency_key=key, created_at=now,
                sent_at=now if channel == NotificationChannel.IN_APP else None,
            )
    except IntegrityError:
        return Notification.objects.get(idempotency_key=key)


def notify_user(user, subject, body, *, dossier=None, key):
    """An official: an in-app notification, and an e-mail when the official has an address. Returns the rows."""
    if user is None:
        return []
    key = f"{key}:u{user.pk}"
    rows = [_outbox(NotificationChannel.IN_APP, key=key, subject=subject, body=body, dossier=dossier, recipient=user)]
    if user.email:
        rows.append(_outbox(NotificationChannel.EMAIL, key=key, subject=subject, body=body, dossier=dossier,
                            recipient=user, address=user.email))
    return rows


def notify_citizen(dossier, subject, body, *, key, sms=None):
    """The applicant of a dossier: an e-mail when the record has an address, an SMS when it has a phone number
    (`sms` is the short text; by default the subject). Returns the rows."""
    applicant = dossier.applicant
    rows = []
    if applicant.email:
        rows.append(_outbox(NotificationChannel.EMAIL, key=key, subject=subject, body=body, dossier=dossier,
                            address=applicant.email))
    if applicant.phone:
        text = (sms or f"{_clean_subject(subject)}. Mã hồ sơ {dossier.code}")[:SMS_MAX_CHARS]
        rows.append(_outbox(NotificationChannel.SMS, key=key, subject=subject, body=text, dossier=dossier,
                            address=applicant.phone))
    return rows


def _send_one(row, sms):
    if row.channel == NotificationChannel.EMAIL:
        message = EmailMessage(subject=row.subject, body=row.body, from_email=settings.DEFAULT_FROM_EMAIL,
                               to=[row.address], headers={"X-MotCua-Key": row.idempotency_key})
        message.send(fail_silently=False)
    elif row.channel == NotificationChannel.SMS:
        if sms.send(row.address, row.body, key=row.idempotency_key) is False:
            raise RuntimeError("the SMS backend refused the message")
    else:  # in-app rows are delivered when written
        pass


def send_pending(batch=100):
    """Sends up to `batch` unsent e-mail and SMS rows (oldest first), each at least once: rows are locked with
    SKIP LOCKED so that concurrent senders share the work; a failure is recorded on the row (attempts, last_error)
    and retried by a later call until MOTCUA_NOTIFICATION_MAX_ATTEMPTS. Returns {"sent": n, "failed": m}."""
    sent = failed = 0
    sms = None
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(channel__in=[NotificationChannel.EMAIL, NotificationChannel.SMS], sent_at__isnull=True,
                    attempts__lt=max_attempts())
            .order_by("id")[:batch]
        )
        for row in rows:
            row.attempts += 1
            try:
                if row.channel == NotificationChannel.SMS and sms is None:
                    sms = sms_backend()
                _send_one(row, sms)
            except Exception as exc:  # recorded; retried by the next call
                log.warning("notification %s (%s) not sent: %s", row.pk, row.channel, exc)
                row.last_error = f"{type(exc).__name__}: {exc}"[:4000]
                failed += 1
            else:
                row.sent_at = clock.now()
                row.last_error = ""
                sent += 1
            row.save(update_fields=["attempts", "sent_at", "last_error"])
    return {"sent": sent, "failed": failed}


def in_app_for(user):
    """The in-app notifications of an official, newest first."""
    return Notification.objects.filter(recipient=user, channel=NotificationChannel.IN_APP).select_related("dossier")


@transaction.atomic
def mark_read(*, notification_id, user):
    row = (Notification.objects.select_for_update()
           .filter(pk=notification_id, recipient=user, channel=NotificationChannel.IN_APP).first())
    if row is None:
        raise NotFound("không có thông báo này", field="notification")
    if row.read_at is None:
        row.read_at = clock.now()
        row.save(update_fields=["read_at"])
    return row
