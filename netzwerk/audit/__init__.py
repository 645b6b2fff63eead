"""The audit trail: every change the services make is recorded here."""
