from markupsafe import Markup

from forum.models import Thread

TAG_HTML = Markup('<span class="tag">{}</span>')


def render_tags(thread: Thread) -> Markup:
    parts = [TAG_HTML.format(tag.name) for tag in thread.tags]
    return Markup(" ").join(parts)


def register(app) -> None:
    app.jinja_env.globals["render_tags"] = render_tags
