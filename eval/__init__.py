"""Eval package of axistag."""
