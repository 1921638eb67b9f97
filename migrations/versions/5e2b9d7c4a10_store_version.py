"""A store's own details raise its catalog version too (a trigger on stores), so each web
process keeps the store's row and reads only its version on every request

Revision ID: 5e2b9d7c4a10
Revises: b4e1c0a9d2f7
Create Date: 2026-12-03 15:00:00.000000

"""
from alembic import op

from shop.models.catalog import create_store_version_trigger, drop_store_version_trigger


# revision identifiers, used by Alembic.
revision = '5e2b9d7c4a10'
down_revision = 'b4e1c0a9d2f7'
branch_labels = None
depends_on = None


def upgrade():
    create_store_version_trigger(op.get_bind())


def downgrade():
    drop_store_version_trigger(op.get_bind())
