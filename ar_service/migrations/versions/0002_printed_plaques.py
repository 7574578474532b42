"""printed plaques: a registry of the QR plaques put up at sites

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:19:25.240386
"""

import sqlalchemy as sa
from alembic import op

import ar_service.models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "printed_plaques",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("size", sa.String(length=8), nullable=False),
        sa.Column("printed_on", sa.Date(), nullable=False),
        sa.Column("location_note", sa.String(length=300), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", ar_service.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_printed_plaques_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_printed_plaques_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_printed_plaques")),
    )
    with op.batch_alter_table("printed_plaques", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_printed_plaques_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_printed_plaques_site_id"), ["site_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("printed_plaques", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_printed_plaques_site_id"))
        batch_op.drop_index(batch_op.f("ix_printed_plaques_code"))

    op.drop_table("printed_plaques")
