"""Several instances on one database, backups and restores."""
