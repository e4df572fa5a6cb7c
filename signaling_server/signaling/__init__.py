"""Socket.IO signaling: who is in which room, and the handlers that relay between them."""
