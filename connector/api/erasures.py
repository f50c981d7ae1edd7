"""/api/v1/erasures: erase a candidate on request, and list the organization's receipts."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from connector.api import erasure_schemas, schemas
from connector.api.errors import ApiError
from connector.auth import client_address
from connector.api.routing import operation, organization_id, page_of, services
from connector.models import Actor, ApiToken, ErasureReason, ErasureReceipt
from connector.privacy import requests
from connector.privacy.erasure import Who, erase

TAG = "erasures"


@operation("POST", "/erasures", tag=TAG, body=erasure_schemas.ErasureCreate(),
           response=erasure_schemas.Receipt(), status=201, errors=(404,))
def create_erasure(body):
    """Erase a candidate: by e-mail, by ATS candidate id in an installation, or by interview.

    Sessions, answers and every stored file, e-mails, pushes not yet sent, share links and
    reviewers' comments go; the answer is the receipt, kept without the person's data.
    """
    db = services().db
    try:
        with db.session() as session:
            person = _person(session, body)
            token = session.get(ApiToken, g.api_token_id)
            who = Who(ErasureReason.API, Actor.API_TOKEN, actor_id=token.prefix,
                      actor_label=token.name, address=client_address())
    except requests.NotFound as exc:
        raise ApiError(404, str(exc)) from exc
    except requests.Refused as exc:
        raise ApiError(422, str(exc)) from exc
    return erase(db, services().storage, person, who)


@operation("GET", "/erasures", tag=TAG, query=schemas.PageQuery(),
           response=erasure_schemas.ReceiptPage())
def list_erasures(query):
    """List the organization's erasure receipts, newest first."""
    with services().db.session() as db:
        return page_of(db, select(ErasureReceipt).where(
            ErasureReceipt.organization_id == organization_id()), ErasureReceipt.id, query)


def _person(session, body: dict):
    return requests.named(session, organization_id(), email=body["email"],
                          ats_candidate_id=body["ats_candidate_id"],
                          installation=body["installation"], interview=body["interview"])
