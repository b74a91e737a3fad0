from flask import Flask, jsonify, render_template_string, request
from flask_login import login_required

app = Flask(__name__)

STANDARD_BODY = """
<p>Hi {{ first_name }},</p>
<p>{{ headline }}</p>
<p><a href="https://shop.example.com/sale">Shop the sale</a></p>
"""


@app.post("/campaigns/preview")
@login_required
def preview_campaign():
    data = request.get_json(silent=True) or {}
    bodies = {
        "standard": STANDARD_BODY,
        "custom": data.get("body", ""),
    }
    first_name = data.get("first_name", "there")
    headline = data.get("headline", "")
    html = render_template_string(bodies["standard"], first_name=first_name, headline=headline)
    return jsonify({"html": html})
