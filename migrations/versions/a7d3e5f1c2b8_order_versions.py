"""On PostgreSQL a change of an order's items, events, requests or payments touches the
order's row, so its xmin stands for everything the tracking page shows (the page's front)

Revision ID: a7d3e5f1c2b8
Revises: 5e2b9d7c4a10
Create Date: 2026-12-08 00:10:00.000000

"""
from alembic import op

from shop.models.order_versions import ORDER_PARTS, create_order_version_trigger


# revision identifiers, used by Alembic.
revision = 'a7d3e5f1c2b8'
down_revision = '5e2b9d7c4a10'
branch_labels = None
depends_on = None


def upgrade():
    for table in ORDER_PARTS:
        create_order_version_trigger(op.get_bind(), table)


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table, name in ORDER_PARTS.items():
        op.execute(f'DROP TRIGGER IF EXISTS {name} ON {table}')
    op.execute('DROP FUNCTION IF EXISTS touch_order()')
