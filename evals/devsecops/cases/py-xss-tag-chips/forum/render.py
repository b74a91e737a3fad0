from markupsafe import Markup

from forum.models import Thread


def render_tags(thread: Thread) -> Markup:
    parts = [Markup(f'<span class="tag">{tag.name}</span>') for tag in thread.tags]
    return Markup(" ").join(parts)


def register(app) -> None:
    app.jinja_env.globals["render_tags"] = render_tags
