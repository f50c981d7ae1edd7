"""The board, a card's profile page, and moving a card: a form that also works without JS."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for

from connector.sandbox import board
from connector.sandbox.blueprint import bp, services

log = logging.getLogger("connector.sandbox")


@bp.get("")
def board_page():
    """The columns and their cards, each with its score once reviewers have scored it."""
    with services().db.session() as db:
        installation = board.installation_of(db)
        if installation is None:
            return render_template("sandbox/not_seeded.html"), 404
        columns = board.cards_by_column(db, installation)
        return render_template("sandbox/board.html", columns=board.COLUMNS, cards=columns,
                               score_of=board.score_of)


@bp.get("/cards/<int:card_id>")
def card_page(card_id: int):
    """The candidate, the notes the connector pushed (newest first), and the fields."""
    with services().db.session() as db:
        card = _card(db, card_id)
        return render_template("sandbox/card.html", card=card, columns=board.COLUMNS,
                               column=board.BY_ID.get(card.column), notes=card.notes[::-1],
                               score=board.score_of(card), fields=card.fields or {})


@bp.post("/cards/<int:card_id>/move")
def move_card(card_id: int):
    """Move a card to the chosen column and send the ATS's webhook for it, from a job."""
    column_id = request.form.get("column", "")
    if column_id not in board.BY_ID:
        abort(400, description="choose one of the board's columns")
    with services().db.session() as db:
        card = _card(db, card_id)
        moved = board.move(db, card, column_id)
        name = card.first_name
    if moved is not None:
        # A job, so this request never waits on (or calls) the server it runs in.
        services().queue.enqueue(board.WEBHOOK_JOB, *moved.args())
        log.info("sandbox.card.moved card=%s column=%s", card_id, column_id)
        flash(f"Moved {name} to {board.BY_ID[column_id].name}.")
    back = request.form.get("back")
    if back == "card":
        return redirect(url_for("sandbox.card_page", card_id=card_id), 303)
    return redirect(url_for("sandbox.board_page") + f"#card-{card_id}", 303)


@bp.post("/cards/<int:card_id>/delete")
def delete_card(card_id: int):
    """Delete the candidate from the board and send candidate.deleted, as an ATS would."""
    with services().db.session() as db:
        card = _card(db, card_id)
        if request.form.get("confirm") != "yes":
            flash("Tick the box to confirm the deletion.")
            return redirect(url_for("sandbox.card_page", card_id=card_id), 303)
        name, deletion = f"{card.first_name} {card.last_name}", board.delete(db, card)
    services().queue.enqueue(board.DELETION_JOB, *deletion.args())
    log.info("sandbox.card.deleted card=%s", card_id)
    flash(f"Deleted {name}. The connector was sent candidate.deleted and erases their "
          "interview.")
    return redirect(url_for("sandbox.board_page"), 303)


def _card(db, card_id: int):
    installation = board.installation_of(db)
    card = board.card_of(db, installation, card_id) if installation else None
    if card is None:
        abort(404)
    card.notes  # loaded while the session is open
    return card
