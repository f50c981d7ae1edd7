"""The sandbox's REST API (the contract in adapters/sandbox/client.py), under /sandbox/api.

Authenticated by `Authorization: Bearer <key>`, compared in constant time with the sandbox
installation's own `api_key`; no cookies, so CSRF does not apply. Errors are JSON with a reason.
"""

from __future__ import annotations

import hmac
import logging
from functools import wraps

from flask import Blueprint, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from adapters.events import RECOMMENDATION_WORDS
from connector.models import SandboxNote, utcnow
from connector.sandbox import board
from connector.sandbox.blueprint import bp, services

api = Blueprint("api", __name__, url_prefix="/api")
bp.register_blueprint(api)  # under /sandbox: the sandbox's checks and headers apply to it too
log = logging.getLogger("connector.sandbox")

MAX_NOTE_CHARACTERS = 50_000
RECOMMENDATIONS = tuple(RECOMMENDATION_WORDS)


class _Strict(Schema):
    class Meta:
        unknown = RAISE  # a field the board does not keep is refused, not silently dropped


class NoteSchema(_Strict):
    body = fields.String(required=True, validate=validate.Length(1, MAX_NOTE_CHARACTERS))


class FieldsSchema(_Strict):
    score = fields.Float(allow_none=True, load_default=None, allow_nan=False,
                         validate=validate.Range(0, 5))
    recommendation = fields.String(allow_none=True, load_default=None,
                                   validate=validate.OneOf(RECOMMENDATIONS))
    review_url = fields.Url(allow_none=True, load_default=None, require_tld=False,
                            schemes={"http", "https"}, validate=validate.Length(max=1000))


class MoveSchema(_Strict):
    stage_id = fields.String(required=True, validate=validate.OneOf(list(board.BY_ID)))
    # Where the mover read the card last: a card moved since then is not moved again (422).
    from_stage_id = fields.String(load_default=None)


def _error(status: int, reason: str, detail=""):
    return jsonify(error=reason, detail=detail), status


class _Refused(Exception):
    """A request the API answers with an error of its own shape (see `_refused`)."""

    def __init__(self, status: int, reason: str, detail: str):
        super().__init__(detail)
        self.status, self.reason, self.detail = status, reason, detail


def authenticated(view):
    """Only a bearer key equal to the sandbox installation's api_key; 401 otherwise."""

    @wraps(view)
    def wrapped(application_id: str):
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        with services().db.session() as db:
            installation = board.installation_of(db)
            key = "" if installation is None else services().keyring.decrypt_json(
                installation.credentials_encrypted).get("api_key", "")
        if scheme.lower() != "bearer" or not key or not hmac.compare_digest(
                given.strip().encode(), key.encode()):
            response = _error(401, "unauthorized", "a valid bearer key is required")
            response[0].headers["WWW-Authenticate"] = 'Bearer realm="sandbox"'
            return response
        return view(application_id)

    return wrapped


def _load(schema: Schema) -> dict:
    """The JSON body through a schema; raises ValidationError (422) or _Refused (400)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise _Refused(400, "bad_request", "send a JSON object")
    return schema.load(data)


@api.errorhandler(ValidationError)
def _invalid(exc: ValidationError):
    return _error(422, "invalid", exc.messages)


@api.errorhandler(_Refused)
def _refused(exc: _Refused):
    return _error(exc.status, exc.reason, exc.detail)


@api.get("/applications/<application_id>")
@authenticated
def get_application(application_id: str):
    with services().db.session() as db:
        card = _card(db, application_id)
        return jsonify(id=card.application_id, stage_id=card.column)


@api.get("/applications/<application_id>/notes")
@authenticated
def list_notes(application_id: str):
    with services().db.session() as db:
        card = _card(db, application_id)
        return jsonify([_note(n) for n in card.notes])


@api.post("/applications/<application_id>/notes")
@authenticated
def create_note(application_id: str):
    data = _load(NoteSchema())
    with services().db.session() as db:
        card = _card(db, application_id)
        note = SandboxNote(card_id=card.id, body=data["body"], created_at=utcnow())
        db.add(note)
        db.flush()
        return jsonify(_note(note)), 201


@api.put("/applications/<application_id>/fields")
@authenticated
def put_fields(application_id: str):
    data = _load(FieldsSchema())
    with services().db.session() as db:
        card = _card(db, application_id)
        card.fields = data
        card.updated_at = utcnow()
        return jsonify(fields=data)


@api.post("/applications/<application_id>/move")
@authenticated
def move(application_id: str):
    data = _load(MoveSchema())
    with services().db.session() as db:
        card = _card(db, application_id)
        if data["from_stage_id"] not in (None, card.column):
            # 422 as Greenhouse answers a stale from_stage_id: a retry must not undo that move.
            raise _Refused(422, "stage_changed", "the application is no longer in from_stage_id")
        moved = board.move(db, card, data["stage_id"])
    if moved is not None:  # an ATS reports every move, whoever made it
        services().queue.enqueue(board.WEBHOOK_JOB, *moved.args())
    return jsonify(stage_id=data["stage_id"])


def _card(db, application_id: str):
    """The sandbox's card for this application; _Refused (404) when there is none."""
    installation = board.installation_of(db)
    card = board.card_by_application(db, installation, application_id) if installation else None
    if card is None:
        raise _Refused(404, "not_found", "no such application")
    return card


def _note(note: SandboxNote) -> dict:
    return {"id": note.id, "body": note.body, "created_at": note.created_at.isoformat()}
