from jinja2.sandbox import SandboxedEnvironment

from notify.models import Order

env = SandboxedEnvironment(autoescape=True)


def preview_email(request):
    body = request.json["body_template"]
    order = Order.objects.get(pk=request.json["order_id"])
    context = {"number": order.number, "total": str(order.total), "first_name": order.customer.first_name}
    html = env.from_string(body).render(order=context)
    return {"html": html}
