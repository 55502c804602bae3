"""The action plan's columns, declared once: what each asks, how it is drawn, read, reported and carried.

Every action a respondent writes, on the Action plan sheet or in an item's own action questions,
becomes one row of these columns. The respondent's workbook draws its Action plan sheet from
them, the reader finds them by their headers, consolidation keeps an action's values by column
id, the consolidated Action plan and All actions sheets show them, and the next round carries
the columns marked ``carry`` onto the row that follows the action up. A framework file may add
columns of its own under ``action_plan`` (see docs/framework-format.md); sheetkit's come first.

An item's own action questions (LGA's "What actions do we need to take? / Priority / Who / By
when" under every standard) fill the columns whose role they play: the item field with role
``owner`` is the action's owner column, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass

NO_ROLE = "none"
CARRIED = "carried"  # the locked column of a follow-up workbook naming the action of last round a row reports on


@dataclass(frozen=True)
class ActionColumn:
    """One column of the action plan.

    ``carry`` says what the next round does with last round's value: ``"always"`` types it onto
    the row that follows the action up, ``"prefill"`` only when the workbooks are built with
    ``--prefill`` (the status: the respondent says afresh what became of the action), ``""``
    leaves it. ``follow_up`` columns are asked only in a follow-up workbook; ``locked`` is
    sheetkit's own marker, drawn locked. ``short`` heads the column in the consolidated
    workbook; ``feedback`` says whether other partners see it in their feedback. ``samples``
    are what a respondent might write, for the sample exercise.
    """

    id: str
    label: str
    type: str
    role: str = NO_ROLE
    width: float = 16
    carry: str = ""
    follow_up: bool = False
    locked: bool = False
    short: str = ""
    feedback: bool = False
    origin: str = "publisher"
    samples: tuple = ()

    @property
    def header(self) -> str:
        """The column's name in the consolidated workbook."""
        return self.short or self.label

    def carried(self, prefill: bool) -> bool:
        """Whether last round's value of this column is typed onto the row following the action up."""
        return self.carry == "always" or (prefill and self.carry == "prefill")


SHEETKIT_COLUMNS = (
    ActionColumn("criterion", "Which part it addresses", "criterion", "criterion", 40, "always", short="Addresses"),
    ActionColumn("action", "Action", "text", "action", 38, "always", feedback=True, samples=(
        "Publish a joint market position statement with health and housing",
        "Set up a provider forum that meets quarterly",
        "Agree shared outcome measures with the ICB",
        "Train commissioners in co-production",
        "Review fee levels against the cost of care exercise")),
    ActionColumn("owner", "Owner", "person", "owner", 16, "always", samples=(
        "Head of Commissioning", "Market Development Manager", "Quality Lead")),
    ActionColumn("due", "Due date", "date", "due", 12, "always", short="Due", feedback=True),
    ActionColumn("priority", "Priority", "priority", "priority", 10, "always", feedback=True),
    ActionColumn("resources", "Resources needed", "text", "resources", 20, "always", short="Resources", samples=(
        "Existing team", "0.5 FTE analyst", "Joint funding with the ICB")),
    ActionColumn("measure", "How success will be measured", "text", "measure", 26, "always", short="Measure",
                 samples=("Quarterly report to the board", "Survey of people using services")),
    ActionColumn("status", "Status", "status", "status", 12, "prefill", feedback=True,
                 samples=("Not started", "In progress", "Done")),
    ActionColumn("progress", "Progress note", "text", NO_ROLE, 30, follow_up=True, short="Progress", samples=(
        "Delayed by the restructure; a new lead is now in post.",
        "Pilot running in two localities; first report to the board in the spring.",
        "Done: reported to the board in September.")),
    ActionColumn("revised_due", "Revised date", "date", NO_ROLE, 12, follow_up=True, short="Revised due"),
    ActionColumn(CARRIED, "From last round", "text", NO_ROLE, 13, follow_up=True, locked=True, origin="sheetkit"),
)
# What a field can be to an action: sheetkit's columns' roles, in their order.
ROLES = tuple(dict.fromkeys(c.role for c in SHEETKIT_COLUMNS if c.role != NO_ROLE))
CARRY = ("always", "prefill", "")


def column_for_role(columns: tuple[ActionColumn, ...], role: str) -> ActionColumn | None:
    """The action-plan column playing `role` (an item's action field fills that column)."""
    return next((c for c in columns if c.role == role), None)


class ColumnValues:
    """An action's values by action-plan column id (the ``values`` mapping of the class it is mixed
    into), with the columns every framework has by name."""

    def get(self, column_id: str):
        """The value of one column ('' when the respondent left it blank)."""
        value = self.values.get(column_id)
        return "" if value is None else value

    @property
    def criterion(self) -> str:
        return str(self.get("criterion"))

    @property
    def action(self) -> str:
        return str(self.get("action"))

    @property
    def owner(self) -> str:
        return str(self.get("owner"))

    @property
    def priority(self) -> str:
        return str(self.get("priority"))

    @property
    def status(self) -> str:
        return str(self.get("status"))
