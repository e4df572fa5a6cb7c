"""REST API: /api/auth/*, /api/rooms/*, /api/ice-servers, /healthz."""
