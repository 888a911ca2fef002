"""The web map: a static page (``static/``) served at ``/`` by the API's own app, and the few
routes only the page needs (``/ui/config``, ``/ui/zones/active``, ``/zones/import``,
``/replay``). See ``docs/ui.md``."""

from skyfence.ui.routes import STATIC_DIR, mount_ui

__all__ = ["STATIC_DIR", "mount_ui"]
