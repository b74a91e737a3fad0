from jinja2 import Environment, FileSystemLoader

env = Environment(loader=FileSystemLoader("digest/templates"), autoescape=False)


def render_digest(user, comments) -> str:
    template = env.get_template("weekly_digest.html")
    return template.render(user=user, comments=comments)


def send_digest(mailer, user, comments) -> None:
    mailer.send(to=user.email, subject="Your weekly digest", html=render_digest(user, comments))
