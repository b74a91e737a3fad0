from jinja2 import Template

from notify.models import Order


def preview_email(request):
    body = request.json["body_template"]
    order = Order.objects.get(pk=request.json["order_id"])
    html = Template(body).render(order=order, customer=order.customer)
    return {"html": html}
