"""The years of the working-day calendar an administrator entered (DESIGN.md §9).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from cppcc_common.workdays_store import create_working_calendar_table_v1, drop_working_calendar_table_v1

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_working_calendar_table_v1()


def downgrade() -> None:
    drop_working_calendar_table_v1()
