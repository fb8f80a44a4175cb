"""The one exception users see. Its message is written for them: the thing, the place, the fix."""


class CatalogError(Exception):
    """Anything the user can act on. The CLI prints the message without a traceback."""
