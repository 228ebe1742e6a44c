"""Views of the guests app, by screen: ``search``, ``page`` (the guest page and its panels),
``changes`` (the POST endpoints of the changes a CSR makes)."""
