"""Pure-Python rules shared by the server and the app: wire types, lifecycle, deadlines.

Nothing in this package does I/O; it runs on CPython and in Pyodide alike.
"""
