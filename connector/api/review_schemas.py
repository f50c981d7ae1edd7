"""Schemas of /api/v1/sessions/<id>/review: the submitted scorecards and their aggregate."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from connector.api.schemas import RECOMMENDATIONS


class CompetencyRating(Schema):
    index = fields.Integer(required=True)
    name = fields.String(required=True)
    rating = fields.Integer(required=True)


class QuestionRating(Schema):
    position = fields.Integer(required=True)
    rating = fields.Integer(required=True)


class Scorecard(Schema):
    id = fields.Integer(required=True)
    reviewer_name = fields.String(required=True)
    recommendation = fields.String(validate=validate.OneOf(RECOMMENDATIONS), allow_none=True,
                                   required=True)
    comments = fields.String(required=True)
    submitted_at = fields.DateTime(required=True)
    competencies = fields.List(fields.Nested(CompetencyRating), required=True)
    questions = fields.List(fields.Nested(QuestionRating), required=True)


class CompetencyMean(Schema):
    name = fields.String(required=True)
    mean = fields.Float(allow_none=True, required=True)


class QuestionMean(Schema):
    position = fields.Integer(required=True)
    prompt = fields.String(required=True)
    mean = fields.Float(allow_none=True, required=True)


class Aggregate(Schema):
    reviewers = fields.List(fields.String(), required=True)
    competencies = fields.List(fields.Nested(CompetencyMean), required=True)
    questions = fields.List(fields.Nested(QuestionMean), required=True)
    overall = fields.Float(allow_none=True, required=True)
    recommendations = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class Review(Schema):
    session_id = fields.String(required=True)
    scorecards = fields.List(fields.Nested(Scorecard), required=True, metadata={
        "description": "Submitted scorecards only; drafts stay private to their reviewer."})
    aggregate = fields.Nested(Aggregate, required=True)
