from fastapi import FastAPI, Query
from sqlalchemy import create_engine, text

engine = create_engine("postgresql+psycopg://catalog@db/catalog")
app = FastAPI()

SORT_COLUMNS = {"name": "name", "price": "price", "newest": "created_at DESC"}


@app.get("/products")
def list_products(sort: str = Query("name"), limit: int = Query(20, le=100)):
    column = SORT_COLUMNS.get(sort, "name")
    stmt = text(f"SELECT sku, name, price FROM products ORDER BY {column} LIMIT :limit")
    with engine.connect() as conn:
        rows = conn.execute(stmt, {"limit": limit}).mappings().all()
    return [dict(r) for r in rows]
