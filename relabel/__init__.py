"""Batch relabelling of whole proposal files: planning, the row builder, and the local and Ray engines."""
