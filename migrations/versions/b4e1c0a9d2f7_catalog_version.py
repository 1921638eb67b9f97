"""The store's catalog version, raised by triggers whenever what its storefront shows of its
products changes (the key of the pages and prices each web process caches)

Revision ID: b4e1c0a9d2f7
Revises: 7c06002527a0
Create Date: 2026-12-03 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

from shop.models.catalog import CATALOG_TRIGGERS, create_catalog_version_triggers


# revision identifiers, used by Alembic.
revision = 'b4e1c0a9d2f7'
down_revision = '7c06002527a0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('catalog_version', sa.BigInteger(), server_default='1',
                                      nullable=False))
    create_catalog_version_triggers(op.get_bind())


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        for name, table in zip(CATALOG_TRIGGERS, ('products',) * 3 + ('product_photos',)):
            op.execute(f'DROP TRIGGER IF EXISTS {name} ON {table}')
        op.execute('DROP FUNCTION IF EXISTS bump_catalog_version()')
    else:
        for name in (*CATALOG_TRIGGERS[:3], 'catalog_version_photo_added',
                     'catalog_version_photo_changed', 'catalog_version_photo_removed'):
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_column('catalog_version')
