"""HTTP plumbing shared by routes: JSON rendering, request context."""
