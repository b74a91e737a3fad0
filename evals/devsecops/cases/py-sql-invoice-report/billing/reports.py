import psycopg2


def overdue_invoices(conn, customer_id: str, days: str):
    query = ("SELECT number, amount, due_date FROM invoices "
             "WHERE customer_id = '%s' AND due_date < now() - interval '%s days'" % (customer_id, days))
    with conn.cursor() as cur:
        cur.execute(query)
        return cur.fetchall()


def handler(event, context):
    conn = psycopg2.connect(dsn=context["dsn"])
    params = event["queryStringParameters"]
    return overdue_invoices(conn, params["customer"], params.get("days", "30"))
