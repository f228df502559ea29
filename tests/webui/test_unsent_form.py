"""A form sent after the session expired is not lost: after signing in, the official is back on the same page with
the fields filled in again, and nothing was acted on."""
import json
from datetime import timedelta

from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from processes.models import WorkItem

from .helpers import open_step, receive, user


def _unsent(page):
    marker = '<script id="unsent-form" type="application/json">'
    assert marker in page.text
    return json.loads(page.text.split(marker, 1)[1].split("</script>", 1)[0])


def test_a_form_posted_after_the_session_expired_comes_back_filled_in_after_sign_in(demo):
    item = open_step(receive("nhan-cha-me-con"))
    client = Client()
    client.force_login(user("tuphap.hiepduc"))
    step_url = f"/steps/{item.pk}/"
    assert client.get(step_url).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.post(step_url, {"note": "Đã đối chiếu giấy tờ", "csrfmiddlewaretoken": "x", "password": "p"},
                           HTTP_REFERER=f"http://testserver{step_url}")
    assert response.status_code == 302 and response.url == f"/login/?next={step_url}"
    assert WorkItem.objects.get(pk=item.pk).status == "open"  # nothing acted on

    signed = client.post("/login/", {"username": "tuphap.hiepduc", "password": "pw", "next": step_url})
    assert signed.status_code == 302 and signed.url == step_url
    page = client.get(step_url)
    kept = _unsent(page)
    assert kept["action"] == step_url and kept["fields"] == {"note": ["Đã đối chiếu giấy tờ"]}  # no token, no password
    assert 'id="unsent-form-notice"' in page.text
    # shown once
    assert 'id="unsent-form"' not in client.get(step_url).text


def test_a_post_only_action_comes_back_to_the_page_the_form_was_on(demo):
    item = open_step(receive("nhan-cha-me-con"))
    client = Client()
    client.force_login(user("tuphap.hiepduc"))
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.post(f"/steps/{item.pk}/claim/", {"next": "/inbox/"}, HTTP_REFERER="http://testserver/inbox/?tab=unclaimed")
    assert response.url == "/login/?next=/inbox/%3Ftab%3Dunclaimed"
    # a foreign referer is not a place to go back to: the form's own `next`, else the address posted to
    response = client.post(f"/steps/{item.pk}/claim/", {"next": "/inbox/"}, HTTP_REFERER="https://evil.example/x")
    assert response.url == "/login/?next=/inbox/"
    response = client.post(f"/steps/{item.pk}/claim/", HTTP_REFERER="https://evil.example/inbox/")
    assert response.url == f"/login/?next=/steps/{item.pk}/claim/"
