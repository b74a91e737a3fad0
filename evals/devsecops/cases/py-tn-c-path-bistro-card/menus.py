import os

from flask import Flask, Response, request

app = Flask(__name__)
MENU_DIR = "/srv/bistro/menus"


@app.get("/menus/print")
def printable_menu():
    menus = ["lunch.txt", "dinner.txt"]
    menus.append(request.args.get("menu", "lunch.txt"))
    menus.remove("lunch.txt")
    chosen = menus[0]
    with open(os.path.join(MENU_DIR, chosen), encoding="utf-8") as fh:
        text = fh.read()
    return Response(text, mimetype="text/plain")
