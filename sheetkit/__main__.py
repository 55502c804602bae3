"""`python -m sheetkit` and the `sheetkit` command: the command line, quiet from its first moment.

Importing the command line takes a moment; a Ctrl-C meanwhile ends sheetkit with the same
message and status as one during a command, never with a traceback.
"""

import sys


def main() -> None:
    """Console-script entry point: the command line, once it is imported."""
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted: no output was changed, and the temporary files were removed.\n")
        raise SystemExit(130) from None
    run()


if __name__ == "__main__":
    main()
