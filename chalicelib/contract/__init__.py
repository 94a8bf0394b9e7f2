"""The v1 contract storefronts are promised, one module per resource: the request and response
bodies (pydantic) and the presenters that turn the use cases' domain values into them.

Names here are the API: keep them; add fields freely. Every request refuses unknown fields, so a
client can never set points, tier or balances through a body (mass assignment)."""
