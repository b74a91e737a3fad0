from html import escape

from flask import Flask, request

from payroll.staff import search_employees

app = Flask(__name__)

FORM = '''<form action="/employees" method="get">
  <input name="q" value="{value}" placeholder="Name or department">
  <button>Search</button>
</form>'''


@app.get("/employees")
def employee_search():
    raw = request.args.get("q", "")
    rows = search_employees(raw)
    listing = "".join(
        f"<tr><td>{escape(r.full_name)}</td><td>{escape(r.department)}</td></tr>" for r in rows
    )
    return FORM.format(value=escape(raw)) + f"<table>{listing}</table>"
