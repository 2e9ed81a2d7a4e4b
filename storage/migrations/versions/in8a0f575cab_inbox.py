"""inbox: updates taken off Telegram by the long poller, stored before they are confirmed

Revision ID: in8a0f575cab
Revises: f3b9c1d2e4a5
Create Date: 2026-12-03 12:20:00

The poller confirmed an update only after handling it, so it saw no further than 100 updates
past the oldest unfinished one: a message behind a burst of 500 waited for most of the burst.
Each batch is now stored here in one transaction and confirmed then (bot/runtime/polling.py).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'in8a0f575cab'
down_revision: Union[str, Sequence[str], None] = 'f3b9c1d2e4a5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('inbox',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('lane', sa.BigInteger(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_inbox'))
    )


def downgrade() -> None:
    """Downgrade schema: updates still unhandled in the inbox are lost (stop the bot first)."""
    op.drop_table('inbox')
