from axistag.cli import app

app()
