"""One plain sentence for each way a download can fail, instead of a Twisted traceback."""

from __future__ import annotations

from scrapy import exceptions as scrapy_errors
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

# Scrapy ≥ 2.14 wraps Twisted's exceptions; older paths may still raise the Twisted ones.
_REASONS: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((scrapy_errors.DownloadTimeoutError, net.TimeoutError, net.TCPTimedOutError), "feed download timed out"),
    (
        (scrapy_errors.DownloadConnectionRefusedError, net.ConnectionRefusedError),
        "feed server refused the connection",
    ),
    (
        (scrapy_errors.CannotResolveHostError, net.DNSLookupError),
        "could not resolve the feed server's host name",
    ),
    (
        (
            scrapy_errors.DownloadFailedError,
            scrapy_errors.ResponseDataLossError,
            net.ConnectionLost,
            ResponseFailed,
            ResponseNeverReceived,
        ),
        "feed server closed the connection before answering completely",
    ),
    ((scrapy_errors.DownloadCancelledError,), "feed download was cancelled (larger than DOWNLOAD_MAXSIZE?)"),
    (
        (scrapy_errors.UnsupportedURLSchemeError,),
        "the feed URL's scheme is not supported (use http, https or file)",
    ),
)


def describe_failure(failure: Failure) -> tuple[str, int | None]:
    """Return (reason, HTTP status or None) for a failed feed request."""
    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"feed server answered HTTP {status}", status
    for types, reason in _REASONS:
        if isinstance(exc, types):
            return reason, None
    if isinstance(exc, scrapy_errors.IgnoreRequest):
        return f"feed request was not sent: {exc or 'dropped by a downloader middleware'}", None
    if isinstance(exc, FileNotFoundError | IsADirectoryError | PermissionError):
        return f"cannot read the feed file: {exc.strerror}: {exc.filename}", None
    return f"feed download failed: {type(exc).__name__}: {exc}", None
