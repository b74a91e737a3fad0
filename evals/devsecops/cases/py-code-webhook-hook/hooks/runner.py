import json

from django.http import JsonResponse


def run_hook(source: str, event: dict) -> dict:
    scope = {"event": event, "result": {}}
    exec(source, scope)
    return scope["result"]


def on_event(request):
    script = request.POST.get("script", "")
    event = json.loads(request.POST.get("event", "{}"))
    return JsonResponse(run_hook(script, event))
