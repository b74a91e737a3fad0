# ruff: noqa
# mypy: ignore-errors
# Test cases for python-web.yaml (semgrep --test). Deliberately vulnerable code: never import it.
import os
import re

import jinja2
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect as django_redirect
from django.utils.html import escape as django_escape, format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from flask import (
    Flask,
    Response,
    jsonify,
    make_response,
    redirect,
    render_template,
    render_template_string,
    request,
    session,
    url_for,
)
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from markupsafe import Markup, escape

app = Flask(__name__)
ALLOWED_ROLES = {"viewer", "editor"}

# --- Django settings ----------------------------------------------------------------------------------
SECRET_KEY_FILE = "/run/secrets/django"
# ruleid: python-django-debug-enabled
DEBUG = True
ALLOWED_HOSTS = ["app.example.com"]
# ok: python-django-debug-enabled
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
# ruleid: python-cookie-missing-secure
SESSION_COOKIE_SECURE = False
# ok: python-cookie-missing-secure
CSRF_COOKIE_SECURE = True
# ruleid: python-cookie-missing-httponly
SESSION_COOKIE_HTTPONLY = False
# ruleid: python-cookie-missing-samesite
SESSION_COOKIE_SAMESITE = None
# ok: python-cookie-missing-samesite
CSRF_COOKIE_SAMESITE = "Strict"


class DevelopmentConfig:
    # A development config class is chosen at run time, not a deployed setting.
    # ok: python-django-debug-enabled
    DEBUG = True


# --- XSS --------------------------------------------------------------------------------------------
@app.route("/hello")
def hello():
    name = request.args.get("name", "")
    # ruleid: python-reflected-xss
    return f"<h1>Hello {name}</h1>"


@app.route("/search")
def search():
    q = request.args["q"]
    # ruleid: python-reflected-xss
    resp = make_response("<p>No results for " + q + "</p>")
    # ok: python-reflected-xss
    return resp


@app.route("/user/<username>")
def profile(username):
    # ruleid: python-reflected-xss, python-xss-markup-from-formatted-string
    banner = Markup("<b>%s</b>" % username)
    # ok: python-reflected-xss
    return render_template("profile.html", username=username, banner=banner)


@app.route("/greet")
def greet():
    # ok: python-reflected-xss
    return f"<h1>Hello {escape(request.args.get('name', ''))}</h1>"


@app.route("/api/echo")
def echo():
    # ok: python-reflected-xss
    return jsonify(message=request.args.get("m"))


@app.route("/api/items")
def items():
    # ok: python-reflected-xss
    return {"query": request.args.get("q")}


@app.route("/api/items/v2")
def items_v2():
    # ok: python-reflected-xss
    resp = make_response({"query": request.args.get("q")})
    return resp


@app.route("/raw")
def raw():
    # ok: python-reflected-xss
    return Response(request.get_data(), mimetype="application/octet-stream")


@app.route("/count")
def count():
    # ok: python-reflected-xss
    return f"<p>{int(request.args.get('n', '0')) * 2} items</p>"


@app.route("/static-page")
def static_page():
    # ok: python-reflected-xss
    return Markup("<b>Welcome</b>")


def django_search(request):
    term = request.GET.get("term", "")
    # ruleid: python-reflected-xss
    return HttpResponse("<p>You searched for %s</p>" % term)


def django_comment(request):
    # ruleid: python-reflected-xss
    return mark_safe(request.POST["comment"])


def django_safe(request):
    term = request.GET.get("term", "")
    # ok: python-reflected-xss
    html = format_html("<p>You searched for {}</p>", term)
    # ok: python-reflected-xss
    page = HttpResponse("<p>%s</p>" % django_escape(term))
    # ok: python-reflected-xss
    data = HttpResponse(term, content_type="text/plain")
    # ok: python-reflected-xss
    return JsonResponse({"term": term})


# Flask 2 route shortcuts (@app.get, @bp.post) send a returned string as text/html too.
@app.get("/find")
def find():
    q = request.args.get("q", "")
    hits = [h for h in os.listdir("/srv/catalog") if q in h]
    if not hits:
        # ruleid: python-reflected-xss
        return f"<h2>No products match <em>{q}</em></h2>"
    items = "".join(f"<li>{escape(h)}</li>" for h in hits)
    # ok: python-reflected-xss
    return f"<ul>{items}</ul>"


@app.post("/find/escaped")
def find_escaped():
    q = request.form.get("q", "")
    # ok: python-reflected-xss
    return f"<h2>No products match <em>{escape(q)}</em></h2>"


def fastapi_echo(api):
    # FastAPI's @app.get serialises the return value as JSON: not an HTML response.
    @api.get("/echo")
    def echo_json(q: str):
        # ok: python-reflected-xss
        return f"<b>{q}</b>"


# --- HTML built by formatting, then declared safe (stored XSS: values from the database count too) ------
ICON_HTML = Markup('<svg class="icon"></svg>')
SITE_NAME = "Acme"


def render_tag_chips(thread):
    # ruleid: python-xss-markup-from-formatted-string
    parts = [Markup(f'<span class="tag">{tag.name}</span>') for tag in thread.tags]
    return Markup(" ").join(parts)


def render_profile_link(profile):
    # ruleid: python-xss-markup-from-formatted-string
    return mark_safe(f'<a href="{profile.website}" rel="nofollow">{profile.display_name}</a>')


def render_badges(user, comment):
    # ruleid: python-xss-markup-from-formatted-string
    badge = Markup("<b>" + user.nickname + "</b>")
    # ruleid: python-xss-markup-from-formatted-string
    title = Markup("<h3>%s</h3>" % comment.title)
    # ruleid: python-xss-markup-from-formatted-string
    quote = mark_safe("<q>%s by %s</q>" % (escape(comment.body), comment.author))
    # ruleid: python-xss-markup-from-formatted-string
    byline = Markup("<i>{}</i>".format(comment.author))
    snippet = f"<p>{comment.body}</p>"
    # ruleid: python-xss-markup-from-formatted-string
    body = mark_safe(snippet)
    return badge, title, quote, byline, body


def render_badges_escaped(user, comment):
    # ok: python-xss-markup-from-formatted-string
    badge = Markup("<b>{}</b>").format(user.nickname)
    # ok: python-xss-markup-from-formatted-string
    title = Markup(f"<h3>{escape(comment.title)}</h3>")
    # ok: python-xss-markup-from-formatted-string
    quote = mark_safe("<q>%s by %s</q>" % (django_escape(comment.body), django_escape(comment.author)))
    # ok: python-xss-markup-from-formatted-string
    link = format_html('<a href="{}">{}</a>', user.website, user.nickname)
    # ok: python-xss-markup-from-formatted-string
    header = Markup(f"{ICON_HTML} <b>{SITE_NAME}</b> ({len(comment.replies)})")
    # ok: python-xss-markup-from-formatted-string
    footer = Markup("<footer>" + escape(user.nickname) + "</footer>")
    # ok: python-xss-markup-from-formatted-string
    static = mark_safe("<hr>")
    return badge, title, quote, link, header, footer, static


# --- SSTI -------------------------------------------------------------------------------------------
@app.route("/preview")
def preview():
    # ruleid: python-template-injection
    return render_template_string("<p>" + request.args.get("body", "") + "</p>")


@app.route("/card/<title>")
def card(title):
    # ruleid: python-template-injection
    tpl = Template(f"<div class='card'>{title}</div>")
    env = Environment(autoescape=select_autoescape())
    # ruleid: python-template-injection
    env.from_string(request.form["template"]).render()
    # ok: python-template-injection
    return render_template_string("<div class='card'>{{ title }}</div>", title=title)


def render_report(template_text, rows):
    # Templates that are not request data (configuration, files in the repository) are fine.
    # ok: python-template-injection
    return jinja2.Template(template_text, autoescape=True).render(rows=rows)


# --- autoescape -------------------------------------------------------------------------------------
# ruleid: python-jinja2-autoescape-disabled
html_env = jinja2.Environment(loader=FileSystemLoader("templates"))
# ruleid: python-jinja2-autoescape-disabled
raw_env = Environment(loader=FileSystemLoader("templates"), autoescape=False)
# ok: python-jinja2-autoescape-disabled
safe_env = Environment(loader=FileSystemLoader("templates"), autoescape=select_autoescape(["html", "xml"]))
# ok: python-jinja2-autoescape-disabled
strict_env = jinja2.Environment(autoescape=True)
# ruleid: python-jinja2-autoescape-disabled
app.jinja_env.autoescape = False


# --- open redirect ----------------------------------------------------------------------------------
@app.route("/login/done")
def login_done():
    # ruleid: python-open-redirect
    return redirect(request.args.get("next"))


@app.route("/go/<path:target>")
def go(target):
    # ruleid: python-open-redirect
    return redirect(target, code=302)


@app.route("/login/ok")
def login_ok():
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("index")
    # ok: python-open-redirect
    return redirect(target)


@app.route("/to/<int:user_id>")
def to_user(user_id):
    # ok: python-open-redirect
    redirect(url_for("profile", username=request.args["u"]))
    # ok: python-open-redirect
    return redirect("/users/" + request.args["id"])


def django_next(request):
    nxt = request.GET.get("next", "/")
    if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=True):
        # ok: python-open-redirect
        return HttpResponseRedirect(nxt)
    # ruleid: python-open-redirect
    return django_redirect(request.POST["return_to"])


# --- cookies ----------------------------------------------------------------------------------------
@app.route("/set")
def set_cookies():
    resp = make_response("ok")
    # ruleid: python-cookie-missing-secure, python-cookie-missing-httponly, python-cookie-missing-samesite
    resp.set_cookie("theme", "dark")
    # ruleid: python-cookie-missing-secure
    resp.set_cookie("sid", "x", secure=False, httponly=True, samesite="Lax")
    # ruleid: python-cookie-missing-httponly
    resp.set_cookie("sid", "x", secure=True, samesite="Strict")
    # ruleid: python-cookie-missing-samesite
    resp.set_cookie("sid", "x", secure=True, httponly=True, samesite="None")
    # ok: python-cookie-missing-secure, python-cookie-missing-httponly, python-cookie-missing-samesite
    resp.set_cookie("sid", "x", secure=True, httponly=True, samesite="Lax")
    # ok: python-cookie-missing-secure, python-cookie-missing-httponly, python-cookie-missing-samesite
    resp.set_cookie("sid", "", expires=0)
    return resp


def jar_cases(jar, cookie):
    # ok: python-cookie-missing-secure, python-cookie-missing-httponly, python-cookie-missing-samesite
    jar.set_cookie(cookie)


# --- debug ------------------------------------------------------------------------------------------
def run_dev_server():
    # ruleid: python-flask-debug-enabled
    app.run(host="0.0.0.0", port=5000, debug=True)
    # ruleid: python-flask-debug-enabled
    app.config["DEBUG"] = True
    # ok: python-flask-debug-enabled
    app.run(host="127.0.0.1", port=5000, debug=os.environ.get("FLASK_DEBUG") == "1")
    # ok: python-flask-debug-enabled
    app.run(debug=False)


# --- session trust boundary -------------------------------------------------------------------------
@app.route("/prefs", methods=["POST"])
def prefs():
    # ruleid: python-session-trust-boundary
    session["role"] = request.form["role"]
    # ruleid: python-session-trust-boundary
    session.update(theme=request.form.get("theme"))
    # ok: python-session-trust-boundary
    session["page_size"] = int(request.form.get("page_size", "20"))
    role = request.form.get("requested_role", "")
    if role not in ALLOWED_ROLES:
        return "bad role", 400
    # ok: python-session-trust-boundary
    session["requested_role"] = role
    # ok: python-session-trust-boundary
    session["visits"] = session.get("visits", 0) + 1
    return "saved"


def django_prefs(request):
    # ruleid: python-session-trust-boundary
    request.session["user_id"] = request.POST.get("user_id")
    lang = request.GET.get("lang", "")
    if re.fullmatch(r"[a-z]{2}", lang):
        # ok: python-session-trust-boundary
        request.session["lang"] = lang
    return HttpResponse("ok")


@app.route("/trail")
def breadcrumb_trail():
    crumbs = ["Home", "Catalog"]
    crumbs.append(request.args.get("shelf", ""))
    last = crumbs[-1]
    # ruleid: python-reflected-xss
    return f"<h2>{last}</h2>"
