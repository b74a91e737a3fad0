import psycopg2

DB_HOST = "warehouse-prod.cluster-c8x2.eu-west-1.rds.amazonaws.com"
DB_USER = "etl_writer"
DB_PASSWORD = "Wq7!pL2#vR9zTm4e"


def connect():
    return psycopg2.connect(host=DB_HOST, user=DB_USER, password=DB_PASSWORD, dbname="warehouse",
                            sslmode="require")


def load_rows(rows):
    with connect() as conn, conn.cursor() as cur:
        cur.executemany("INSERT INTO staging_events VALUES (%s, %s, %s)", rows)
