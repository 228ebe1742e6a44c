"""The portal's settings, with the ceiling views of ``bench.ceilings`` mounted under /_bench/.

Used only by the gunicorn that ``bench.web`` starts; nothing else changes.
"""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
