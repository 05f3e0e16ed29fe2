"""What a Python application does through pgrelay with psycopg2 (libpq underneath).

Usage: psycopg2_check.py HOST PORT USER PASSWORD DBNAME TABLE
Prints one line per check ("ok <name>"); exits non-zero at the first failure.
"""
import io
import select
import sys

import psycopg2
import psycopg2.extensions
import psycopg2.extras

host, port, user, password, dbname, table = sys.argv[1:7]


def connect():
    return psycopg2.connect(host=host, port=port, user=user, password=password, dbname=dbname,
                            application_name="psycopg2-check")


def ok(name):
    print("ok", name, flush=True)


conn = connect()
cur = conn.cursor()
cur.execute(f"CREATE TABLE {table} (id serial PRIMARY KEY, v text, n numeric, at timestamptz DEFAULT now())")
conn.commit()
ok("ddl in a transaction")

psycopg2.extras.execute_batch(cur, f"INSERT INTO {table} (v, n) VALUES (%s, %s)",
                              [(f"row {i} \u00e9\u4e2d", i * 1.5) for i in range(200)])
conn.commit()
cur.execute(f"SELECT count(*), sum(n) FROM {table}")
assert cur.fetchone() == (200, 29850), "batch insert"
ok("execute_batch")

cur.execute(f"UPDATE {table} SET v = 'rolled back' WHERE id = 1")
conn.rollback()
cur.execute(f"SELECT v FROM {table} WHERE id = 1")
assert cur.fetchone()[0] == "row 0 \u00e9\u4e2d", "rollback"
conn.commit()
ok("rollback and unicode")

try:
    cur.execute("SELECT 1 / 0")
    raise AssertionError("division by zero did not fail")
except psycopg2.errors.DivisionByZero as e:
    assert e.pgcode == "22012"
conn.rollback()
cur.execute("SELECT 42")
assert cur.fetchone()[0] == 42
ok("error with its SQLSTATE, then the session goes on")

buf = io.StringIO("".join(f"copied {i}\t{i}\n" for i in range(1000)))
cur.copy_expert(f"COPY {table} (v, n) FROM STDIN", buf)
# Same transaction: after a write its reads stay on the primary (disable_load_balance_on_write),
# where the copied rows are; a later transaction could read a standby that has not caught up.
out = io.StringIO()
cur.copy_expert(f"COPY (SELECT v FROM {table} WHERE v LIKE 'copied %' ORDER BY id) TO STDOUT", out)
lines = out.getvalue().splitlines()
assert len(lines) == 1000 and lines[999] == "copied 999", "copy out"
conn.commit()
ok("COPY FROM STDIN and TO STDOUT")

with conn.cursor(name="big") as named:  # DECLARE ... CURSOR inside a transaction, FETCH in batches
    named.itersize = 100
    named.execute(f"SELECT id FROM {table} ORDER BY id")
    ids = [r[0] for r in named]
assert len(ids) == 1200, f"server-side cursor gave {len(ids)} rows"
conn.commit()
ok("server-side cursor")

cur.execute("SET search_path TO public, pg_catalog")
cur.execute("SHOW search_path")
assert cur.fetchone()[0] == "public, pg_catalog"
conn.commit()
ok("SET and SHOW")

listener = connect()
listener.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
lcur = listener.cursor()
lcur.execute("LISTEN drv_channel")
cur.execute("NOTIFY drv_channel, 'hello'")
conn.commit()
if select.select([listener], [], [], 10) == ([], [], []):
    raise AssertionError("no notification within 10 s")
listener.poll()
assert listener.notifies and listener.notifies[0].payload == "hello", "notify payload"
listener.close()
ok("LISTEN/NOTIFY")

conn.set_session(readonly=True)
# may be balanced to the standby: only rows committed well before are certain to be there
cur.execute(f"SELECT count(*) FROM {table} WHERE id <= 200")
assert cur.fetchone()[0] == 200
conn.commit()
conn.set_session(readonly=False)
ok("read-only transaction")

cancel_conn = connect()
ccur = cancel_conn.cursor()
import threading
threading.Timer(0.5, cancel_conn.cancel).start()
try:
    ccur.execute("SELECT pg_sleep(20)")
    raise AssertionError("pg_sleep was not cancelled")
except psycopg2.errors.QueryCanceled:
    pass
cancel_conn.rollback()
ccur.execute("SELECT 1")
cancel_conn.close()
ok("cancel")

conn.close()
print("all ok", flush=True)
