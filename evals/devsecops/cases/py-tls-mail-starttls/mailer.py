import smtplib
import ssl
from email.message import EmailMessage

RELAY_CA = "/etc/ssl/certs/mail-relay-ca.pem"


def send(message: EmailMessage, host: str = "smtp.mail-relay.net", user: str = "", password: str = "") -> None:
    context = ssl.create_default_context(cafile=RELAY_CA)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with smtplib.SMTP(host, 587, timeout=15) as smtp:
        smtp.starttls(context=context)
        if user:
            smtp.login(user, password)
        smtp.send_message(message)
