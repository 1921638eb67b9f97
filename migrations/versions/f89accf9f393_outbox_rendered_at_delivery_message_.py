"""outbox rendered at delivery (template values as JSON, claim time, provider id), editable
message templates, bulk-message campaigns, the language of an order

Revision ID: f89accf9f393
Revises: 7b1f0c2d9a44
Create Date: 2026-12-01 22:54:54.336218

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f89accf9f393'
down_revision = '7b1f0c2d9a44'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('message_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=255), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_templates')),
    sa.UniqueConstraint('key', 'locale', name=op.f('uq_message_templates_key_locale'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('audience', sa.String(length=255), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('rate_per_minute', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_campaigns_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=5), server_default='id',
                                      nullable=False))
        batch_op.add_column(sa.Column('data', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('subject', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('provider_message_id', sa.String(length=255), nullable=True))
        batch_op.alter_column('body',
               existing_type=sa.TEXT(),
               nullable=True)
        batch_op.create_index('ix_notifications_campaign_id', ['campaign_id'], unique=False)
        batch_op.create_index('ix_notifications_recipient_created_at', ['recipient', 'created_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notifications_campaign_id_campaigns'), 'campaigns', ['campaign_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=5), server_default='id', nullable=False))



def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('locale')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_campaign_id_campaigns'), type_='foreignkey')
        batch_op.drop_index('ix_notifications_recipient_created_at')
        batch_op.drop_index('ix_notifications_campaign_id')
        batch_op.alter_column('body',
               existing_type=sa.TEXT(),
               nullable=False)
        batch_op.drop_column('provider_message_id')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('subject')
        batch_op.drop_column('data')
        batch_op.drop_column('locale')
        batch_op.drop_column('campaign_id')

    op.drop_table('campaigns')
    op.drop_table('message_templates')
