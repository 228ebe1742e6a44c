"""On PostgreSQL, the chain head only moves forward, one existing record at a time.

Every append updates the head row, so the runtime role must be allowed to UPDATE it; this
trigger makes that right useless for hiding records: an update must move the head from #n to
#n+1 and name the hash of the record #n+1 that follows the old head, and a head row can only be
created pointing at the last record. Moving it back (the first step of a truncation) then needs
the trigger switched off, which only the tables' owner or a superuser can do, and which the
runtime role is not (``manage.py db_runtime_grants``).
"""

from typing import Any

from django.db import migrations

_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_head_moves_forward() RETURNS trigger AS $$
DECLARE
    last_seq bigint;
    last_hash varchar;
BEGIN
    IF NEW.id <> 1 THEN
        RAISE EXCEPTION 'the audit chain has one head, id 1' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT seq, record_hash INTO last_seq, last_hash
            FROM audit_auditrecord ORDER BY seq DESC LIMIT 1;
        IF NOT FOUND THEN
            last_seq := 0;
            last_hash := repeat('0', 64);
        END IF;
        IF NEW.seq <> last_seq OR NEW.last_hash <> last_hash THEN
            RAISE EXCEPTION 'a new audit chain head must point at the last record, #%', last_seq
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 THEN
        RAISE EXCEPTION 'the audit chain head only moves forward by one record: #% to #% refused',
            OLD.seq, NEW.seq USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM 1 FROM audit_auditrecord
        WHERE seq = NEW.seq AND record_hash = NEW.last_hash AND prev_hash = OLD.last_hash;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the audit chain head must name record #% that follows it', NEW.seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""

_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_head_moves_forward ON audit_auditchainhead;",
    "DROP FUNCTION IF EXISTS audit_head_moves_forward();",
]


def function_create(schema_editor: Any, function: str) -> None:
    """Create (or replace) the trigger's ``function`` on PostgreSQL (migration 0005 too)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = connection.ops.quote_name(cursor.fetchone()[0])
    # A fixed search path, temporary schema last: the runtime role may create temporary tables,
    # and one named audit_auditrecord must not stand in for the real one in these checks.
    schema_editor.execute(f"{function} SET search_path = {schema}, pg_temp;", params=None)


def _install(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    function_create(schema_editor, _FUNCTION)
    schema_editor.execute(
        "CREATE TRIGGER audit_head_moves_forward BEFORE INSERT OR UPDATE ON audit_auditchainhead"
        " FOR EACH ROW EXECUTE FUNCTION audit_head_moves_forward();",
        params=None,
    )


def _remove(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in _REMOVE:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_alter_auditrecord_idempotency_key")]

    operations = [migrations.RunPython(_install, _remove)]
