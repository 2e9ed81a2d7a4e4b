"""send budget: Telegram's messages a second, shared by every process of a deployment (issue 15)

Revision ID: f3a7c2d9e8b1
Revises: b8d3e5f7a9c1
Create Date: 2026-12-03 09:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'f3a7c2d9e8b1'
down_revision: Union[str, Sequence[str], None] = 'b8d3e5f7a9c1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('send_budget',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('next_at', sa.Float(precision=53), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_send_budget'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('send_budget')
