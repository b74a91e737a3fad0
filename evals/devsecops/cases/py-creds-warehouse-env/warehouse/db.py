import os

import psycopg2

DB_HOST = "warehouse-prod.cluster-c8x2.eu-west-1.rds.amazonaws.com"
DB_USER = "etl_writer"
DB_PASSWORD_ENV = "WAREHOUSE_DB_PASSWORD"


def connect():
    return psycopg2.connect(host=DB_HOST, user=DB_USER, password=os.environ[DB_PASSWORD_ENV], dbname="warehouse",
                            sslmode="require")


def load_rows(rows):
    with connect() as conn, conn.cursor() as cur:
        cur.executemany("INSERT INTO staging_events VALUES (%s, %s, %s)", rows)
