from django.db import connection
from django.http import JsonResponse


def _tenant_clause(tenant: str) -> str:
    return "tenant_slug = '{}'".format(tenant)


def purge_audit_events(request):
    tenant = request.POST["tenant"]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_events WHERE created < now() - interval '90 days' AND "
                       + _tenant_clause(tenant))
        deleted = cursor.rowcount
    return JsonResponse({"deleted": deleted})
