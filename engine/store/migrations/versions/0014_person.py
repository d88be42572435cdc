"""The person behind the case: anonym or vertraulich, contact routes with a blind index, the contacts log,
links between cases and merged cases; indexes for the case search.

Revision ID: 0014
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from engine.store.database import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _case_fk(table: str, column: str = "case_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["cases.id"], name=f"fk_{table}_{column}_cases", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "case_persons",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(12), nullable=False),
        sa.Column("seeker_role", sa.String(20), nullable=True),
        sa.Column("affected_role", sa.String(20), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        _case_fk("case_persons"),
        sa.PrimaryKeyConstraint("case_id", name="pk_case_persons"),
    )
    op.create_table(
        "contact_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        _case_fk("contact_routes"),
        sa.PrimaryKeyConstraint("id", name="pk_contact_routes"),
    )
    op.create_index("ix_contact_routes_case_id", "contact_routes", ["case_id"])
    op.create_index("ix_contact_routes_digest", "contact_routes", ["digest", "kind"])
    op.create_table(
        "case_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("channel", sa.String(12), nullable=False),
        sa.Column("direction", sa.String(12), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        _case_fk("case_contacts"),
        sa.PrimaryKeyConstraint("id", name="pk_case_contacts"),
    )
    op.create_index("ix_case_contacts_case_id", "case_contacts", ["case_id"])
    op.create_index("ix_case_contacts_channel", "case_contacts", ["channel"])
    op.create_table(
        "case_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("other_case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        _case_fk("case_links"),
        _case_fk("case_links", "other_case_id"),
        sa.PrimaryKeyConstraint("id", name="pk_case_links"),
        sa.UniqueConstraint("case_id", "other_case_id", "kind", name="uq_case_links_pair"),
    )
    op.create_index("ix_case_links_case_id", "case_links", ["case_id"])
    op.create_index("ix_case_links_other_case_id", "case_links", ["other_case_id"])
    op.create_table(
        "case_merges",
        sa.Column("merged_case_id", sa.Integer(), nullable=False),
        sa.Column("target_case_id", sa.Integer(), nullable=False),
        sa.Column("merged_at", UtcDateTime(), nullable=False),
        sa.Column("merged_by", sa.String(100), nullable=False),
        _case_fk("case_merges", "merged_case_id"),
        _case_fk("case_merges", "target_case_id"),
        sa.PrimaryKeyConstraint("merged_case_id", name="pk_case_merges"),
    )
    op.create_index("ix_case_merges_target_case_id", "case_merges", ["target_case_id"])
    op.create_index("ix_cases_opened_at", "cases", ["opened_at"])
    op.create_index("ix_cases_land_opened", "cases", ["land", "opened_at"])
    op.create_index("ix_cases_office_opened", "cases", ["office_type", "opened_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_office_opened", table_name="cases")
    op.drop_index("ix_cases_land_opened", table_name="cases")
    op.drop_index("ix_cases_opened_at", table_name="cases")
    op.drop_index("ix_case_merges_target_case_id", table_name="case_merges")
    op.drop_table("case_merges")
    op.drop_index("ix_case_links_other_case_id", table_name="case_links")
    op.drop_index("ix_case_links_case_id", table_name="case_links")
    op.drop_table("case_links")
    op.drop_index("ix_case_contacts_channel", table_name="case_contacts")
    op.drop_index("ix_case_contacts_case_id", table_name="case_contacts")
    op.drop_table("case_contacts")
    op.drop_index("ix_contact_routes_digest", table_name="contact_routes")
    op.drop_index("ix_contact_routes_case_id", table_name="contact_routes")
    op.drop_table("contact_routes")
    op.drop_table("case_persons")
