"""queued replies not out yet: a partial index of their own

Revision ID: le5c0a7e91b3
Revises: in8a0f575cab
Create Date: 2026-12-03 12:30:00

A handler's reply that Telegram did not take waits in the outbox (handlers/delivery.py). Every
update now asks whether its chat has such replies waiting, whichever process queued them (a
later reply must not overtake them), and every outbox claim takes them before any notice: both
read this index of a handful of rows, not the whole outbox.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'le5c0a7e91b3'
down_revision: Union[str, Sequence[str], None] = 'in8a0f575cab'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNSENT_REPLIES = "kind = 'reply' AND status IN ('pending', 'claimed', 'sending')"


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        'ix_outbox_replies_unsent',
        'outbox',
        ['chat_id', 'due_at'],
        unique=False,
        postgresql_where=sa.text(UNSENT_REPLIES),
        sqlite_where=sa.text(UNSENT_REPLIES),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_outbox_replies_unsent', table_name='outbox')
