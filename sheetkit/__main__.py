"""`python -m sheetkit`: the same as the `sheetkit` command, for when it is not on the PATH."""

from .cli import main

if __name__ == "__main__":
    main()
