from flask import Flask, render_template_string, request

app = Flask(__name__)


@app.get("/welcome")
def welcome():
    name = request.args.get("name", "guest")
    template = "<h1>Welcome back, " + name + "!</h1><p>Your dashboard is ready.</p>"
    return render_template_string(template)
