"""The frameworks: the model (sections, items, statements, scales, response fields), its YAML
files checked line by line, where bundled and user frameworks and templates are found, the
field-type registry, the answer keys, and ids mapped between framework versions.
"""

from .model import (
    Framework,
    Section,
    Item,
    Statement,
    Scale,
    Level,
    ResponseField,
    PRIORITIES,
    ROLES,
    item_caption,
)
from .action_plan import CARRIED, NO_ROLE, ActionColumn
from .keys import AnswerKey
from .fields import FIELD_TYPES, FieldType, Checked, field_type
from .file import FrameworkFileError, load_framework, check_framework_file
from .library import get_framework, resolve_framework, list_frameworks, template_text, templates_dir
from .item_map import IdMap, read_item_map, identity_map

__all__ = [
    "Framework",
    "Section",
    "Item",
    "Statement",
    "Scale",
    "Level",
    "ResponseField",
    "PRIORITIES",
    "ROLES",
    "NO_ROLE",
    "CARRIED",
    "ActionColumn",
    "item_caption",
    "AnswerKey",
    "FIELD_TYPES",
    "FieldType",
    "Checked",
    "field_type",
    "FrameworkFileError",
    "load_framework",
    "check_framework_file",
    "get_framework",
    "resolve_framework",
    "list_frameworks",
    "template_text",
    "templates_dir",
    "IdMap",
    "read_item_map",
    "identity_map",
]
