"""Barcodes read with the device's camera, decoded on the device in plain Python.

The core (:mod:`.runs`, :mod:`.code128`, :mod:`.ean13`, :mod:`.decode`) works on rows of
grey levels and imports nothing outside the standard library. :mod:`.camera` decides
where the camera is offered (Android and iOS apps) with Flet alone; flet-camera and
Pillow (:mod:`.picture`) are imported only once the camera is used there, so the browser
app and the PWA, which have neither, never import them.
"""
