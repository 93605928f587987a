"""blogarchive: crawl blogs into a SQLite archive and publish it with Datasette."""

__version__ = "0.1.0"
