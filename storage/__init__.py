"""Storage: typed models, the engine and sessions, migrations and the queries each flow uses."""
