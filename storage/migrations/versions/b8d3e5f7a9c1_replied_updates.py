"""handled updates remember that their replies went out (issue 15)

Revision ID: b8d3e5f7a9c1
Revises: a6c2d8e4f1b7
Create Date: 2026-12-05 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b8d3e5f7a9c1'
down_revision: Union[str, Sequence[str], None] = 'a6c2d8e4f1b7'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('handled_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('handled_updates', schema=None) as batch_op:
        batch_op.drop_column('replied_at')
