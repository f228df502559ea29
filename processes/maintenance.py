"""Planner statistics for the small reference tables.

Autovacuum analyzes a table once 50 rows + 10% of it have changed. Units, procedures, officials and calendars are a
few hundred rows that rarely change, so they may never be analyzed: the planner then guesses their sizes and the
statistics' joins go wrong at scale (bench/scale.py at a million dossiers: the year report 9.5 s instead of 4.2 s, the
inbox 79 ms instead of 42 ms). Analyzing them costs milliseconds; beat does it every few hours and seed_demo after
seeding. The big tables (dossiers, events, work items, timers) are left to autovacuum. The list is kept twice, here
and in migration 0013's function (a test compares them)."""
from django.contrib.auth import get_user_model
from django.db import connection

from .models import (
    AdministrativeUnit,
    CalendarOverride,
    CalendarRevision,
    Field,
    LegalRegime,
    Membership,
    Procedure,
    ProcessVersion,
    Substitution,
)


def reference_tables():
    models = (AdministrativeUnit, Membership, LegalRegime, Field, Procedure, ProcessVersion, CalendarRevision,
              CalendarOverride, Substitution, get_user_model())
    return [model._meta.db_table for model in models]


def analyze_reference_tables():
    """ANALYZE each reference table; returns their names. Through the SQL function of migration 0013, which runs as
    the tables' owner: the application's restricted role could not analyze them itself (PostgreSQL < 17)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT motcua_analyze_reference_tables()")
        return list(cursor.fetchone()[0])
