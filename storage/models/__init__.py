"""SQLAlchemy 2 typed models, one module per part of the product (``from storage.models import X``
keeps working for every model).

Why these shapes: see storage/models/base.py.
"""

from storage.models.activities import (
    Activity,
    ActivityHistory,
    ActivityMeasure,
    ActivityRollup,
    ActivityType,
    ActivityValue,
    PeriodLock,
    Proposal,
)
from storage.models.base import NAMING_CONVENTION, PK, Base, UTCDateTime
from storage.models.conversation import ChatState, FlowFrame, LogDraft
from storage.models.delivery import (
    ChartImage,
    HandledUpdate,
    InboxUpdate,
    LinkedChat,
    OutboxMessage,
    ProcessedUpdate,
    SendBudget,
)
from storage.models.meetings import Meeting, MeetingInvitation, MeetingPetition, MeetingRsvp
from storage.models.people import (
    Invite,
    InviteFailure,
    Membership,
    MembershipEvent,
    Organisation,
    Person,
    Unit,
    UnitKind,
)
from storage.models.petitions import Petition, PetitionEvent, PetitionFile, PetitionFollower
from storage.models.reports import Report, ReportAnswer, ReportEvent, ReportRound, ReportTemplate

__all__ = [
    "NAMING_CONVENTION",
    "PK",
    "Activity",
    "ActivityHistory",
    "ActivityMeasure",
    "ActivityRollup",
    "ActivityType",
    "ActivityValue",
    "Base",
    "ChartImage",
    "ChatState",
    "FlowFrame",
    "HandledUpdate",
    "InboxUpdate",
    "Invite",
    "InviteFailure",
    "LinkedChat",
    "LogDraft",
    "Meeting",
    "MeetingInvitation",
    "MeetingPetition",
    "MeetingRsvp",
    "Membership",
    "MembershipEvent",
    "Organisation",
    "OutboxMessage",
    "PeriodLock",
    "Person",
    "Petition",
    "PetitionEvent",
    "PetitionFile",
    "PetitionFollower",
    "ProcessedUpdate",
    "Proposal",
    "Report",
    "ReportAnswer",
    "ReportEvent",
    "ReportRound",
    "ReportTemplate",
    "SendBudget",
    "UTCDateTime",
    "Unit",
    "UnitKind",
]
