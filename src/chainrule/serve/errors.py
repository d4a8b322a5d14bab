"""Errors a request can cause: each becomes a 4xx response with a JSON {"error": message}."""

from chainrule.errors import ChainruleError


class RequestError(ChainruleError, ValueError):
    """A malformed request (400): bad JSON, a missing or mistyped field."""

    status = 400


class PayloadError(RequestError):
    """A well-formed request whose content cannot be used (422): a canvas of the wrong
    shape, dtype or range, a class the network does not have, a blank drawing."""

    status = 422


class PathRefused(RequestError):
    """A run path that leaves the runs root or is not a plain relative path (403)."""

    status = 403


class NotFound(RequestError):
    """No such run or page (404)."""

    status = 404


class NotJson(RequestError):
    """A request body sent as anything but application/json (415)."""

    status = 415


class BodyTooSlow(RequestError):
    """The client did not send its request body in time (408)."""

    status = 408


class BodyTooLarge(RequestError):
    """A request body over the limit (413); refused before it is read in full."""

    status = 413
