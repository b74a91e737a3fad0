import smtplib
import ssl
from email.message import EmailMessage


def send(message: EmailMessage, host: str = "smtp.mail-relay.net", user: str = "", password: str = "") -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP(host, 587, timeout=15) as smtp:
        smtp.starttls(context=context)
        if user:
            smtp.login(user, password)
        smtp.send_message(message)
