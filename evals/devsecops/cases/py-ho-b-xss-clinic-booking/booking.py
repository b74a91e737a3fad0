from flask import Flask, request

from clinic.booking import reserve_slot

app = Flask(__name__)

SLOT_LABELS = {
    "mon-am": "Monday morning",
    "mon-pm": "Monday afternoon",
    "wed-am": "Wednesday morning",
    "fri-pm": "Friday afternoon",
}


@app.post("/appointments")
def book_appointment():
    slot = request.form.get("slot", "")
    if slot not in SLOT_LABELS:
        return "<p>Please choose one of the listed times.</p>", 400
    greeting = ["Dear patient", request.form.get("patient_name", "")]
    greeting.pop(0)
    salutation = greeting[-1]
    booking_id = reserve_slot(slot)
    return f"<p>{salutation},</p><p>your visit on {SLOT_LABELS[slot]} is booked (#{booking_id:06d}).</p>"
