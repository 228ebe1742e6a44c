"""On PostgreSQL, the chain head may move forward over several records in one update, each
following the one before it.

A process appending a batch of records writes them in one statement and moves the head once, to
the last of them (``portal.audit.chain``); the head's trigger (migration 0004) allowed a step of
one record only. It now walks every record from the old head to the new one: each must be there,
at the next position, naming the hash of the one before it (the first, the old head's), and the
last must be the one the head names. A move of one record is checked exactly as before; moving
the head back, or over a record that is missing or does not follow, is still refused.
"""

from importlib import import_module
from typing import Any

from django.db import migrations

_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_head_moves_forward() RETURNS trigger AS $$
DECLARE
    last_seq bigint;
    last_hash varchar;
    followed varchar;
    moved bigint := 0;
    step record;
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
    IF NEW.id <> OLD.id OR NEW.seq <= OLD.seq THEN
        RAISE EXCEPTION 'the audit chain head only moves forward: #% to #% refused',
            OLD.seq, NEW.seq USING ERRCODE = 'insufficient_privilege';
    END IF;
    followed := OLD.last_hash;
    FOR step IN SELECT seq, prev_hash, record_hash FROM audit_auditrecord
            WHERE seq > OLD.seq AND seq <= NEW.seq ORDER BY seq LOOP
        IF step.seq <> OLD.seq + moved + 1 OR step.prev_hash <> followed THEN
            EXIT;
        END IF;
        followed := step.record_hash;
        moved := moved + 1;
    END LOOP;
    IF moved <> NEW.seq - OLD.seq OR followed <> NEW.last_hash THEN
        RAISE EXCEPTION 'the audit chain head must name record #% that follows it', NEW.seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


_MIGRATION_0004 = import_module("portal.audit.migrations.0004_postgres_head_moves_forward")


def _replace(function: str) -> Any:
    def replace(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            # As migration 0004: a fixed search path, temporary schema last.
            _MIGRATION_0004.function_create(schema_editor, function)

    return replace


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_postgres_head_moves_forward")]

    operations = [migrations.RunPython(_replace(_FUNCTION), _replace(_MIGRATION_0004._FUNCTION))]
