"""``python -m loaders`` is the ``loaders`` command."""

from loaders.cli import main

main()
