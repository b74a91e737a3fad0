import psycopg2

OVERDUE_SQL = """
    SELECT number, amount, due_date FROM invoices
    WHERE customer_id = %s AND due_date < now() - make_interval(days => %s)
"""


def overdue_invoices(conn, customer_id: str, days: int):
    with conn.cursor() as cur:
        cur.execute(OVERDUE_SQL, (customer_id, days))
        return cur.fetchall()


def handler(event, context):
    conn = psycopg2.connect(dsn=context["dsn"])
    params = event["queryStringParameters"]
    return overdue_invoices(conn, params["customer"], int(params.get("days", "30")))
