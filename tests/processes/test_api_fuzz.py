"""Schemathesis generates requests from our own OpenAPI schema, valid and invalid, for every operation, as a signed-in
official: none may answer 5xx (bad input gets a 4xx naming the field, never a 500)."""
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from django.core import signals
from django.db import close_old_connections

from motcua.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_operation_answers_a_server_error(case, demo):
    # Like Django's test client: the request must not close the test's connection (and roll back its transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        _call(case)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _call(case):
    from rest_framework.authtoken.models import Token

    from processes.models import Membership

    user = Membership.objects.filter(role="reception", unit__code="003.00.16.H57").first().user
    token, _ = Token.objects.get_or_create(user=user)
    case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=[not_a_server_error])
