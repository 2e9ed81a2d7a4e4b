"""proposal photos: a captioned photo read as an activity keeps its photo

Revision ID: pc6b8d0f2a4e
Revises: pr5a7c9e1b3d
Create Date: 2026-12-03 19:05:00

Cadres in the field send a photo with a caption ("thăm 5 hộ nghèo, tặng quà 2 triệu" under a
picture of the visit). The caption is read as a text message is (issue 18), and the photo's
Telegram file id is kept with each proposal so that Save stores the entry with its photo, as the
guided /log's photo step does (``activities.photo_file_id``).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'pc6b8d0f2a4e'
down_revision: Union[str, Sequence[str], None] = 'pr5a7c9e1b3d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_file_id', sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_column('photo_file_id')
