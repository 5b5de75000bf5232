"""The genomdb web service: REST API, GA4GH Beacon v2 and the variant browser (``create_app(settings)``).

``services`` and ``beacon`` hold the service layer (no FastAPI); ``routes`` are thin FastAPI routers that parse,
call one service function and format; ``schemas`` are the wire schemas; ``problems`` maps the exception tree to
HTTP status codes in one place.
"""
