"""The ASGI application; as ``wsgi``, it warms up (``workbench/warmup.py``) before the first request."""

import os

from django.core.asgi import get_asgi_application

from workbench.warmup import warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
application = get_asgi_application()
warm_up()
