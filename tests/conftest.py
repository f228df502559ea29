"""Shared fixtures. Persistence tests run on the real PostgreSQL named by DATABASE_URL (make test points it at
127.0.0.1:5432); nothing here mocks the engine or the database."""
import pytest
from django.conf import settings

# Hashing ~60 demo passwords with PBKDF2 would cost seconds per seeding; tests do not test hashing strength.
# (Engine tests may run without Django at all: -p no:django.)
if settings.configured:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _attachments_root(tmp_path_factory):
    """Uploaded files of the test run go to a temporary directory, not the checkout's var/."""
    if settings.configured:
        settings.ATTACHMENTS_ROOT = tmp_path_factory.mktemp("attachments")


@pytest.fixture(autouse=True)
def _reset_engine_clock():
    from engine import clock

    previous = clock.get_clock()
    yield
    clock.set_clock(previous)


def seed():
    from processes.demo import seed_procedures, seed_units_and_officials

    seeded = seed_units_and_officials(password="pw")
    seed_procedures()
    return seeded


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Seeded once per session; plain `db` tests roll back to this state.
    with django_db_blocker.unblock():
        seed()


@pytest.fixture
def demo(db):
    from processes.models import AdministrativeUnit

    if not AdministrativeUnit.objects.exists():  # a transactional test before us flushed the tables
        seed()
    return demo_units()


@pytest.fixture
def tdemo(transactional_db):
    """For tests that need real commits (concurrency): seeds, and leaves the flush to pytest-django."""
    from processes.models import AdministrativeUnit

    if not AdministrativeUnit.objects.exists():
        seed()
    return demo_units()


def demo_units():
    from processes.models import AdministrativeUnit

    units = {u.code: u for u in AdministrativeUnit.objects.all()}
    return {
        "province": units["000.00.00.H57"],
        "district": units["000.00.16.H57"],
        "hiepduc": units["003.00.16.H57"],
        "tambinh": units["014.00.16.H57"],
        "labour": units["000.03.16.H57"],
        "urban": units["000.04.16.H57"],
        "justice": units["000.02.16.H57"],
    }


@pytest.fixture
def api():
    """api('username') -> an APIClient authenticated as that official."""
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    def make(username):
        client = APIClient()
        client.force_authenticate(get_user_model().objects.get(username=username))
        return client

    return make
