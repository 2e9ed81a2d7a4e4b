"""invite failures by Telegram id: the lock on guessing invite codes survives /forgetme

Revision ID: f3b9c1d2e4a5
Revises: f3a7c2d9e8b1
Create Date: 2026-12-03 10:00:00

A wrong invite code was counted against the person's row, which /forgetme deletes (and the
foreign key cascaded the count away): erasing oneself reset the lock. The count now belongs to
the Telegram account; rows live only for the lock's window (bot/onboarding.py FAILURE_WINDOW).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'f3b9c1d2e4a5'
down_revision: Union[str, Sequence[str], None] = 'f3a7c2d9e8b1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('invite_failures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('telegram_id', sa.BigInteger(), nullable=True))
    op.execute(
        'UPDATE invite_failures SET telegram_id = '
        '(SELECT people.telegram_id FROM people WHERE people.id = invite_failures.person_id)'
    )
    op.execute('DELETE FROM invite_failures WHERE telegram_id IS NULL')
    with op.batch_alter_table('invite_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_invite_failures_person_at')
        batch_op.drop_constraint('fk_invite_failures_person_id_people', type_='foreignkey')
        batch_op.drop_column('person_id')
        batch_op.alter_column('telegram_id', existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index('ix_invite_failures_telegram_at', ['telegram_id', 'at'], unique=False)


def downgrade() -> None:
    """Downgrade schema: counts of accounts without a person row are dropped."""
    with op.batch_alter_table('invite_failures', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True)
        )
    op.execute(
        'UPDATE invite_failures SET person_id = '
        '(SELECT people.id FROM people WHERE people.telegram_id = invite_failures.telegram_id)'
    )
    op.execute('DELETE FROM invite_failures WHERE person_id IS NULL')
    with op.batch_alter_table('invite_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_invite_failures_telegram_at')
        batch_op.drop_column('telegram_id')
        batch_op.alter_column(
            'person_id',
            existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
            nullable=False,
        )
        batch_op.create_foreign_key(
            'fk_invite_failures_person_id_people', 'people', ['person_id'], ['id'], ondelete='CASCADE'
        )
        batch_op.create_index('ix_invite_failures_person_at', ['person_id', 'at'], unique=False)
