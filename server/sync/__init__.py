"""Sync: devices push the mutations they recorded offline, then pull what changed.

``service.py`` applies pushed mutations with the shared merge rules (``shared/merge.py``)
and pages changes out by the vendor's change sequence; ``cursor.py`` is the pull cursor;
``controllers.py`` speaks JSON or MessagePack. The protocol is in ``docs/sync.md``.
"""
