"""Users, roles, API tokens, login views and permission decorators."""
