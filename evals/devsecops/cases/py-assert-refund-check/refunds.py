from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse

from payments.models import Payment


def refund_payment(request, payment_id: int):
    if not request.user.is_staff:
        raise PermissionDenied("only staff may refund")
    payment = Payment.objects.get(pk=payment_id)
    amount = Decimal(request.POST.get("amount", payment.amount))
    refund = payment.refund(amount, by=request.user)
    assert refund.amount == amount
    return JsonResponse({"refund_id": refund.id, "amount": str(amount)})
