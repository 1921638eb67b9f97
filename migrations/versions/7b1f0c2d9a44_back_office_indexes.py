"""back office indexes: orders by store, status and date (covering on PostgreSQL), order
lines covering the top-products query, customers by spending, age and phone, orders by phone, stock movements by date

Revision ID: 7b1f0c2d9a44
Revises: 2ead5d4a1c7e
Create Date: 2026-12-01 21:30:00

"""
from alembic import op


revision = '7b1f0c2d9a44'
down_revision = '2ead5d4a1c7e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_store_id_created_at')
        batch_op.drop_index('ix_orders_store_id_status')
        batch_op.create_index('ix_orders_store_id_created_at', ['store_id', 'created_at'],
                              unique=False,
                              postgresql_include=['status', 'payment_status', 'channel', 'total'])
        batch_op.create_index('ix_orders_store_id_status_created_at',
                              ['store_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_orders_recipient_phone', ['recipient_phone'], unique=False)
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_index('ix_order_items_order_id')
        batch_op.create_index('ix_order_items_order_id', ['order_id'], unique=False,
                              postgresql_include=['code', 'name', 'qty', 'subtotal'])
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index('ix_customers_store_id_total_spent', ['store_id', 'total_spent'],
                              unique=False)
        batch_op.create_index('ix_customers_store_id_created_at', ['store_id', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_customers_phone', ['phone'], unique=False)
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_movements_product_id')
        batch_op.create_index('ix_stock_movements_product_id_created_at',
                              ['product_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('stock_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_movements_product_id_created_at')
        batch_op.create_index('ix_stock_movements_product_id', ['product_id'], unique=False)
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_phone')
        batch_op.drop_index('ix_customers_store_id_created_at')
        batch_op.drop_index('ix_customers_store_id_total_spent')
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_index('ix_order_items_order_id')
        batch_op.create_index('ix_order_items_order_id', ['order_id'], unique=False)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_recipient_phone')
        batch_op.drop_index('ix_orders_store_id_status_created_at')
        batch_op.drop_index('ix_orders_store_id_created_at')
        batch_op.create_index('ix_orders_store_id_status', ['store_id', 'status'], unique=False)
        batch_op.create_index('ix_orders_store_id_created_at', ['store_id', 'created_at'],
                              unique=False)
