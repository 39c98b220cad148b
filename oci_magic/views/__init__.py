"""Views show a run as it happens. Each is a listener: a callable that receives the loop's events."""
