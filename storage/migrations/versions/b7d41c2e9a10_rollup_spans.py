"""rollup spans: quarter and year rows beside half-months, keyed (unit, span, bucket, org, type, measure), org '*' for all

Revision ID: b7d41c2e9a10
Revises: 9ce2fe030799
Create Date: 2026-11-22 02:10:00

The rollup is derived data: the half-month rows are kept as they are and the quarter and year rows
(per organisation, and for all organisations as org "*") are computed from them here (each
half-month lies in exactly one span of each kind and alignment).
"""
from datetime import date, timedelta
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b7d41c2e9a10'
down_revision: Union[str, Sequence[str], None] = '9ce2fe030799'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = ("unit_id", "org", "type_key", "measure_key", "bucket", "value_milli", "entries")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, day.day)


def _is_start(day: date, months: int) -> bool:
    if day.day == 1:
        return (day.month - 1) % months == 0
    return day.day == 15 and day.month % months == 0


def _coarse(bucket: date) -> list[tuple[str, date]]:
    result = []
    for span, months in (("y", 12), ("q", 3)):
        for anchor in (1, 15):
            start = date(bucket.year, bucket.month, anchor)
            if anchor == 15 and bucket.day < 15:
                start = _add_months(start, -1)
            while not _is_start(start, months):
                start = _add_months(start, -1)
            result.append((span, start))
    return result


def _old_table(*extra: sa.ColumnClause) -> sa.TableClause:
    return sa.table(
        "activity_rollup",
        *extra,
        sa.column("unit_id", sa.Integer),
        sa.column("org", sa.String),
        sa.column("type_key", sa.String),
        sa.column("measure_key", sa.String),
        sa.column("bucket", sa.Date),
        sa.column("value_milli", sa.BigInteger),
        sa.column("entries", sa.Integer),
    )


def upgrade() -> None:
    bind = op.get_bind()
    halves = [dict(zip(COLUMNS, row)) for row in bind.execute(sa.select(*_old_table().c)).all()]
    with op.batch_alter_table('activity_rollup', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_rollup_unit_bucket')
    op.drop_table('activity_rollup')
    new = op.create_table('activity_rollup',
    sa.Column('unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('span', sa.String(length=1), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('org', sa.String(length=32), nullable=False),
    sa.Column('type_key', sa.String(length=64), nullable=False),
    sa.Column('measure_key', sa.String(length=64), nullable=False),
    sa.Column('value_milli', sa.BigInteger(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_activity_rollup_unit_id_units')),
    sa.PrimaryKeyConstraint('unit_id', 'span', 'bucket', 'org', 'type_key', 'measure_key', name=op.f('pk_activity_rollup')),
    sqlite_with_rowid=False
    )
    coarse: dict[tuple, list[int]] = {}
    for row in halves:
        for span, start in _coarse(row["bucket"]):
            for org in (row["org"], "*"):  # each organisation, and all of them together
                key = (row["unit_id"], span, start, org, row["type_key"], row["measure_key"])
                cell = coarse.setdefault(key, [0, 0])
                cell[0] += row["value_milli"]
                cell[1] += row["entries"]
    rows = [{**row, "span": "h"} for row in halves] + [
        dict(zip(("unit_id", "span", "bucket", "org", "type_key", "measure_key"), key),
             value_milli=value, entries=entries)
        for key, (value, entries) in coarse.items()
    ]
    for i in range(0, len(rows), 5000):
        op.bulk_insert(new, rows[i:i + 5000])


def downgrade() -> None:
    bind = op.get_bind()
    table = _old_table(sa.column("span", sa.String))
    halves = [
        dict(zip(COLUMNS, row))
        for row in bind.execute(
            sa.select(*(table.c[c] for c in COLUMNS)).where(table.c.span == "h")
        ).all()
    ]
    op.drop_table('activity_rollup')
    old = op.create_table('activity_rollup',
    sa.Column('unit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('org', sa.String(length=32), nullable=False),
    sa.Column('type_key', sa.String(length=64), nullable=False),
    sa.Column('measure_key', sa.String(length=64), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('value_milli', sa.BigInteger(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_activity_rollup_unit_id_units')),
    sa.PrimaryKeyConstraint('unit_id', 'org', 'type_key', 'measure_key', 'bucket', name=op.f('pk_activity_rollup'))
    )
    with op.batch_alter_table('activity_rollup', schema=None) as batch_op:
        batch_op.create_index('ix_activity_rollup_unit_bucket', ['unit_id', 'bucket'], unique=False)
    for i in range(0, len(halves), 5000):
        op.bulk_insert(old, halves[i:i + 5000])
