"""The portal's public statistics per unit (issue 7): the same figures as the leaders' report for the unit (with its
departments) and period, counts only — no applicant, no official; cached five minutes; bad choices are 400s at their
field; rate-limited; and the page in headless Chromium."""
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.test import Client

from processes import statistics
from processes.models import AdministrativeUnit
from processes.services.dossiers import complete_work_item
from processes.services.events import Actor

from ..processes.helpers import at, official_for
from . import pages
from .helpers import APPLICANT, HIEPDUC, receive, user

URL = "/dich-vu-cong/thong-ke/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def two_dossiers():
    clock = at("2026-12-01 09:00")
    done, waiting = receive("nhan-cha-me-con"), receive("tro-cap-xa-hoi")
    specialist = Actor(user=user(official_for(HIEPDUC, "specialist")))
    clock.advance(timedelta(hours=1))
    complete_work_item(item_id=done.work_items.get(status="open").pk, actor=specialist,
                       data={"needs_verification": False})
    clock.advance(timedelta(hours=1))
    return clock, done, waiting


@pytest.fixture
def december(demo):
    return two_dossiers()


def test_the_figures_are_the_reports_and_carry_no_personal_data(december):
    unit = AdministrativeUnit.objects.get(code=HIEPDUC)
    response = Client().get(URL, {"unit": HIEPDUC, "year": 2026, "month": 12})
    text = response.content.decode()
    assert response.status_code == 200 and 'data-testid="public-figures"' in text
    parents = statistics.unit_parents()
    scope = statistics.Scope.for_days(date(2026, 12, 1), date(2026, 12, 31),
                                      unit_ids=statistics.subtree_ids({unit.pk}, parents))
    totals = statistics.report(scope, parents).totals
    assert totals["to_process"] == 2 and totals["in_progress"] == 2
    assert f'data-testid="fig-to-process"><div class="pct">{totals["to_process"]}</div>' in text
    assert "Đăng ký nhận cha, mẹ, con" in text and "Trợ cấp xã hội hằng tháng" in text
    for secret in (APPLICANT["full_name"], APPLICANT["phone"], APPLICANT["id_number"], "tuphap.hiepduc",
                   december[1].code, december[1].lookup_secret):
        assert secret not in text
    assert response["Cache-Control"] == "public, max-age=300"
    # a whole year; another commune has nothing
    assert 'data-testid="public-figures"' in Client().get(URL, {"unit": HIEPDUC, "year": 2026}).content.decode()
    other = Client().get(URL, {"unit": "014.00.16.H57", "year": 2026, "month": 12}).content.decode()
    assert "Không có hồ sơ trong kỳ này." in other


def test_answers_come_from_the_cache_for_five_minutes(december, django_assert_max_num_queries):
    client = Client()
    client.get(URL, {"unit": HIEPDUC, "year": 2026, "month": 12})
    with django_assert_max_num_queries(2):  # the units of the form; the figures from the cache
        assert client.get(URL, {"unit": HIEPDUC, "year": 2026, "month": 12}).status_code == 200


@pytest.mark.parametrize("query, field", [
    ({"unit": "khong-co", "year": 2026}, "unit"),
    ({"unit": HIEPDUC, "year": 1900}, "year"),
    ({"unit": HIEPDUC, "year": "x"}, "year"),
    ({"unit": HIEPDUC, "year": 2026, "month": 13}, "month"),
])
def test_bad_choices_are_400s_at_their_field(demo, query, field):
    response = Client().get(URL, query)
    text = response.content.decode()
    assert response.status_code == 400
    assert f'class="form-row has-error" data-field="{field}"' in text


def test_it_is_rate_limited(demo, settings):
    settings.MOTCUA_PORTAL_RATES = {"statistics": "3/m"}
    client = Client()
    assert [client.get(URL).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_page_in_chromium(tdemo, browser, open_context, live_server):
    two_dossiers()  # committed: the live server's thread reads them on its own connection
    page = open_context().new_page()
    page.goto(live_server.url + "/dich-vu-cong/")
    page.get_by_role("link", name="Kết quả giải quyết", exact=True).click()
    page.get_by_label("Đơn vị").select_option(HIEPDUC)
    page.get_by_label("Năm").fill("2026")
    page.get_by_label("Tháng").select_option("12")
    page.get_by_role("button", name="Xem").click()
    figures = page.get_by_test_id("public-figures")
    browser.expect(figures).to_contain_text("UBND xã Hiệp Đức")
    browser.expect(page.get_by_test_id("fig-to-process")).to_contain_text("2")
    browser.expect(page.get_by_test_id("public-by-procedure")).to_contain_text("Đăng ký nhận cha, mẹ, con")
    pages.shot(page, "portal-14-statistics", full_page=True)
