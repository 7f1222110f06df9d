"""Training package of axistag."""
