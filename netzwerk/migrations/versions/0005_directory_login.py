"""directory login: users know whether the directory (LDAP) or netzwerk checks their password

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('source', sa.String(length=16), server_default='local', nullable=False)
        )
        batch_op.add_column(
            sa.Column('directory_dn', sa.String(length=500), server_default='', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('directory_dn')
        batch_op.drop_column('source')
