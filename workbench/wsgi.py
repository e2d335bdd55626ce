"""The WSGI application (``gunicorn workbench.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

from workbench.warmup import warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
application = get_wsgi_application()
# Each worker loads what its first requests would otherwise pay for (workbench/warmup.py).
warm_up()
