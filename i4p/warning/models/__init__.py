"""Early-warning models: intake and verification (`reports`), analysis (`analysis`), and
alerts with their routing, delivery, escalation and response (`alerts`)."""

from i4p.warning.models.alerts import *  # noqa: F403
from i4p.warning.models.analysis import *  # noqa: F403
from i4p.warning.models.reports import *  # noqa: F403
