"""The Lambda entry point: one Chalice app, one blueprint; all code lives in chalicelib/."""

from chalice import Chalice

from chalicelib.api import openapi, routes  # noqa: F401  (registers the routes)
from chalicelib.api.blueprint import api

app = Chalice(app_name="loyalty")
app.register_blueprint(api)
