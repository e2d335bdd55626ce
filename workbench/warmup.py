"""What a server process loads as it starts, so that its first requests do not pay for it.

``wsgi`` and ``asgi`` call ``warm_up`` once per process (the server, workbench/serve.py, starts each
worker from scratch). Nothing here touches the network: a broker or database that is down must not stop a
worker from starting.
"""

from __future__ import annotations

from django.urls import get_resolver


def warm_up() -> None:
    # The URL configuration, and with it every view, serializer and form module: the first
    # request a fresh worker served paid ~0.7 s, so an import of 1,000 articles that landed on a
    # fresh worker took 1.56 s instead of 0.8.
    get_resolver().reverse_dict  # noqa: B018 - read for its side effect: the URLconf loaded
    # Celery's app, its result backend and its producer pool are built on the first task sent:
    # 60-70 ms of a fresh worker's first import or bulk write (its task registry reads every
    # installed package's entry points). Building them opens no connection.
    from .celery import app

    app.finalize(auto=True)
    app.backend  # noqa: B018 - its module imported (the object is per thread, and cheap after that)
    app.amqp.producer_pool  # noqa: B018 - built for its side effect
