from flask import Flask, abort, render_template_string, request
from flask_login import current_user, login_required

from helpdesk.tickets import get_ticket

app = Flask(__name__)

REPLY_HEAD = "<div class='reply'><p>Hello {{ ticket.requester_name }},</p>"
REPLY_FOOT = "<p>Ticket #{{ ticket.id }} &middot; {{ agent }}</p></div>"


@app.post("/tickets/<int:ticket_id>/reply-preview")
@login_required
def reply_preview(ticket_id: int):
    ticket = get_ticket(ticket_id, assignee=current_user)
    if ticket is None:
        abort(404)
    message = request.form.get("message", "")
    page = REPLY_HEAD + "<p>{{ message }}</p>" + REPLY_FOOT
    return render_template_string(page, ticket=ticket, message=message, agent=current_user.display_name)
