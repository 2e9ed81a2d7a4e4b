"""chart images: digest charts kept by a hash of what they show, with Telegram's file_id

Revision ID: c4a9e2f17b3d
Revises: 1a3c3e54ddd8
Create Date: 2026-11-22 05:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c4a9e2f17b3d'
down_revision: Union[str, Sequence[str], None] = '1a3c3e54ddd8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('chart_images',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.Column('file_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_chart_images'))
    )
    with op.batch_alter_table('chart_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chart_images_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('chart_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chart_images_created_at'))

    op.drop_table('chart_images')
