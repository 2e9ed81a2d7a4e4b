"""activity catalog: the words that signal a type and a measure in free text

Revision ID: fw2b4d6e8a0c
Revises: un1e0a2c4d6f
Create Date: 2026-12-03 15:45:00

Issue 18: the reader of cadres' own sentences ("thăm 5 hộ nghèo, tặng quà 2 triệu") finds types
and measures by the words the catalog gives them. They live with the catalog rows, so a type added
by `phoihop catalog load` teaches the running bot too. Rows loaded before this revision have no
words (the reader proposes nothing for them) until the catalog is loaded again.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'fw2b4d6e8a0c'
down_revision: Union[str, Sequence[str], None] = 'un1e0a2c4d6f'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('activity_types') as batch:
        batch.add_column(sa.Column('words', sa.JSON(), server_default='[]', nullable=False))
    with op.batch_alter_table('activity_measures') as batch:
        batch.add_column(sa.Column('words', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    """Downgrade schema.

    Plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch operation would copy and drop
    activity_types, which the measures and activities reference, and SQLite's enforced foreign
    keys refuse that drop."""
    op.execute('ALTER TABLE activity_measures DROP COLUMN words')
    op.execute('ALTER TABLE activity_types DROP COLUMN words')
