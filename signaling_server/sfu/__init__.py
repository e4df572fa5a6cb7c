"""Large rooms through an SFU (issue 17): the server's client of Janus's VideoRoom plugin.

``janus_session`` speaks Janus's HTTP API (sessions, handles, keepalives, the long-poll of events); ``videoroom``
builds the VideoRoom plugin's requests on it. Only the server talks to Janus: its API stays on loopback and clients
get what they need through the server's own socket.
"""
