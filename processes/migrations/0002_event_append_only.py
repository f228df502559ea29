"""The event log is append-only, enforced by PostgreSQL itself: a trigger refuses UPDATE and DELETE. (The auditors'
issue adds separate owner/application roles and hash chains on top.)"""
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION processes_event_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'processes_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER processes_event_append_only
    BEFORE UPDATE OR DELETE ON processes_event
    FOR EACH ROW EXECUTE FUNCTION processes_event_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS processes_event_append_only ON processes_event;
DROP FUNCTION IF EXISTS processes_event_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("processes", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
