"""Planner statistics for the small reference tables.

Autovacuum analyzes a table once 50 rows + 10% of it have changed. Units, procedures, officials and calendars are a
few hundred rows that rarely change, so they may never be analyzed: the planner then guesses their sizes and the
statistics' joins go wrong at scale (bench/scale.py at a million dossiers: the year report 9.5 s instead of 4.2 s, the
inbox 79 ms instead of 42 ms). Analyzing them costs milliseconds; beat does it every few hours and seed_demo after
seeding. The big tables (dossiers, events, work items, timers) are left to autovacuum."""
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
    """ANALYZE each reference table; returns their names. Only on PostgreSQL (the only database MotCua runs on)."""
    if connection.vendor != "postgresql":
        return []
    tables = reference_tables()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return tables
