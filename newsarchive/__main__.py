"""`python -m newsarchive …` is the `newsarchive` command."""

from newsarchive.cli import main

main()
