"""``jitsuin.wsgi`` as shipped, with benchmarks.portal_settings (one more, trivial, URL)."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.portal_settings"

from jitsuin.wsgi import application  # noqa: E402

__all__ = ["application"]
