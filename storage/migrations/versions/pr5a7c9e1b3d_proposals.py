"""proposals: entries read in a cadre's own words, offered for one tap

Revision ID: pr5a7c9e1b3d
Revises: ag3c5e7a9b1d
Create Date: 2026-12-03 18:30:00

Issue 18: a private message the bot reads as an activity ("thăm 5 hộ nghèo, tặng quà 2 triệu")
is answered with a card per activity (Save / Edit / Not this). What the card offers is a row, so
a button pressed after a restart still finds it, and its status turns "saved" in the transaction
that saves the entry (a second press saves nothing).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'pr5a7c9e1b3d'
down_revision: Union[str, Sequence[str], None] = 'ag3c5e7a9b1d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('proposals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('type_key', sa.String(length=64), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('activity_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_proposals_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_person_id'))

    op.drop_table('proposals')
