from django.contrib.auth import authenticate, login
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme


def sign_in(request):
    if request.method == "GET":
        return render(request, "accounts/login.html")
    user = authenticate(request, username=request.POST["email"], password=request.POST["password"])
    if user is None:
        return render(request, "accounts/login.html", {"error": "Wrong e-mail or password"}, status=401)
    login(request, user)
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=True):
        target = "/"
    return redirect(target)
