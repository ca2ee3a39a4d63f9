"""The offline PWA: its build (``python -m pwa.build``), service worker, page snippet and icons."""
