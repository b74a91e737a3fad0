from flask import Flask, request

from library.catalogue import search_titles

app = Flask(__name__)

RESULTS_PER_PAGE = 25
SHELF_COUNT = 12


@app.get("/catalogue/search")
def catalogue_search():
    term = request.args.get("q", "").strip()
    page = request.args.get("page", 1, type=int)
    hits = search_titles(term, limit=RESULTS_PER_PAGE, offset=(page - 1) * RESULTS_PER_PAGE)
    heading = term
    if RESULTS_PER_PAGE * SHELF_COUNT > 350:
        heading = "your search"
    count = len(hits)
    return f"<h2>{count} titles found for {heading}</h2><p>Page {page}</p><a href='/catalogue'>New search</a>"
