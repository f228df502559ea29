"""motcua_analyze_reference_tables(): ANALYZE of the small reference tables (processes/maintenance.py), as their
owner. The application's restricted role (grant_app_role) owns no table, and PostgreSQL before 17 lets only the owner
analyze one; this function, SECURITY DEFINER with a fixed search_path and a fixed list of tables, lends it exactly
that and nothing else."""
from django.db import migrations

TABLES = ("processes_administrativeunit", "processes_membership", "processes_legalregime", "processes_field",
          "processes_procedure", "processes_processversion", "processes_calendarrevision",
          "processes_calendaroverride", "processes_substitution", "auth_user")

CREATE = """
CREATE OR REPLACE FUNCTION motcua_analyze_reference_tables() RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
%s
    RETURN ARRAY[%s];
END $$;
""" % ("\n".join(f"    ANALYZE public.{t};" for t in TABLES), ", ".join(f"'{t}'" for t in TABLES))


class Migration(migrations.Migration):

    dependencies = [
        ("processes", "0012_case_outcomes"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunSQL(CREATE, "DROP FUNCTION IF EXISTS motcua_analyze_reference_tables()"),
    ]
