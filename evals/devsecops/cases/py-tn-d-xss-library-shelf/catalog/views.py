from flask import Blueprint, request

from catalog.search import titles_on_shelf

bp = Blueprint("catalog", __name__)


@bp.get("/catalog/shelf")
def shelf_page():
    shelf = request.args.get("shelf", "fiction")
    trail = ["Home", "Catalog"]
    trail.append(shelf)
    heading = trail[1]
    count = len(titles_on_shelf(shelf))
    crumbs = " &rsaquo; ".join(trail[:2])
    return f"<nav>{crumbs}</nav><h2>{heading}</h2><p>{count} titles on this shelf.</p>"
