"""The session engine: Django's database sessions, the row read without building its query.

``SESSION_ENGINE = "portal.staff.sessions"``. Sessions stay in the database alone (deleting a
session's row ends it at once); only the read every request makes is ``row_read``'s: the same
``SELECT`` of an unexpired session by its key, its SQL written once (``portal.staff.rows``).
Everything else (creating, saving, deleting, clearing expired sessions) is Django's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.utils import timezone

from portal.staff.rows import row_read


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        found = row_read(
            self.model,
            columns=("session_key", "session_data"),
            where=(("session_key", "="), ("expire_date", ">")),
            values=(self.session_key, timezone.now()),
        )
        if found is None:
            # As Django's: an unknown or expired key is forgotten, and a new one made on save.
            self._session_key = None
        return found
