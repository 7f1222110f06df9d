"""axistag: tags AI project proposals with the IPCEI-AI priority axes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("axistag")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
