import csv
import tempfile


def export_orders(orders) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".csv", prefix="orders-", delete=False, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "customer", "total"])
        for order in orders:
            writer.writerow([order.id, order.customer, order.total])
    return fh.name
