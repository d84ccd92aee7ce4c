"""The /api/v1 router, its authentication and its one error handler."""
