"""The ASGI application; as ``wsgi``, it loads the URL configuration before the first request."""

import os

from django.core.asgi import get_asgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workbench.settings")
application = get_asgi_application()
get_resolver().reverse_dict  # noqa: B018 - read for its side effect: the URLconf loaded
