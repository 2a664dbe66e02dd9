"""``python -m nnzero.makemore``: the same command as ``makemore``."""

from nnzero.makemore.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
