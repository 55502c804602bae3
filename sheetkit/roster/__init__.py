"""Who is asked: the respondents list as people save it, the exercise's manifest (who was
sent which workbook), its password, and who to write to.
"""

from .respondents import Respondent, RespondentList, load_respondents
from .manifest import (Entry, Manifest, Records, feedback_manifest_for, find_feedback_manifest, find_manifest,
                       find_records, read_manifest, write_manifest, read_password, write_password)
from .contacts import Contact, read_contacts
from .addresses import Addresses, one_line, parse_addresses

__all__ = [
    "Respondent",
    "RespondentList",
    "load_respondents",
    "Entry",
    "Manifest",
    "read_manifest",
    "write_manifest",
    "read_password",
    "write_password",
    "Records",
    "find_manifest",
    "find_records",
    "feedback_manifest_for",
    "find_feedback_manifest",
    "Contact",
    "read_contacts",
    "Addresses",
    "one_line",
    "parse_addresses",
]
