"""meeting_petitions: recommendations on a meeting's agenda

Revision ID: ag3c5e7a9b1d
Revises: fw2b4d6e8a0c
Create Date: 2026-12-03 18:40:00

Issue 17: a giao ban meeting with the People's Committee can attach the open and overdue
recommendations to its notice as its agenda. The items attached are kept with the meeting, so
the invitation, the meeting's card and its reminders show the same list.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'ag3c5e7a9b1d'
down_revision: Union[str, Sequence[str], None] = 'fw2b4d6e8a0c'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('meeting_petitions',
    sa.Column('meeting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('petition_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_petitions_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['petition_id'], ['petitions.id'], name=op.f('fk_meeting_petitions_petition_id_petitions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', 'petition_id', name=op.f('pk_meeting_petitions'))
    )
    with op.batch_alter_table('meeting_petitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_petitions_petition_id'), ['petition_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('meeting_petitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_petitions_petition_id'))
    op.drop_table('meeting_petitions')
