"""What goes back to partners: e-mail drafts, a return's findings in the respondent's words,
the chase's reminders and corrections, and each partner's feedback.
"""

from .drafts import Draft, write_draft, fill_template, safe_file_name
from .emails import write_email
from .corrections import problems, needs_correction, lead_only
from .feedback import write_feedback

__all__ = [
    "Draft",
    "write_draft",
    "fill_template",
    "safe_file_name",
    "write_email",
    "problems",
    "needs_correction",
    "lead_only",
    "write_feedback",
]
