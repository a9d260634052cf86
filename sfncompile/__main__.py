"""``python -m sfncompile`` is the ``sfncompile`` command."""
from .cli import main

if __name__ == "__main__":
    main()
