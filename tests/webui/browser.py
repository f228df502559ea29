"""Playwright's sync API in a thread of its own.

While Playwright's sync API is active in a thread, an asyncio event loop runs there, and Django refuses ORM calls from
such a thread (SynchronousOnlyOperation). So the browser lives in its own thread and the test's thread keeps the
database: `Browser` forwards every call on a Playwright object to that thread and waits for the answer, wrapping the
Playwright objects it gets back. Nothing that runs in the Playwright thread touches the database; the pages are
served by pytest-django's live_server, in its own thread with its own connection.
"""
import os
import queue
import threading
from concurrent.futures import Future

CHROMIUM = os.environ.get("MOTCUA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
CALL_TIMEOUT = 60


class Browser:
    def __init__(self, executable_path=CHROMIUM, args=CHROMIUM_ARGS):
        self._jobs = queue.Queue()
        self._started = Future()
        self._thread = threading.Thread(target=self._run, args=(executable_path, args), name="playwright",
                                        daemon=True)
        self._thread.start()
        self._browser = self._started.result(timeout=CALL_TIMEOUT)

    def _run(self, executable_path, args):
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable_path, args=args, headless=True)
                self._started.set_result(browser)
                while (job := self._jobs.get()) is not None:
                    function, call_args, call_kwargs, future = job
                    try:
                        future.set_result(function(*call_args, **call_kwargs))
                    except BaseException as exc:  # handed to the test's thread, which raises it
                        future.set_exception(exc)
                browser.close()
        except BaseException as exc:
            if not self._started.done():
                self._started.set_exception(exc)
            else:
                raise

    def call(self, function, *args, **kwargs):
        """Runs function(*args, **kwargs) in the Playwright thread; returns its result or raises its exception."""
        future = Future()
        self._jobs.put((function, args, kwargs, future))
        return future.result(timeout=CALL_TIMEOUT)

    def wrap(self, value):
        if type(value).__module__.startswith("playwright."):
            return Remote(self, value)
        if isinstance(value, list):
            return [self.wrap(v) for v in value]
        return value

    def new_context(self, **options):
        return self.wrap(self.call(self._browser.new_context, **options))

    def expect(self, remote, **options):
        from playwright.sync_api import expect

        return self.wrap(self.call(expect, unwrap(remote), **options))

    def close(self):
        self._jobs.put(None)
        self._thread.join(timeout=CALL_TIMEOUT)


def unwrap(value):
    if isinstance(value, Remote):
        return object.__getattribute__(value, "_target")
    if isinstance(value, (list, tuple)):
        return type(value)(unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    return value


class Remote:
    """A Playwright object seen from the test's thread: attribute reads and method calls run in the Playwright
    thread."""

    __slots__ = ("_browser", "_target")

    def __init__(self, browser, target):
        object.__setattr__(self, "_browser", browser)
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name):
        browser, target = object.__getattribute__(self, "_browser"), object.__getattribute__(self, "_target")
        value = browser.call(getattr, target, name)
        if callable(value) and not type(value).__module__.startswith("playwright."):
            def method(*args, **kwargs):
                return browser.wrap(browser.call(value, *unwrap(args), **unwrap(kwargs)))

            method.__name__ = name
            return method
        return browser.wrap(value)

    def __repr__(self):
        return f"Remote({object.__getattribute__(self, '_target')!r})"
