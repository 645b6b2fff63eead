"""erased identities (Art. 17, re-applied after a restore); user.session_generation

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 07:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('erased_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('erased_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erased_identity'))
    )
    with op.batch_alter_table('erased_identity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erased_identity_digest'), ['digest'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_generation')

    with op.batch_alter_table('erased_identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erased_identity_digest'))

    op.drop_table('erased_identity')
