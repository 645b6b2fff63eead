"""the change counter: data_version row, audit entries stamped with it

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    data_version = op.create_table('data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version'))
    )
    op.bulk_insert(data_version, [{'id': 1, 'version': 0}])
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_version', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_entry_data_version'), ['data_version'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_data_version'))
        batch_op.drop_column('data_version')
    op.drop_table('data_version')
