"""Twilio adapter: SMS, WhatsApp and voice calls through the official SDK, or the console
when unconfigured.

Nothing else imports the twilio SDK. Errors come out as our own exceptions, split into
temporary (retry later) and permanent (record and stop), so the outbox job can decide.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

log = logging.getLogger("sweetshop.messages")
# Development only: the console backend's lines carry the message text (sweetshop/logs.py).
console_log = logging.getLogger("sweetshop.console_messages")

# Twilio error codes that will not get better by retrying: bad or unreachable numbers,
# opted-out recipients, WhatsApp template rules. https://www.twilio.com/docs/api/errors
PERMANENT_CODES = {21211, 21408, 21610, 21612, 21614, 21635, 21608, 21654, 63016, 63014,
                   63003, 21606, 21660}


class MessagingError(Exception):
    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


class TemporaryFailure(MessagingError):
    """429, 5xx, timeouts, connection errors: safe to retry after backing off."""


class PermanentFailure(MessagingError):
    """Invalid number, opted out, not allowed: retrying would fail the same way."""


class OutcomeUnknown(MessagingError):
    """The request may have reached Twilio and been accepted, but no answer came (a read
    timeout, a connection dropped after sending). Not safe to send again blindly: look the
    message up first (`find_sent`)."""


@dataclass
class Sent:
    sid: str
    status: str


def address(channel: str, phone: str) -> str:
    return f"whatsapp:{phone}" if channel == "whatsapp" else phone


class ConsoleMessenger:
    """Development backend: writes each message to the log and reports it sent."""

    name = "console"

    def send(self, *, to: str, channel: str, body: str, content_sid: str | None = None,
             variables: dict | None = None, status_callback: str | None = None,
             reference: str = "") -> Sent:
        # The one place message text reaches the log: sweetshop.logs marks these lines.
        console_log.info("[%s to %s] %s", channel.upper(), to, body)
        return Sent(sid=f"console-{reference}", status="sent")

    def find_sent(self, *, to: str, channel: str, body: str, since: datetime,
                  variables: dict | None = None, skip_sids=frozenset()) -> Sent | None:
        return None

    def call(self, *, to: str, twiml_url: str, status_callback: str | None = None,
             reference: str = "") -> Sent:
        log.info("[CALL to %s] %s", to, twiml_url)
        return Sent(sid=f"console-call-{reference}", status="queued")

    def find_call(self, *, to: str, since: datetime, skip_sids=frozenset()) -> Sent | None:
        return None

    def hang_up(self, sid: str) -> None:
        log.info("[HANG UP %s]", sid)


# A call's states, as Twilio names them, in the outbox's words (models/notifications
# STATUS_RANK): ringing or queued is "sent", picked up is "delivered" (answered), no answer
# is "undelivered".
CALL_STATUSES = {
    "queued": "sent", "initiated": "sent", "ringing": "sent", "in-progress": "delivered",
    "completed": "delivered", "busy": "undelivered", "no-answer": "undelivered",
    "canceled": "undelivered", "failed": "failed",
}


class TwilioMessenger:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, *, sms_from: str | None,
                 messaging_service_sid: str | None, whatsapp_from: str | None,
                 api_base: str | None, timeout: float, voice_from: str | None = None):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        http_client = TwilioHttpClient(timeout=timeout)
        if api_base:
            http_client = _rebased(http_client, api_base)
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.sms_from = sms_from
        self.messaging_service_sid = messaging_service_sid
        self.whatsapp_from = whatsapp_from
        self.voice_from = voice_from or sms_from

    def _sender(self, channel: str) -> dict:
        if channel == "whatsapp":
            if not self.whatsapp_from:
                raise PermanentFailure("TWILIO_WHATSAPP_FROM is not set", code="config")
            return {"from_": address("whatsapp", self.whatsapp_from)}
        if self.messaging_service_sid:
            return {"messaging_service_sid": self.messaging_service_sid}
        if not self.sms_from:
            raise PermanentFailure("TWILIO_SMS_FROM is not set", code="config")
        return {"from_": self.sms_from}

    def send(self, *, to: str, channel: str, body: str, content_sid: str | None = None,
             variables: dict | None = None, status_callback: str | None = None,
             reference: str = "") -> Sent:
        params = {"to": address(channel, to), **self._sender(channel)}
        if content_sid:
            params["content_sid"] = content_sid
            if variables:  # an empty variables string is refused by Twilio (twilio-python#892)
                params["content_variables"] = json.dumps({str(k): str(v)
                                                          for k, v in variables.items()})
        else:
            params["body"] = body
        if status_callback:
            params["status_callback"] = status_callback
        message = self._call(lambda: self.client.messages.create(**params), sending=True)
        return Sent(sid=message.sid, status=message.status or "queued")

    # Twilio's page size limit; one request covers a normal day of messages to one number.
    LOOKUP_PAGE_SIZE = 1000

    def find_sent(self, *, to: str, channel: str, body: str, since: datetime,
                  variables: dict | None = None, skip_sids=frozenset()) -> Sent | None:
        """Our message to this number created since `since`, if Twilio has it: how a send
        whose outcome is unknown (worker killed after Twilio accepted it, or an answer that
        came after our timeout) is found instead of sent again.

        Exhaustive: filtered by number and DateSent (Twilio filters by day, so creation time
        is checked here too), every page read. Ours means the same text (free text), or a
        template message showing every variable; `skip_sids` are messages other outbox
        rows already account for. (Twilio's list does not return the status-callback URL,
        so our row id travels the other way: a status callback carries it and records the
        SID on the row, which `deliver` checks before asking.)"""
        def matches(message) -> bool:
            if message.sid in skip_sids:
                return False
            created = message.date_created
            if created is not None and created < since:
                return False
            text = (message.body or "").strip()
            if body and text == body.strip():
                return True
            if channel == "whatsapp" and variables:
                return all(str(v) in text for v in variables.values())
            return False

        messages = self._call(lambda: self.client.messages.stream(
            to=address(channel, to), date_sent_after=since, limit=None,
            page_size=self.LOOKUP_PAGE_SIZE), paging=True)
        for message in messages:
            if matches(message):
                return Sent(sid=message.sid, status=message.status or "sent")
        return None

    def call(self, *, to: str, twiml_url: str, status_callback: str | None = None,
             reference: str = "") -> Sent:
        """Ring `to`; when answered, Twilio fetches its words from `twiml_url` (so they say
        what the order is by then). Errors as for `send`: a timeout is OutcomeUnknown."""
        if not self.voice_from:
            raise PermanentFailure("TWILIO_VOICE_FROM (or TWILIO_SMS_FROM) is not set",
                                   code="config")
        params = {"to": to, "from_": self.voice_from, "url": twiml_url, "timeout": 30}
        if status_callback:
            params.update(status_callback=status_callback, status_callback_method="POST",
                          status_callback_event=["initiated", "ringing", "answered",
                                                 "completed"])
        created = self._call(lambda: self.client.calls.create(**params), sending=True)
        return Sent(sid=created.sid, status=CALL_STATUSES.get(created.status or "", "sent"))

    def find_call(self, *, to: str, since: datetime, skip_sids=frozenset()) -> Sent | None:
        """Our call to `to` created since `since`, if Twilio has one: how a call whose
        outcome is unknown is found instead of made again. Only the shop calls the alert
        phones from its number, so any such call not accounted for by another outbox row
        (`skip_sids`) is this row's. Twilio lists calls newest first; reading stops at the
        first one older than `since` (queued calls have no start time, so the list is not
        filtered by it)."""
        def search():
            for found in self.client.calls.stream(to=to, page_size=self.LOOKUP_PAGE_SIZE):
                created = found.date_created
                if created is not None and created < since:
                    return None
                if found.sid not in skip_sids:
                    return Sent(sid=found.sid,
                                status=CALL_STATUSES.get(found.status or "", "sent"))
            return None

        return self._call(search)

    def hang_up(self, sid: str) -> None:
        """End a call that is no longer needed (the order was accepted meanwhile): a
        ringing call is cancelled, an answered one completed. Harmless if it already ended."""
        from twilio.base.exceptions import TwilioRestException

        def end():
            try:
                return self.client.calls(sid).update(status="canceled")
            except TwilioRestException:  # answered already: only "completed" ends it
                return self.client.calls(sid).update(status="completed")

        self._call(end)

    @staticmethod
    def _call(fn, *, sending: bool = False, paging: bool = False):
        """Run an SDK call, translating its errors. `sending`: a call that creates a message,
        where a timeout or dropped connection leaves the outcome unknown. `paging`: the call
        returns a lazy stream; it is read to the end here, so its errors are translated too."""
        from requests.exceptions import ConnectionError as RequestsConnectionError
        from requests.exceptions import ConnectTimeout
        from twilio.base.exceptions import TwilioException, TwilioRestException
        from urllib3.exceptions import NewConnectionError

        try:
            result = fn()
            return list(result) if paging else result
        except TwilioRestException as exc:
            code = exc.code
            if exc.status == 429 or exc.status >= 500:
                raise TemporaryFailure(str(exc.msg), code=str(code or exc.status)) from exc
            if code in PERMANENT_CODES or 400 <= exc.status < 500:
                raise PermanentFailure(str(exc.msg), code=str(code or exc.status)) from exc
            raise TemporaryFailure(str(exc.msg), code=str(code or exc.status)) from exc
        except (TwilioException, OSError) as exc:  # requests' errors are OSErrors
            never_connected = isinstance(exc, ConnectTimeout) or (
                isinstance(exc, RequestsConnectionError)
                and _caused_by(exc, (NewConnectionError, ConnectionRefusedError)))
            if sending and not never_connected:
                raise OutcomeUnknown(str(exc), code="unknown") from exc
            raise TemporaryFailure(str(exc), code="network") from exc


def _caused_by(exc: BaseException, kinds) -> bool:
    """Whether `exc` or anything it wraps (requests -> urllib3 -> socket) is one of `kinds`."""
    seen = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kinds):
            return True
        stack.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        stack.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
    return False


def _rebased(http_client, api_base: str):
    """Point the SDK at another host (tests' local fake): rewrite https://*.twilio.com."""
    import re

    original = http_client.request
    base = api_base.rstrip("/")

    def request(method, url, *args, **kwargs):
        return original(method, re.sub(r"^https://[a-z.-]*twilio\.com", base, url), *args,
                        **kwargs)

    http_client.request = request
    return http_client


def get_messenger(app=None):
    """The backend for this app: Twilio when credentials are set, else the console."""
    app = app or current_app
    cached = app.extensions.get("messenger")
    if cached is not None:
        return cached
    cfg = app.config
    if cfg.get("TWILIO_ACCOUNT_SID") and cfg.get("TWILIO_AUTH_TOKEN"):
        messenger = TwilioMessenger(
            cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"],
            sms_from=cfg.get("TWILIO_SMS_FROM"),
            messaging_service_sid=cfg.get("TWILIO_MESSAGING_SERVICE_SID"),
            whatsapp_from=cfg.get("TWILIO_WHATSAPP_FROM"),
            api_base=cfg.get("TWILIO_API_BASE"), timeout=cfg.get("TWILIO_TIMEOUT", 10),
            voice_from=cfg.get("TWILIO_VOICE_FROM"),
        )
    else:
        messenger = ConsoleMessenger()
    app.extensions["messenger"] = messenger
    return messenger


def validate_request(url: str, params, signature: str, app=None) -> bool:
    """Check X-Twilio-Signature with the SDK's validator (HMAC-SHA1 over URL and params)."""
    from twilio.request_validator import RequestValidator

    token = (app or current_app).config.get("TWILIO_AUTH_TOKEN")
    if not token or not signature:
        return False
    return RequestValidator(token).validate(url, params, signature)


def twiml_gather(text: str, *, language: str, action: str, repeat: str | None = None,
                 goodbye: str = "") -> str:
    """TwiML that speaks `text` and waits for one key (sent to `action`); without a key,
    says `goodbye` and hangs up."""
    from twilio.twiml.voice_response import VoiceResponse

    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=action, method="POST", timeout=6)
    gather.say(text, language=language)
    if goodbye:
        response.say(goodbye, language=language)
    response.hangup()
    return str(response)


def twiml_say(text: str, *, language: str, redirect: str | None = None) -> str:
    """TwiML that speaks `text`, then goes to `redirect` or hangs up."""
    from twilio.twiml.voice_response import VoiceResponse

    response = VoiceResponse()
    if text:
        response.say(text, language=language)
    if redirect:
        response.redirect(redirect, method="POST")
    else:
        response.hangup()
    return str(response)


def twiml_message(text: str) -> str:
    """A TwiML reply carrying one message (answering an incoming WhatsApp message)."""
    from twilio.twiml.messaging_response import MessagingResponse

    response = MessagingResponse()
    response.message(text)
    return str(response)
