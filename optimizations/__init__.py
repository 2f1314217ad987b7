"""Optimizations, one module each; importing this package registers them all.

A module whose import fails (say, a broken optional dependency at module
level) is skipped with a warning, so the rest of the registry still loads.
Modules should import optional dependencies lazily and list them in
``requires`` so the registry can report them as unavailable instead.
"""

import importlib
import logging
import pkgutil

log = logging.getLogger(__name__)

for _module in pkgutil.iter_modules(__path__):
    try:
        importlib.import_module(f"{__name__}.{_module.name}")
    except ImportError as exc:
        log.warning("optimization module %s failed to import and is skipped: %s", _module.name, exc)
