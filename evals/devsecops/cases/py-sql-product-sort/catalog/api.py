from fastapi import FastAPI, Query
from sqlalchemy import create_engine, text

engine = create_engine("postgresql+psycopg://catalog@db/catalog")
app = FastAPI()


@app.get("/products")
def list_products(sort: str = Query("name"), limit: int = Query(20, le=100)):
    stmt = text("SELECT sku, name, price FROM products ORDER BY " + sort + " LIMIT :limit")
    with engine.connect() as conn:
        rows = conn.execute(stmt, {"limit": limit}).mappings().all()
    return [dict(r) for r in rows]
