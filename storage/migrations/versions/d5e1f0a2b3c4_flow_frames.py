"""flow frames: flows suspended under another one, or parked with /cancel

Revision ID: d5e1f0a2b3c4
Revises: c4a9e2f17b3d
Create Date: 2026-12-03 03:15:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision: str = 'd5e1f0a2b3c4'
down_revision: Union[str, Sequence[str], None] = 'c4a9e2f17b3d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('flow_frames',
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('flow', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('chat_id', 'user_id', 'flow', name=op.f('pk_flow_frames'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('flow_frames')
