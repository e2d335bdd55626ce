"""The WSGI application (``gunicorn workbench.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
application = get_wsgi_application()
# Each worker loads the URL configuration (and with it every view, serializer and form module)
# as it starts, not in the first request it serves: that request paid ~0.7 s here, so an
# import of 1,000 articles that landed on a fresh worker took 1.56 s instead of 0.8.
get_resolver().reverse_dict  # noqa: B018 - read for its side effect: the URLconf loaded
