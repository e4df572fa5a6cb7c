"""The meeting around the call (issue 14, protocol version 1.1): the side panel with its People and Chat tabs, file
transfers in the chat, reactions and raised hands.

These are widgets with an API of setters and Qt signals; they keep nothing the engine knows better. The call window
(ui/views/call_view.py) hosts the panel; whoever follows the call's events feeds it and answers its signals.
"""
