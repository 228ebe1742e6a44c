"""A Paytronix look-alike: the Guest Service wire format over real HTTP, stateful and seeded.

The WSGI application (``app.make_app``) imports nothing from Django so it can be served
standalone; ``runsandbox`` and the pytest plugin in ``testing`` wire it to settings.
"""
