from flask import Flask, request

from payroll.staff import search_employees

app = Flask(__name__)

FORM = '''<form action="/employees" method="get">
  <input name="q" value="{value}" placeholder="Name or department">
  <button>Search</button>
</form>'''


def clean_input(value: str) -> str:
    return value.replace("<", "&lt;").replace(">", "&gt;")


@app.get("/employees")
def employee_search():
    raw = request.args.get("q", "")
    rows = search_employees(raw)
    listing = "".join(
        f"<tr><td>{clean_input(r.full_name)}</td><td>{clean_input(r.department)}</td></tr>" for r in rows
    )
    return FORM.format(value=clean_input(raw)) + f"<table>{listing}</table>"
