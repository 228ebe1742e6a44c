"""On PostgreSQL, the database itself refuses to change or remove audit records.

UPDATE, DELETE and TRUNCATE on the records raise; the chain head may be updated (every append
moves it) but not deleted or truncated. Other databases rely on the model's refusals and on
``audit_verify``. Maintenance that must bypass this (e.g. a test database being flushed) needs
a superuser's ``SET session_replication_role = replica``.
"""

from typing import Any

from django.db import migrations

_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

_INSTALL = [
    _FUNCTION,
    "CREATE TRIGGER audit_record_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditrecord"
    " FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();",
    "CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_auditrecord"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();",
    "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_auditchainhead"
    " FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();",
    "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_auditchainhead"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();",
]

_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_record_no_update_delete ON audit_auditrecord;",
    "DROP TRIGGER IF EXISTS audit_record_no_truncate ON audit_auditrecord;",
    "DROP TRIGGER IF EXISTS audit_head_no_delete ON audit_auditchainhead;",
    "DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_auditchainhead;",
    "DROP FUNCTION IF EXISTS audit_refuse_change();",
]


def _run(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(_run(_INSTALL), _run(_REMOVE))]
