"""The WSGI application a server loads has its long-lived objects out of the garbage collector's way."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc
import sys
import registry.wsgi
print(int("api.views" in sys.modules), gc.get_freeze_count(), len(gc.get_objects()))
"""


def test_loading_the_wsgi_application_freezes_the_loaded_app():
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "registry.settings"}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    views_loaded, frozen, still_tracked = map(int, probe.stdout.split())
    assert views_loaded  # with the URLconf, before the freeze
    assert frozen > 50_000  # the app, the URLconf and what it imports
    assert still_tracked < frozen / 10  # a full collection walks only what came after
