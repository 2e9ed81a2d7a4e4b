"""activity measures: the English unit for exactly one

Revision ID: un1e0a2c4d6f
Revises: pe7a1c0d2b3f
Create Date: 2026-12-03 15:40:00

English read "Number of cases: 1 cases": the catalog's English units are plurals. A measure may
now name the singular (`unit: {en_one: case}`); empty means the plural serves, which is what rows
loaded before this revision keep until the catalog is loaded again (`phoihop catalog load`).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'un1e0a2c4d6f'
down_revision: Union[str, Sequence[str], None] = 'pe7a1c0d2b3f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('activity_measures') as batch:
        batch.add_column(
            sa.Column('unit_en_one', sa.String(length=50), server_default='', nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('activity_measures') as batch:
        batch.drop_column('unit_en_one')
