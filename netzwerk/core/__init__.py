"""Pieces every domain uses: vocabulary enums, errors, time helpers."""
