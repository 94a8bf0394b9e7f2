"""The Lambda entry point: one Chalice app, its blueprints; all code lives in chalicelib/."""

from chalice import Chalice

from chalicelib.api import engagement_routes, openapi, routes  # noqa: F401  (registers the routes)
from chalicelib.api.blueprint import api
from chalicelib.jobs.schedules import jobs

app = Chalice(app_name="loyalty")
app.register_blueprint(api)
app.register_blueprint(jobs)
