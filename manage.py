#!/usr/bin/env python
"""Django's command-line utility for the workbench."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
    from workbench import localenv

    # `make run` writes the checkout's local environment (DEBUG, SECRET_KEY, key prefix); every
    # other command only reads it, so a deployment without the file is never switched to DEBUG.
    if sys.argv[1:2] == ["devstack"]:
        localenv.ensure()
    localenv.load()

    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as misconfigured:
        # A setting problem is the operator's to fix: one line saying which, not a traceback.
        sys.stderr.write(f"Configuration error: {misconfigured}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
