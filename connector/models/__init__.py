"""The system of record: every row belongs to one organization, directly or through its parent."""

from connector.models.accounts import ApiToken, RateLimitHit, Role, SignInState, User
from connector.models.base import Base, UTCDateTime, string_enum, utcnow
from connector.models.deliveries import (
    NOT_ACTIONABLE,
    DeliveryStatus,
    Email,
    OutboxRow,
    OutboxStatus,
    Push,
    WebhookDelivery,
)
from connector.models.interviews import (
    Answer,
    AnswerChunk,
    AnswerKind,
    AnswerStatus,
    Interview,
    InterviewTemplate,
    Question,
    InterviewState,
)
from connector.models.organizations import (
    ApplicationStage,
    Installation,
    InstallationStatus,
    Organization,
    StageRule,
)
from connector.models.privacy import Access, AccessEvent, Actor, ErasureReason, ErasureReceipt
from connector.models.reviews import (
    LinkPurpose,
    Rating,
    Recommendation,
    ReviewerInvitation,
    Scorecard,
    ShareLink,
)
from connector.models.sandbox import SandboxCard, SandboxNote

__all__ = [
    "NOT_ACTIONABLE", "Access", "AccessEvent", "Actor", "ErasureReason", "ErasureReceipt",
    "Answer", "AnswerChunk", "AnswerKind", "AnswerStatus", "ApiToken", "ApplicationStage",
    "Base", "DeliveryStatus", "Email", "Installation", "InstallationStatus", "Interview",
    "InterviewTemplate", "LinkPurpose", "Organization", "OutboxRow", "OutboxStatus", "Push",
    "Question", "RateLimitHit", "Rating", "Recommendation", "ReviewerInvitation", "Role",
    "SandboxCard", "SandboxNote", "Scorecard", "InterviewState", "ShareLink", "SignInState",
    "StageRule", "UTCDateTime", "User", "WebhookDelivery", "string_enum", "utcnow",
]
