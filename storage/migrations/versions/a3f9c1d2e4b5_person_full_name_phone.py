"""people: a full name and phone the person set themselves (/me)

Revision ID: a3f9c1d2e4b5
Revises: d5e1f0a2b3c4
Create Date: 2026-12-03 10:05:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision: str = 'a3f9c1d2e4b5'
down_revision: Union[str, Sequence[str], None] = 'd5e1f0a2b3c4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('people') as batch:
        batch.add_column(sa.Column('full_name', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('phone', sa.String(length=16), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('people') as batch:
        batch.drop_column('phone')
        batch.drop_column('full_name')
