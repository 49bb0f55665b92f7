"""The HTTP layer: the app factory, the services the views reach, the HTTP server, the
views (blueprints), their templates and static files. Views parse, call a facade and
serialise."""
