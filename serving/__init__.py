"""Serving package of axistag."""
