"""The newsgraph service: the store interface, the ``newsgraph`` command and the HTTP interface."""
