"""An SMTP sink for Vigie's tests: an aiosmtpd handler that writes each message it receives
into a folder, one JSON file per message (envelope, decoded headers and body, raw text,
whether the session was under TLS). `SMTP_SINK_DELAY_MS` makes it answer each message late.

    PYTHONPATH=tests/tools python3 -m aiosmtpd -n -l 127.0.0.1:2525 -c smtp_sink.FolderHandler DIR
"""

import asyncio
import email
import email.policy
import json
import os
import time
import uuid


class FolderHandler:
    """Accepts every message and writes it to `folder` (created if missing)."""

    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_sink.FolderHandler takes one argument: the folder")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        # A slow server, to catch a sender in the middle of a batch.
        delay = int(os.environ.get("SMTP_SINK_DELAY_MS", "0"))
        if delay:
            await asyncio.sleep(delay / 1000)
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "message_id": str(msg.get("Message-ID", "")),
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "subject": str(msg.get("Subject", "")),
            "body": part.get_content() if part is not None else "",
            "tls": session.ssl is not None,
            "raw": raw.decode("utf-8", "replace"),
        }
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.json"
        tmp = os.path.join(self.folder, "." + name)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        # Whole files only: a reader never sees half a message.
        os.rename(tmp, os.path.join(self.folder, name))
        return "250 2.0.0 Queued as " + name[:-5]
