"""`python -m sheetkit` and the `sheetkit` command: the command line, quiet from its first moment.

Importing the command line takes a moment; a Ctrl-C meanwhile ends sheetkit with the same
message and status as one during a command, never with a traceback. Nothing else of sheetkit
is imported here first, since that import is what may be interrupted.
"""

import sys


def main() -> None:
    """Console-script entry point: the command line, once it is imported."""
    try:
        from .cli import main as run
    except BaseException as exc:
        if not _interrupt(exc):
            raise
        sys.stderr.write("Interrupted: no output was changed, and the temporary files were removed.\n")
        exec("pass")  # see sheetkit.common.interrupts.forget_handled_interrupt
        raise SystemExit(130) from None
    run()


def _interrupt(exc: BaseException | None) -> bool:
    """A Ctrl-C, also when Python 3.11 wrapped it (see sheetkit.common.interrupts.came_from_interrupt)."""
    for _ in range(20):
        if exc is None or isinstance(exc, KeyboardInterrupt):
            return exc is not None
        exc = exc.__cause__ or exc.__context__
    return False


if __name__ == "__main__":
    main()
