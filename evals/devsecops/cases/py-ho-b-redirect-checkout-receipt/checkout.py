import os

from flask import Flask, redirect, render_template, request, session, url_for

from shop.orders import finalize_order, load_order

app = Flask(__name__)
app.secret_key = os.environ["SHOP_SECRET_KEY"]


@app.get("/cart")
def cart():
    return render_template("cart.html")


@app.get("/orders/<int:order_id>/receipt")
def receipt(order_id):
    return render_template("receipt.html", order=load_order(order_id))


@app.post("/checkout/complete")
def complete_checkout():
    cart_id = session.get("cart_id")
    if cart_id is None:
        return redirect(url_for("cart"))
    order = finalize_order(cart_id)
    session.pop("cart_id")
    targets = {"receipt": url_for("receipt", order_id=order.id)}
    targets["continue"] = request.form.get("continue_url") or targets["receipt"]
    app.logger.info("order %s placed, continue_url=%r", order.id, targets["continue"])
    return redirect(targets["receipt"])
