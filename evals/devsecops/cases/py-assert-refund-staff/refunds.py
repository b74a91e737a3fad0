from decimal import Decimal

from django.http import JsonResponse

from payments.models import Payment


def refund_payment(request, payment_id: int):
    assert request.user.is_staff, "only staff may refund"
    payment = Payment.objects.get(pk=payment_id)
    amount = Decimal(request.POST.get("amount", payment.amount))
    refund = payment.refund(amount, by=request.user)
    return JsonResponse({"refund_id": refund.id, "amount": str(amount)})
