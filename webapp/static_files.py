"""The web app's static files: Starlette's StaticFiles, except that a path no
file can have (a NUL byte, a name too long for the file system) is not found
(404) instead of failing with a 500."""
import os
from typing import Optional, Tuple

from starlette.staticfiles import StaticFiles as StarletteStaticFiles


class StaticFiles(StarletteStaticFiles):
    def lookup_path(self, path: str) -> Tuple[str, Optional[os.stat_result]]:
        try:
            return super().lookup_path(path)
        except (ValueError, OSError):
            return "", None
