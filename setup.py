"""For scrapyd-deploy, which builds an egg with ``python setup.py bdist_egg``.

Everything (metadata, packages, package data, the ``scrapy`` entry point) is in
pyproject.toml; without this file scrapyd-deploy would write a setup.py of its own.
"""

from setuptools import setup

setup()
