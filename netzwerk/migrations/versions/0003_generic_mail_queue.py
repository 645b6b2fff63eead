"""mail queue for every domain: messages name their source and scope instead of an invitation

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('source_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scope', sa.String(length=40), nullable=True))
    op.execute(
        "UPDATE mail_message SET source = 'invitation', source_id = invitation_id, "
        "scope = 'workshop:' || CAST(workshop_id AS VARCHAR(20))"
    )
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.alter_column('source', existing_type=sa.String(length=30), nullable=False)
        batch_op.alter_column('source_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('scope', existing_type=sa.String(length=40), nullable=False)
        batch_op.drop_constraint('uq_mail_message_once', type_='unique')
        batch_op.drop_index(batch_op.f('ix_mail_message_invitation_id'))
        batch_op.drop_index(batch_op.f('ix_mail_message_workshop_id'))
        batch_op.drop_constraint(batch_op.f('fk_mail_message_invitation_id_invitation'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_mail_message_workshop_id_workshop'), type_='foreignkey')
        batch_op.drop_column('invitation_id')
        batch_op.drop_column('workshop_id')
        batch_op.create_unique_constraint('uq_mail_message_once', ['source', 'source_id', 'kind', 'sequence'])
        batch_op.create_index(batch_op.f('ix_mail_message_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_message_scope'), ['scope'], unique=False)


def downgrade():
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workshop_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('invitation_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE mail_message SET invitation_id = source_id, "
        "workshop_id = CAST(SUBSTR(scope, 10) AS INTEGER) WHERE source = 'invitation'"
    )
    op.execute("DELETE FROM mail_message WHERE source <> 'invitation'")
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_message_scope'))
        batch_op.drop_index(batch_op.f('ix_mail_message_source_id'))
        batch_op.drop_constraint('uq_mail_message_once', type_='unique')
        batch_op.alter_column('workshop_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('invitation_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_mail_message_workshop_id_workshop'), 'workshop', ['workshop_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_mail_message_invitation_id_invitation'), 'invitation', ['invitation_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_mail_message_workshop_id'), ['workshop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_message_invitation_id'), ['invitation_id'], unique=False)
        batch_op.create_unique_constraint('uq_mail_message_once', ['invitation_id', 'kind', 'sequence'])
        batch_op.drop_column('scope')
        batch_op.drop_column('source_id')
        batch_op.drop_column('source')
