#!/usr/bin/env python3
"""Drive the hub with nothing but Python's standard xmlrpc.client, as Koji's
scripted users do: log in, carry the session in Koji-Session-* headers, run a
multiCall holding one failing call, and check the fault codes.

Usage: koji_session.py URL USER PASSWORD. Exits non-zero on the first mismatch.
"""
import sys
import xmlrpc.client


class SessionTransport(xmlrpc.client.Transport):
    """Adds Koji's session headers to every request."""

    def __init__(self):
        super().__init__()
        self.session = None
        self.callnum = 0

    def send_headers(self, connection, headers):
        super().send_headers(connection, headers)
        if self.session:
            connection.putheader("Koji-Session-Id", str(self.session["session-id"]))
            connection.putheader("Koji-Session-Key", self.session["session-key"])
            connection.putheader("Koji-Session-Callnum", str(self.callnum))
            self.callnum += 1


def kwargs(**kw):
    """Koji's keyword-argument convention: a trailing struct marked __starstar."""
    kw["__starstar"] = True
    return kw


def expect(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def expect_fault(code, fn, *args):
    try:
        fn(*args)
    except xmlrpc.client.Fault as f:
        expect(f.faultCode == code, "fault %d (got %d: %s)" % (code, f.faultCode, f.faultString))
        return f
    expect(False, "a fault %d was raised" % code)


def main():
    url, user, password = sys.argv[1:4]
    transport = SessionTransport()
    hub = xmlrpc.client.ServerProxy(url, transport=transport, allow_none=True)

    expect(hub.getAPIVersion() == 1, "getAPIVersion is 1")
    expect(hub.echo("OK") == ["OK"], "echo returns its arguments")
    expect(hub.getLoggedInUser() is None, "anonymous getLoggedInUser is None")

    session = hub.login(user, password, kwargs(opts=None))
    expect(session.get("header-auth") is True, "login offers header auth")
    transport.session = session

    me = hub.getLoggedInUser()
    expect(me["name"] == user, "logged in as %s" % user)

    expect_fault(1000, hub.noSuchMethod)
    f = expect_fault(1019, hub.getUser, "x", kwargs(bogus=1))
    expect("got an unexpected keyword argument 'bogus'" in f.faultString, "ParameterError names the keyword")
    expect_fault(1002, hub.login, user, password)  # already logged in

    results = hub.multiCall([
        {"methodName": "createUser", "params": ["pyuser"]},
        {"methodName": "createUser", "params": ["pyuser"]},  # the failing call
        {"methodName": "getUser", "params": ["pyuser", kwargs(strict=True)]},
    ])
    expect(isinstance(results[0], list) and isinstance(results[0][0], int), "first call answered [id]")
    expect(isinstance(results[1], dict) and results[1]["faultCode"] == 1000, "failing call answered a fault struct")
    expect("user already exists" in results[1]["faultString"], "fault text names the problem")
    expect(results[2][0]["name"] == "pyuser", "later calls still ran")
    expect(hub.getUser("pyuser") is not None, "the batch committed around the failure")

    hub.logout(kwargs(session_id=None))
    expect_fault(1002, hub.getLoggedInUser)  # the closed session is refused


if __name__ == "__main__":
    main()
