"""For scrapyd-deploy, which builds an egg with ``setup.py bdist_egg``: the metadata, the
packages and the ``scrapy`` entry point all come from pyproject.toml."""

from setuptools import setup

setup()
