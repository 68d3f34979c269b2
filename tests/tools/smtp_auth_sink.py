"""An SMTP server for Vigie's tests that requires STARTTLS and then authentication (PLAIN or
LOGIN) with one user and password, keeping messages like smtp_sink.FolderHandler.

    PYTHONPATH=tests/tools python3 tests/tools/smtp_auth_sink.py PORT DIR CERT KEY USER PASSWORD
"""

import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from smtp_sink import FolderHandler


def main():
    port, folder, cert, key, user, password = sys.argv[1:7]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        FolderHandler(folder),
        hostname="127.0.0.1",
        port=int(port),
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
