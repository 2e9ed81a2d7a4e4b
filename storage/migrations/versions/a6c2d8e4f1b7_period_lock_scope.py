"""period lock scope: a lock covers its report unit's own organisation (prefix, org), names its
report, and is lifted when the report is reopened (issue 16)

Revision ID: a6c2d8e4f1b7
Revises: f3b8c1d9e7a2
Create Date: 2026-12-04 02:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'a6c2d8e4f1b7'
down_revision: Union[str, Sequence[str], None] = 'f3b8c1d9e7a2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: new columns, filled from each lock's unit (and its "report:<id>" reason)."""
    with op.batch_alter_table('period_locks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('prefix', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('org', sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE period_locks SET "
        "prefix = (SELECT units.anchor_path FROM units WHERE units.id = period_locks.unit_id), "
        "org = (SELECT units.org FROM units WHERE units.id = period_locks.unit_id)"
    )
    op.execute(
        "UPDATE period_locks SET report_id = "
        "(SELECT reports.id FROM reports WHERE 'report:' || reports.id = period_locks.reason)"
    )
    with op.batch_alter_table('period_locks', schema=None) as batch_op:
        batch_op.alter_column('prefix', existing_type=sa.String(length=1000), nullable=False)
        batch_op.alter_column('org', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(batch_op.f('ix_period_locks_report_id'), ['report_id'], unique=False)
        batch_op.create_index('ix_period_locks_prefix_org', ['prefix', 'org'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_period_locks_report_id_reports'),
            'reports',
            ['report_id'],
            ['id'],
            ondelete='CASCADE',
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('period_locks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_period_locks_report_id_reports'), type_='foreignkey')
        batch_op.drop_index('ix_period_locks_prefix_org')
        batch_op.drop_index(batch_op.f('ix_period_locks_report_id'))
        batch_op.drop_column('org')
        batch_op.drop_column('prefix')
        batch_op.drop_column('report_id')
