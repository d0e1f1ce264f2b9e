"""Django's SQLite backend, making the database file's folder on first connect.

Settings never touch the disk (importing them for `manage.py profile_dataset`
must leave no `var/` behind); the folder of the embedded default database is
made only when something actually opens it.
"""
from pathlib import Path

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        database = str(conn_params.get("database", ""))
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
