"""The Datasette side of blogarchive: metadata.yml, templates, static files and the plugin hooks
(loaded by Datasette through the ``datasette`` entry point, which names this package, so that
its ``templates/`` and ``static/`` folders come with it)."""

from blogarchive.datasette.plugin import (
    asgi_wrapper,
    extra_css_urls,
    extra_template_vars,
    prepare_connection,
    prepare_jinja2_environment,
    register_routes,
    render_cell,
)

__all__ = [
    "asgi_wrapper",
    "extra_css_urls",
    "extra_template_vars",
    "prepare_connection",
    "prepare_jinja2_environment",
    "register_routes",
    "render_cell",
]
