"""``python -m simulator`` runs the ``mimsim`` command line."""

from simulator.cli.main import main

main()
