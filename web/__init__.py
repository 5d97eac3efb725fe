"""HTTP: public pages, the JSON API, the staff area, static files. ``create_app(settings)`` builds the app."""
