"""The Lambda entry point: one Chalice app, its blueprints; all code lives in chalicelib/."""

from chalice import Chalice

from chalicelib.api import (  # noqa: F401  (registers the routes)
    books_routes,
    dashboard_routes,
    engagement_routes,
    event_routes,
    export_routes,
    job_routes,
    kpi_routes,
    merge_routes,
    openapi,
    risk_routes,
    routes,
    segment_routes,
    wallet_routes,
    webhook_routes,
)
from chalicelib.api.blueprint import api
from chalicelib.jobs.schedules import jobs
from chalicelib.jobs.stream import stream
from chalicelib.jobs.webhooks import webhooks

# The logger named "loyalty" is Powertools' (chalicelib.observe): Chalice must not add its own
# plain-text handler to it, nor stop it propagating.
app = Chalice(app_name="loyalty", configure_logs=False)
app.register_blueprint(api)
app.register_blueprint(jobs)
app.register_blueprint(stream)
app.register_blueprint(webhooks)
