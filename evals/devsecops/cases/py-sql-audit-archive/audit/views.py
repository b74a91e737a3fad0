from django.db import connection
from django.http import JsonResponse

ARCHIVE_TABLE = "audit_events_archive"


def archive_audit_events(request):
    tenant = request.POST["tenant"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ARCHIVE_TABLE} SELECT * FROM audit_events "
            "WHERE tenant_slug = %s AND created < now() - interval '90 days'",
            [tenant],
        )
        moved = cursor.rowcount
    return JsonResponse({"archived": moved})
