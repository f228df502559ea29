"""The event log's hash chains (migration 0007) on the real PostgreSQL: PostgreSQL chains every insert; verify_audit
names each row changed, removed, inserted out of order or written around the trigger."""
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections

from processes.models import Event
from processes.services.audit import GENESIS, verify_chains
from processes.services.events import record_event

from ..webui.helpers import open_step, receive
from .helpers import at


def sql(statement, params=()):
    with connection.cursor() as cursor:
        if statement.startswith("ALTER TABLE"):
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # Django's deferred foreign-key checks, run now
        cursor.execute(statement, params)


def chain(stream):
    return list(Event.objects.filter(stream=stream).order_by("seq").values_list("id", "seq", "prev_hash", "hash"))


def problems(**kwargs):
    return [(p.problem, p.event_id, p.seq) for p in verify_chains(**kwargs)]


@pytest.fixture
def dossier(demo):
    at("2026-12-01 09:00")
    received = receive("nhan-cha-me-con")
    from processes.services.dossiers import claim_work_item
    from processes.services.events import Actor
    from tests.webui.helpers import user

    claim_work_item(item_id=open_step(received).pk, actor=Actor(user=user("tuphap.hiepduc")))
    return received


def test_every_insert_is_chained_by_the_database_per_stream(dossier):
    rows = chain(f"dossier:{dossier.pk}")
    assert [seq for _, seq, _, _ in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 3
    assert rows[0][2] == GENESIS
    for (_, _, _, before), (_, _, prev, _) in zip(rows, rows[1:]):
        assert prev == before
    assert all(len(h) == 64 for *_, h in rows)
    platform = record_event("catalogue_checked", after={"n": 1})
    assert Event.objects.get(pk=platform.pk).stream == "platform"
    signin = record_event("signed_in", stream="sign-in")
    assert Event.objects.get(pk=signin.pk).stream == "sign-in"
    assert problems() == []


def test_an_update_with_triggers_disabled_is_named_as_changed(dossier):
    victim = Event.objects.filter(dossier=dossier, kind="received").get()
    sql("ALTER TABLE processes_event DISABLE TRIGGER processes_event_append_only")
    sql("UPDATE processes_event SET data_after = data_after || '{\"due_at\": \"2027-01-01\"}' WHERE id = %s",
        [victim.pk])
    sql("ALTER TABLE processes_event ENABLE TRIGGER processes_event_append_only")
    assert problems() == [("changed", victim.pk, 1)]
    assert problems(stream=f"dossier:{dossier.pk}") == [("changed", victim.pk, 1)]


def test_a_deleted_row_is_named_as_removed(dossier):
    rows = chain(f"dossier:{dossier.pk}")
    middle_id, middle_seq = rows[1][0], rows[1][1]
    sql("ALTER TABLE processes_event DISABLE TRIGGER processes_event_append_only")
    sql("DELETE FROM processes_event WHERE id = %s", [middle_id])
    sql("ALTER TABLE processes_event ENABLE TRIGGER processes_event_append_only")
    assert problems() == [("removed", None, middle_seq)]


def test_a_row_slipped_in_with_a_recomputed_hash_breaks_the_next_link(dossier):
    stream = f"dossier:{dossier.pk}"
    rows = chain(stream)
    replaced_id, replaced_seq = rows[1][0], rows[1][1]
    next_id = rows[2][0]
    sql("ALTER TABLE processes_event DISABLE TRIGGER processes_event_append_only")
    sql("DELETE FROM processes_event WHERE id = %s", [replaced_id])
    sql("ALTER TABLE processes_event ENABLE TRIGGER processes_event_append_only")
    # a forged row in its place, chained to its predecessor with a correct hash (as an attacker who knows the
    # digest function would write it, the chain trigger bypassed)
    sql("ALTER TABLE processes_event DISABLE TRIGGER processes_event_chain")
    sql("""INSERT INTO processes_event (dossier_id, kind, at, actor_role, engine_task_id, stream, seq, prev_hash, hash)
           VALUES (%s, 'step_completed', now(), '', '', %s, %s, %s, '')""",
        [dossier.pk, stream, replaced_seq, rows[0][3]])
    sql("ALTER TABLE processes_event DISABLE TRIGGER processes_event_append_only")
    sql("UPDATE processes_event e SET hash = processes_event_digest(e) WHERE stream = %s AND seq = %s",
        [stream, replaced_seq])
    sql("ALTER TABLE processes_event ENABLE TRIGGER processes_event_append_only")
    sql("ALTER TABLE processes_event ENABLE TRIGGER processes_event_chain")
    assert problems() == [("out_of_order", next_id, rows[2][1])]


def test_a_row_written_around_the_chain_trigger_is_named(dossier):
    sql("ALTER TABLE processes_event DISABLE TRIGGER processes_event_chain")
    sql("INSERT INTO processes_event (kind, at, actor_role, engine_task_id, stream, prev_hash, hash) "
        "VALUES ('forged', now(), '', '', '', '', '')")
    sql("ALTER TABLE processes_event ENABLE TRIGGER processes_event_chain")
    forged = Event.objects.get(kind="forged")
    assert problems() == [("unchained", forged.pk, None)]


def test_the_command_prints_json_lines_and_exits_1_on_a_problem(dossier, capsys):
    call_command("verify_audit")
    assert '"intact": true' in capsys.readouterr().out
    sql("ALTER TABLE processes_event DISABLE TRIGGER processes_event_append_only")
    sql("UPDATE processes_event SET kind = 'tampered' WHERE dossier_id = %s AND kind = 'claimed'", [dossier.pk])
    sql("ALTER TABLE processes_event ENABLE TRIGGER processes_event_append_only")
    with pytest.raises(SystemExit) as exit_code:
        call_command("verify_audit")
    assert exit_code.value.code == 1
    out = capsys.readouterr().out
    assert '"problem": "changed"' in out and '"intact": false' in out


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_stream_get_one_unbroken_chain(tdemo):
    barrier = threading.Barrier(8)

    def write(n):
        try:
            barrier.wait(10)
            for i in range(10):
                record_event("platform_ping", after={"writer": n, "i": i})
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    rows = chain("platform")  # the seeding's deployments come first
    assert Event.objects.filter(kind="platform_ping").count() == 80
    assert [seq for _, seq, _, _ in rows] == list(range(1, len(rows) + 1))
    assert problems(stream="platform") == []


# ---------------------------------------------------------------------------------------------------------------
# checkpoints


def test_a_rewrite_that_recomputes_every_hash_is_caught_only_against_an_exported_checkpoint(dossier, tmp_path,
                                                                                              capsys):
    from processes.models import AuditAnchor
    from processes.services.audit import checkpoint, latest_anchor_export, verify_against

    call_command("export_audit_anchor", output=str(tmp_path / "anchor.json"))
    exported = latest_anchor_export()
    assert exported["hash"] in (tmp_path / "anchor.json").read_text()
    assert checkpoint() is None  # nothing written since: no new anchor
    assert verify_against(exported) == []
    # the rewrite: the dossier's reception event changed and the whole stream re-hashed in order
    stream = f"dossier:{dossier.pk}"
    sql("ALTER TABLE processes_event DISABLE TRIGGER processes_event_append_only")
    sql("UPDATE processes_event SET data_after = data_after || '{\"channel\": 2}' WHERE stream = %s AND seq = 1",
        [stream])
    for seq in range(1, Event.objects.filter(stream=stream).count() + 1):
        sql("""UPDATE processes_event e SET prev_hash = COALESCE((SELECT hash FROM processes_event p
                   WHERE p.stream = e.stream AND p.seq = e.seq - 1), repeat('0', 64)) WHERE stream = %s AND seq = %s""",
            [stream, seq])
        sql("UPDATE processes_event e SET hash = processes_event_digest(e) WHERE stream = %s AND seq = %s",
            [stream, seq])
    sql("ALTER TABLE processes_event ENABLE TRIGGER processes_event_append_only")
    assert problems() == []  # the chains alone look intact
    found = verify_against(exported)
    assert [(p.problem, p.stream) for p in found] == [("rewritten", stream)]
    with pytest.raises(SystemExit):
        call_command("verify_audit", against=str(tmp_path / "anchor.json"))
    assert '"problem": "rewritten"' in capsys.readouterr().out
    # the checkpoints themselves are append-only, and a forged one is named
    with pytest.raises(Exception, match="append-only"):
        from django.db import transaction

        with transaction.atomic():
            AuditAnchor.objects.filter(pk=exported["anchor"]).update(hash="0" * 64)
    assert verify_against({"anchor": exported["anchor"], "hash": "f" * 64})[-1].problem == "anchor_changed"
    assert verify_against({"nonsense": 1})[0].problem == "bad_export"


def test_checkpoints_chain_and_only_record_streams_written_since(dossier):
    from processes.services.audit import checkpoint

    first = checkpoint()
    assert f"dossier:{dossier.pk}" in first.heads and first.prev_hash == GENESIS
    record_event("signed_in", stream="sign-in")
    second = checkpoint()
    assert second.prev_hash == first.hash and "sign-in" in second.heads
    assert second.max_event_id > first.max_event_id


def test_sign_ins_failed_sign_ins_and_sign_outs_are_in_the_sign_in_stream(demo):
    from django.test import Client

    client = Client()
    client.post("/login/", {"username": "tuphap.hiepduc", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")
    client.post("/login/", {"username": "tuphap.hiepduc", "password": "pw"}, REMOTE_ADDR="10.1.2.3")
    client.post("/logout/", REMOTE_ADDR="10.1.2.3")
    rows = list(Event.objects.filter(stream="sign-in").order_by("seq").values_list("kind", "client_address",
                                                                                    "data_after"))
    assert [r[0] for r in rows] == ["sign_in_failed", "signed_in", "signed_out"]
    assert all(r[1] == "10.1.2.3" and r[2] == {"username": "tuphap.hiepduc"} for r in rows)
    assert "wrong" not in str(rows)
    assert problems(stream="sign-in") == []


@pytest.mark.django_db(transaction=True)
def test_the_application_role_can_append_to_the_log_but_not_change_it(tdemo):
    import psycopg
    from django.db import connection as django_connection

    call_command("grant_app_role", "motcua_test_app")
    call_command("grant_app_role", "motcua_test_app")  # idempotent
    params = django_connection.get_connection_params()
    params = {k: v for k, v in params.items() if k in ("host", "port", "dbname")}
    with psycopg.connect(**params, user="motcua_test_app", autocommit=True) as app:
        app.execute("INSERT INTO processes_event (kind, at, actor_role, engine_task_id, stream, prev_hash, hash) "
                    "VALUES ('as_app', now(), '', '', 'platform', '', '')")
        row = app.execute("SELECT seq, length(hash) FROM processes_event WHERE kind = 'as_app'").fetchone()
        assert row[0] >= 1 and row[1] == 64  # chained by the trigger, whatever the app sent
        app.execute("UPDATE processes_dossiercounter SET last_number = last_number")  # ordinary tables: fine
        for statement in ("UPDATE processes_event SET kind = 'x'", "DELETE FROM processes_event",
                          "TRUNCATE processes_event", "UPDATE processes_auditanchor SET hash = ''",
                          "ALTER TABLE processes_event DISABLE TRIGGER processes_event_append_only"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(statement)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="lower-case"):
        call_command("grant_app_role", "bad name!")
