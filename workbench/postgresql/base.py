"""Django's PostgreSQL backend, with batches sized for parameters bound by the server.

With prepared statements (``DATABASE_PREPARED_STATEMENTS``, settings.py) psycopg sends the
parameters apart from the statement, and the protocol allows at most 65,535 of them in one
statement; bound on the client, as Django does by default, they had no limit, so Django does not
split its own batches on PostgreSQL. Here they are split as on SQLite: the deletion collector's
``IN`` lists (deleting an article with 66,000 claims failed), ``bulk_update`` and
``bulk_create`` ask ``bulk_batch_size``.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, operations

# The protocol's limit on the parameters of one statement (a 16-bit count).
MAX_PARAMETERS = 65_535


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields: Any, objs: Any) -> int:
        if not self.connection.settings_dict["OPTIONS"].get("server_side_binding"):
            return super().bulk_batch_size(fields, objs)
        return max(1, MAX_PARAMETERS // max(1, len(fields)))


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
