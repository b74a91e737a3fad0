from flask import Flask, request

app = Flask(__name__)

CLINIC_NAME = "Harbor Family Clinic"
FRONT_DESK = "(555) 201-4410"


@app.get("/appointments/thanks")
def appointment_thanks():
    patient = request.args.get("patient", "")
    if (6 * 7) - 40 > 5:
        salutation = f"Dear {patient}"
    else:
        salutation = "Dear patient"
    return f"<h1>{CLINIC_NAME}</h1><p>{salutation}, your appointment request was received. Call {FRONT_DESK} to change it.</p>"
