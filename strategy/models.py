"""Imports every domain's models so that the metadata knows all tables."""
from strategy.api.models import ApiToken  # noqa: F401
from strategy.auth.models import Invitation, Role, User, facilitator_tracks  # noqa: F401
from strategy.comments.models import Comment, CommentStatus, Stance  # noqa: F401
from strategy.events.models import (  # noqa: F401
    Event, EventStatus, ItemFormat, ModerationMode, ScheduleItem, Track)
from strategy.live.models import Change  # noqa: F401
from strategy.moderation.models import AuditEntry, Flag  # noqa: F401
from strategy.proposals.models import (  # noqa: F401
    LibraryJoin, Proposal, ProposalKind, ProposalRevision, ProposalStatus)
from strategy.supports.models import Support  # noqa: F401
from strategy.programme.models import Registration, RegistrationStatus, Seat  # noqa: F401
from strategy.auth.models import StaffInvitation  # noqa: F401
from strategy.review.models import AnswerState, Assessment, OfficialAnswer, ReviewCriteria  # noqa: F401
from strategy.polls.models import Poll, PollAnswer, PollChoice, PollOption  # noqa: F401
from strategy.notifications.models import Notification, NotificationKind  # noqa: F401
from strategy.jobs.models import ExportJob, JobStatus  # noqa: F401
from strategy.discussion.models import (  # noqa: F401
    DraftReview, PublishedSection, SectionComment, SectionSupport)
